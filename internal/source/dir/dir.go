package dir

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dutywatch/dutywatch/internal/layout"
	"github.com/dutywatch/dutywatch/internal/source"
)

// Config configures a dir source.
type Config struct {
	// Name is the source name used in state, logs and metrics.
	Name string
	// Root is the folder that plays the bucket; made absolute by New.
	Root string
	// Path is the key prefix under Root ("" or "a/b/").
	Path string
	// Layout is Firehose, Native, or Auto: native when Root/Path/AWSLogs/
	// is a folder, Firehose otherwise.
	Layout layout.Kind
	// OnlyLogsAfter skips day folders before this UTC day. When zero, a
	// scope with no cursor is read from its first file.
	OnlyLogsAfter time.Time
	// LookBack is how far behind its cursor's hour folder a Firehose scope
	// is walked again, for files copied in late. Zero means the default
	// (2h); negative means none.
	LookBack time.Duration
	// NativeLookBackDays is how many day folders behind its cursor's a
	// native scope is walked again. Zero means the default (1); negative
	// means none.
	NativeLookBackDays int
	// Accounts and Regions, when set, limit the native scopes walked.
	Accounts []string
	Regions  []string
	// Remove deletes each file once its results are committed.
	Remove bool
}

const (
	defaultLookBack     = 2 * time.Hour
	defaultLookBackDays = 1
)

// DefaultConfig returns the defaults: auto layout, a 2h Firehose look-back
// and one native look-back day.
func DefaultConfig() Config {
	return Config{Layout: layout.Auto, LookBack: defaultLookBack, NativeLookBackDays: defaultLookBackDays}
}

// Source lists and opens GuardDuty files in a local folder tree.
type Source struct {
	cfg   Config
	root  string // absolute
	path  string // cleaned key prefix
	state source.State
	log   *slog.Logger
	now   func() time.Time

	// Floors gives the pipeline, per scope, the key below which the
	// done-set may be pruned, as of the last listing.
	source.Floors
}

var _ source.Source = (*Source)(nil)

