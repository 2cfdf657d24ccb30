package doctor

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dutywatch/dutywatch/internal/layout"
)

// tree is a bucket or a local folder seen the way S3 shows one: folders
// and files by key prefix. The content checks walk it.
type tree interface {
	// list returns the folders (keys ending in '/') and files right under
	// prefix ("" or ending in '/'), sorted by key. A missing prefix has
	// none.
	list(ctx context.Context, prefix string) ([]entry, error)
	// open streams the body of the file key.
	open(ctx context.Context, key string) (io.ReadCloser, error)
	// uri names key in messages: "s3://bucket/key" or a file path.
	uri(key string) string
}

// entry is one folder or file of a listing.
type entry struct {
	key  string // folders end in '/'
	dir  bool
	size int64
	mod  time.Time
}

// name is the last element of the key, without a trailing '/'.
func (e entry) name() string {
	k := strings.TrimSuffix(e.key, "/")
	return k[strings.LastIndexByte(k, '/')+1:]
}

// object is a file that fits a layout.
type object struct {
	entry
	info layout.Info
}

// maxListings bounds the listings of one source's content checks, so that
// a huge tree of empty folders cannot keep the doctor busy.
const maxListings = 2000

// errBudget means the walk gave up after maxListings listings.
var errBudget = errors.New("gave up after too many listings")

// walker finds the edges (oldest and newest objects) of time-folder trees
// without listing everything: it descends the oldest (or newest) year,
// month, day and hour folders first, and backs up only past empty ones.
type walker struct {
	t    tree
	path string // the source's cleaned path, for layout.Parse
	left int    // listings left
	log  *slog.Logger
}

func (w *walker) list(ctx context.Context, prefix string) ([]entry, error) {
	if w.left <= 0 {
		return nil, errBudget
	}
	w.left--
	entries, err := w.t.list(ctx, prefix)
	w.log.DebugContext(ctx, "list", "prefix", prefix, "entries", len(entries), "err", err)
	return entries, err
}

// edge returns the oldest (or, with newest, the newest) object of kind in
// the tree under prefix, whose files sit depth time folders down (4 for
// Firehose YYYY/MM/DD/HH, 3 for native YYYY/MM/DD). ok is false when
// there is none.
func (w *walker) edge(ctx context.Context, prefix string, kind layout.Kind, depth int, newest bool) (object, bool, error) {
	return w.descend(ctx, prefix, kind, 0, depth, newest)
}

func (w *walker) descend(ctx context.Context, prefix string, kind layout.Kind, level, depth int, newest bool) (object, bool, error) {
	entries, err := w.list(ctx, prefix)
	if err != nil {
		return object{}, false, err
	}
	if level == depth {
		o, ok := w.pick(entries, kind, newest)
		return o, ok, nil
	}
	var dirs []string
	for _, e := range entries {
		if e.dir && timeFolder(e.name(), level) {
			dirs = append(dirs, e.key)
		}
	}
	if newest {
		slices.Reverse(dirs)
	}
	for _, d := range dirs {
		o, ok, err := w.descend(ctx, d, kind, level+1, depth, newest)
		if err != nil || ok {
			return o, ok, err
		}
	}
	return object{}, false, nil
}

// pick returns the oldest (or newest) file of entries that fits kind, by
// the time its key says, then its modification time, then its key.
func (w *walker) pick(entries []entry, kind layout.Kind, newest bool) (object, bool) {
	var best object
	found := false
	for _, e := range entries {
		if e.dir {
			continue
		}
		info, err := layout.Parse(w.path, e.key)
		if err != nil || info.Kind != kind {
			continue
		}
		o := object{entry: e, info: info}
		c := cmp.Or(o.info.Time.Compare(best.info.Time), o.mod.Compare(best.mod), strings.Compare(o.key, best.key))
		if !found || (newest && c > 0) || (!newest && c < 0) {
			best, found = o, true
		}
	}
	return best, found
}

// timeFolder reports whether name fits the time folder at level: a
// four-digit year, then two-digit month, day and hour.
func timeFolder(name string, level int) bool {
	want := 2
	if level == 0 {
		want = 4
	}
	if len(name) != want {
		return false
	}
	for i := range len(name) {
		if name[i] < '0' || name[i] > '9' {
			return false
		}
	}
	return true
}

// scope is one native (account, region) folder.
type scope struct {
	account, region, prefix string
}

// nativeTree is what a native export root holds.
type nativeTree struct {
	// all maps every account folder found to its region folders, before
	// the account and region filters.
	all    map[string][]string
	order  []string // accounts in key order
	scopes []scope  // the scopes that pass the filters
}

// discoverNative finds the account folders under root (and inside
// organization folders there) and each account's own region folders, as
// the sources do.
func (w *walker) discoverNative(ctx context.Context, root string, accounts, regions []string) (nativeTree, error) {
	nt := nativeTree{all: map[string][]string{}}
	prefixes, err := w.accountFolders(ctx, root, true)
	if err != nil {
		return nt, err
	}
	for _, p := range prefixes {
		acct := strings.TrimSuffix(p, "/")
		acct = acct[strings.LastIndexByte(acct, '/')+1:]
		entries, err := w.list(ctx, p+"GuardDuty/")
		if err != nil {
			return nt, err
		}
		if _, seen := nt.all[acct]; !seen {
			nt.order = append(nt.order, acct)
			nt.all[acct] = nil
		}
		for _, e := range entries {
			r := e.name()
			if !e.dir || !layout.IsRegion(r) {
				continue
			}
			nt.all[acct] = append(nt.all[acct], r)
			if wanted(accounts, acct) && wanted(regions, r) {
				nt.scopes = append(nt.scopes, scope{account: acct, region: r, prefix: e.key})
			}
		}
	}
	return nt, nil
}

// accountFolders returns the prefixes of the account folders under root,
// looking one level into organization folders when orgs is set.
func (w *walker) accountFolders(ctx context.Context, root string, orgs bool) ([]string, error) {
	entries, err := w.list(ctx, root)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		switch n := e.name(); {
		case !e.dir:
		case layout.IsAccount(n):
			out = append(out, e.key)
		case orgs && layout.IsOrgFolder(n):
			inner, err := w.accountFolders(ctx, e.key, false)
			if err != nil {
				return nil, err
			}
			out = append(out, inner...)
		}
	}
	return out, nil
}

// wanted reports whether v passes a filter; an empty filter passes all.
func wanted(filter []string, v string) bool {
	return len(filter) == 0 || slices.Contains(filter, v)
}