// New returns a source reading cfg.Root. It does not touch the disk.
func New(cfg Config, st source.State, log *slog.Logger) (*Source, error) {
	if cfg.Root == "" {
		return nil, errors.New("dir source: root is empty")
	}
	if st == nil {
		return nil, errors.New("dir source: state is nil")
	}
	root, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("dir source %s: %w", cfg.Root, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.LookBack == 0 {
		cfg.LookBack = defaultLookBack
	}
	if cfg.NativeLookBackDays == 0 {
		cfg.NativeLookBackDays = defaultLookBackDays
	}
	return &Source{
		cfg:   cfg,
		root:  root,
		path:  layout.CleanPath(filepath.ToSlash(cfg.Path)),
		state: st,
		log:   log.With("source", cfg.Name),
		now:   time.Now,
	}, nil
}

// Name returns the configured source name.
func (s *Source) Name() string { return s.cfg.Name }

// scope is one cursor's worth of files: the Firehose path, or one native
// (account, region) folder.
type scope struct {
	kind    layout.Kind
	prefix  string // key prefix of the scope, ending in '/' unless empty
	account string
	region  string
}

// List walks each scope in key order from its listing window, yielding the
// files that are not done.
func (s *Source) List(ctx context.Context) iter.Seq2[source.Object, error] {
	return func(yield func(source.Object, error) bool) {
		root, err := os.OpenRoot(s.root)
		if err != nil {
			yield(source.Object{}, fmt.Errorf("open root %s: %w", s.root, err))
			return
		}
		defer root.Close()
		fsys := root.FS()
		scopes, err := s.scopes(fsys)
		if err != nil {
			yield(source.Object{}, err)
			return
		}
		for _, sc := range scopes {
			if err := ctx.Err(); err != nil {
				yield(source.Object{}, err)
				return
			}
			if !s.listScope(ctx, fsys, sc, yield) {
				return
			}
		}
	}
}

// scopes finds the scopes to walk.
func (s *Source) scopes(fsys fs.FS) ([]scope, error) {
	kind := s.cfg.Layout
	nativeRoot := layout.NativeRoot(s.path, "")
	if kind == layout.Auto {
		kind = layout.Firehose
		if fi, err := fs.Stat(fsys, dirName(nativeRoot)); err == nil && fi.IsDir() {
			kind = layout.Native
		}
	}
	if kind == layout.Firehose {
		return []scope{{kind: layout.Firehose, prefix: s.path}}, nil
	}
	accounts, err := s.accounts(fsys, nativeRoot)
	if err != nil {
		return nil, err
	}
	var scopes []scope
	for _, a := range accounts {
		regions, err := readDirNames(fsys, a.prefix+"GuardDuty/")
		if err != nil {
			return nil, err
		}
		for _, r := range regions {
			if !layout.IsRegion(r) || !wanted(s.cfg.Regions, r) {
				continue
			}
			scopes = append(scopes, scope{
				kind: layout.Native, prefix: a.prefix + "GuardDuty/" + r + "/",
				account: a.account, region: r,
			})
		}
	}
	return scopes, nil
}

// accountDir is an account folder found under AWSLogs/.
type accountDir struct{ prefix, account string }

// accounts lists the 12-digit account folders under nativeRoot, and under
// any organization folder there, filtered by Config.Accounts.
func (s *Source) accounts(fsys fs.FS, nativeRoot string) ([]accountDir, error) {
	names, err := readDirNames(fsys, nativeRoot)
	if err != nil {
		return nil, err
	}
	var out []accountDir
	for _, n := range names {
		switch {
		case layout.IsAccount(n):
			if wanted(s.cfg.Accounts, n) {
				out = append(out, accountDir{nativeRoot + n + "/", n})
			}
		case layout.IsOrgFolder(n):
			inner, err := s.accounts(fsys, nativeRoot+n+"/")
			if err != nil {
				return nil, err
			}
			out = append(out, inner...)
		}
	}
	return out, nil
}

// listScope yields the scope's files that are not done; false means stop.
func (s *Source) listScope(ctx context.Context, fsys fs.FS, sc scope, yield func(source.Object, error) bool) bool {
	name := s.scopeName(sc)
	cursor, err := s.state.Cursor(ctx, name)
	if err != nil {
		yield(source.Object{}, fmt.Errorf("cursor of %s: %w", name, err))
		return false // an error ends the listing
	}
	w := layout.Window{LookBack: s.cfg.LookBack, LookBackDays: s.cfg.NativeLookBackDays, OnlyLogsAfter: s.cfg.OnlyLogsAfter}
	var start string
	switch {
	case cursor == "" && s.cfg.OnlyLogsAfter.IsZero():
		start = "" // a local folder is read whole the first time
	case sc.kind == layout.Firehose:
		start = w.FirehoseStart(sc.prefix, cursor, s.now())
	default:
		start = w.NativeStart(sc.prefix, cursor, s.now())
	}
	depth := 4 // YYYY/MM/DD/HH
	if sc.kind == layout.Native {
		depth = 3 // YYYY/MM/DD
	}
	s.SetFloor(name, w.PruneFloor(sc.kind, sc.prefix, cursor))
	s.log.DebugContext(ctx, "walk", "scope", name, "start_after", start, "cursor", cursor)
	walk := walker{fsys: fsys, startAfter: start, depth: depth}
	for f, err := range walk.files(sc.prefix) {
		var o source.Object
		ok := false
		if err == nil {
			o, ok, err = s.object(ctx, sc, name, cursor, f)
		}
		if err != nil {
			yield(source.Object{}, err)
			return false // an error ends the listing
		}
		if ok && !yield(o, nil) {
			return false
		}
	}
	return true
}

// object turns a walked file into an Object; ok is false when the file is
// skipped (not in the layout, or already done).
func (s *Source) object(ctx context.Context, sc scope, scopeName, cursor string, f file) (source.Object, bool, error) {
	info, err := layout.Parse(s.path, f.key)
	if err != nil || info.Kind != sc.kind {
		s.log.DebugContext(ctx, "skip file outside the layout", "key", f.key, "layout", sc.kind)
		return source.Object{}, false, nil
	}
	// Keys above the cursor were never committed; keys at or below it
	// are inside the look-back window and need the done-set.
	if f.key <= cursor {
		done, err := s.state.IsDone(ctx, scopeName, f.key)
		if err != nil {
			return source.Object{}, false, fmt.Errorf("check %s: %w", f.key, err)
		}
		if done {
			return source.Object{}, false, nil
		}
	}
	return source.Object{
		Source:       s.cfg.Name,
		Bucket:       s.root,
		Key:          f.key,
		Scope:        scopeName,
		Account:      info.Account,
		Region:       info.Region,
		Size:         f.info.Size(),
		LastModified: f.info.ModTime().UTC(),
	}, true, nil
}

// scopeName is the cursor name of sc: "dir://<root>/<prefix>".
func (s *Source) scopeName(sc scope) string {
	return "dir://" + strings.TrimSuffix(filepath.ToSlash(s.root), "/") + "/" + sc.prefix
}

// Open opens the file of o, which must come from this source.
func (s *Source) Open(_ context.Context, o source.Object) (io.ReadCloser, error) {
	if o.Bucket != s.root {
		return nil, fmt.Errorf("open %s: not under %s", o.URI(), s.root)
	}
	f, err := os.OpenInRoot(s.root, filepath.FromSlash(o.Key))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", o.URI(), err)
	}
	return f, nil
}

// Done removes the file of o when Config.Remove is set.
func (s *Source) Done(_ context.Context, o source.Object) error {
	if !s.cfg.Remove {
		return nil
	}
	root, err := os.OpenRoot(s.root)
	if err != nil {
		return fmt.Errorf("remove %s: %w", o.URI(), err)
	}
	defer root.Close()
	if err := root.Remove(filepath.FromSlash(o.Key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", o.URI(), err)
	}
	return nil
}

// wanted reports whether v passes a filter; an empty filter passes all.
func wanted(filter []string, v string) bool {
	return len(filter) == 0 || slices.Contains(filter, v)
}

// dirName turns a key prefix ("a/b/" or "") into an fs.FS name.
func dirName(prefix string) string {
	if prefix == "" {
		return "."
	}
	return strings.TrimSuffix(prefix, "/")
}

// readDirNames returns the sorted names of the folders in prefix; a
// missing folder has none.
func readDirNames(fsys fs.FS, prefix string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dirName(prefix))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read folder %s: %w", prefix, err)
	}
	var names []string
	for _, e := range entries {
		if isDir(fsys, prefix, e) {
			names = append(names, e.Name())
		}
	}
	slices.SortFunc(names, cmp.Compare)
	return names, nil
}
