package dir

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/layout"
	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

var now = time.Date(2024, 5, 3, 10, 0, 0, 0, time.UTC)

// write creates root/key with body, and its folders.
func write(t *testing.T, root, key, body string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newSource(t *testing.T, cfg Config, st source.State) *Source {
	t.Helper()
	s, err := New(cfg, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return now }
	return s
}

func fhKey(hour, name string) string { return "fh/2024/05/" + hour + "/" + name }

func TestFirehose(t *testing.T) {
	root := t.TempDir()
	keys := []string{
		fhKey("01/22", "gd-1-2024-05-01-22-10-00-aaaa.gz"),
		fhKey("01/23", "gd-1-2024-05-01-23-00-00-bbbb.gz"),
		fhKey("01/23", "gd-1-2024-05-01-23-00-00-bbbb.gz.bak"),
		fhKey("02/00", "gd-1-2024-05-02-00-01-00-cccc"),
		fhKey("02/10", "gd-1-2024-05-02-10-00-00-dddd.zip"),
	}
	for _, k := range keys {
		write(t, root, k, k)
	}
	// Not in the layout: error output, stray files, temp files, folders
	// of another shape, a file above the hour folder.
	for _, k := range []string{
		"fh/processing-failed/2024/05/02/10/gd-1-2024-05-02-10-00-00-eeee",
		"fh/README.md",
		"fh/2024/05/02/10/.gd-1-2024-05-02-10-00-00-ffff.partial",
		"fh/2024/05/02/notanhour/x",
		"fh/2024/05/02/x",
		"other/2024/05/02/10/gd-1-2024-05-02-10-00-00-gggg",
	} {
		write(t, root, k, "junk")
	}
	cfg := DefaultConfig()
	cfg.Name, cfg.Root, cfg.Path = "local", root, "fh"
	st := &testenv.State{}
	src := newSource(t, cfg, st)
	ctx := context.Background()

	objs := testenv.ListAll(t, src.List(ctx))
	if got := testenv.Keys(objs); !slices.Equal(got, keys) {
		t.Fatalf("first listing:\n got %q\nwant %q", got, keys)
	}
	wantScope := "dir://" + root + "/fh/"
	for _, o := range objs {
		if o.Scope != wantScope || o.Bucket != root || o.Source != "local" || o.Size != int64(len(o.Key)) || o.Account != "" {
			t.Fatalf("object %+v: want scope %q, bucket %q, size %d", o, wantScope, root, len(o.Key))
		}
	}
	st.CommitAll(objs)
	if got := testenv.Keys(testenv.ListAll(t, src.List(ctx))); len(got) != 0 {
		t.Fatalf("listing after commit = %q, want none", got)
	}

	// Cursor is hour 02/10; the look-back is 2h, so hour 02/08 and later
	// are walked again.
	late := fhKey("02/09", "gd-1-2024-05-02-09-59-00-late.gz")
	tooLate := fhKey("02/07", "gd-1-2024-05-02-07-00-00-lost.gz")
	next := fhKey("02/11", "gd-1-2024-05-02-11-00-00-next.gz")
	for _, k := range []string{late, tooLate, next} {
		write(t, root, k, k)
	}
	got := testenv.Keys(testenv.ListAll(t, src.List(ctx)))
	if want := []string{late, next}; !slices.Equal(got, want) {
		t.Fatalf("listing with late files:\n got %q\nwant %q", got, want)
	}
}

func TestFirehoseForgottenKeys(t *testing.T) {
	root := t.TempDir()
	old := fhKey("01/00", "gd-1-2024-05-01-00-00-00-old")
	recent := fhKey("02/09", "gd-1-2024-05-02-09-00-00-recent")
	last := fhKey("02/10", "gd-1-2024-05-02-10-00-00-last")
	for _, k := range []string{old, recent, last} {
		write(t, root, k, k)
	}
	cfg := DefaultConfig()
	cfg.Root, cfg.Path = root, "fh/"
	st := &testenv.State{}
	src := newSource(t, cfg, st)
	ctx := context.Background()
	objs := testenv.ListAll(t, src.List(ctx))
	st.CommitAll(objs)
	// Pruning the done-set by age must not bring old files back; inside
	// the look-back window a forgotten key is listed again.
	scope := objs[0].Scope
	st.Forget(scope, old)
	st.Forget(scope, recent)
	got := testenv.Keys(testenv.ListAll(t, src.List(ctx)))
	if want := []string{recent}; !slices.Equal(got, want) {
		t.Fatalf("listing = %q, want %q", got, want)
	}
}

func nativeKey(prefix, account, region, day, name string) string {
	return "AWSLogs/" + prefix + account + "/GuardDuty/" + region + "/2024/05/" + day + "/" + name + ".jsonl.gz"
}

const (
	acctA = "111111111111"
	acctB = "222222222222"
	acctC = "333333333333"
)

func nativeTree(t *testing.T) (root string, keys []string) {
	root = t.TempDir()
	keys = []string{
		nativeKey("", acctA, "eu-west-1", "02", "b1"),
		nativeKey("", acctA, "us-east-1", "01", "f0"),
		nativeKey("", acctA, "us-east-1", "02", "0a"),
		nativeKey("", acctA, "us-east-1", "02", "9z"),
		nativeKey("", acctB, "us-east-1", "03", "c3"),
		nativeKey("o-abcdef1234/", acctC, "us-west-2", "03", "d4"),
	}
	for _, k := range keys {
		write(t, root, k, k)
	}
	for _, k := range []string{
		"AWSLogs/" + acctA + "/CloudTrail/us-east-1/2024/05/02/x.json.gz",
		"AWSLogs/1234/GuardDuty/us-east-1/2024/05/02/x.jsonl.gz",
		"AWSLogs/" + acctA + "/GuardDuty/Bad_Region/2024/05/02/x.jsonl.gz",
		"AWSLogs/" + acctA + "/GuardDuty/us-east-1/2024/05/02/sub/x.jsonl.gz",
		"2024/05/02/10/gd-1-2024-05-02-10-00-00-beside.gz",
	} {
		write(t, root, k, "junk")
	}
	return root, keys
}

func TestNative(t *testing.T) {
	root, keys := nativeTree(t)
	cfg := DefaultConfig()
	cfg.Root = root
	st := &testenv.State{}
	src := newSource(t, cfg, st)
	ctx := context.Background()

	objs := testenv.ListAll(t, src.List(ctx))
	if got := testenv.Keys(objs); !slices.Equal(got, keys) {
		t.Fatalf("listing:\n got %q\nwant %q", got, keys)
	}
	for _, o := range objs {
		info, err := layout.Parse("", o.Key)
		if err != nil {
			t.Fatal(err)
		}
		wantScope := "dir://" + root + "/" + o.Key[:strings.Index(o.Key, info.Region+"/")+len(info.Region)+1]
		if o.Scope != wantScope || o.Account != info.Account || o.Region != info.Region {
			t.Errorf("object %+v: want scope %q, account %s, region %s", o, wantScope, info.Account, info.Region)
		}
	}
	st.CommitAll(objs)

	// Each (account, region) has its own cursor: a new file in a region
	// whose keys sort before another region's cursor is still listed.
	newKeys := []string{
		nativeKey("", acctA, "eu-west-1", "02", "00"), // below its own cursor, same day
		nativeKey("", acctA, "us-east-1", "03", "00"),
		nativeKey("", acctA, "us-east-1", "01", "00"), // previous day of the cursor
	}
	for _, k := range newKeys {
		write(t, root, k, k)
	}
	got := testenv.Keys(testenv.ListAll(t, src.List(ctx)))
	want := []string{newKeys[0], newKeys[2], newKeys[1]}
	if !slices.Equal(got, want) {
		t.Fatalf("second listing:\n got %q\nwant %q", got, want)
	}
}

func TestNativeFilters(t *testing.T) {
	root, keys := nativeTree(t)
	tests := []struct {
		name     string
		cfg      func(*Config)
		wantKeys []string
	}{
		{"accounts", func(c *Config) { c.Accounts = []string{acctB, acctC} }, keys[4:]},
		{"regions", func(c *Config) { c.Regions = []string{"us-east-1"} }, keys[1:5]},
		{"only logs after", func(c *Config) { c.OnlyLogsAfter = time.Date(2024, 5, 2, 23, 0, 0, 0, time.UTC) }, []string{keys[0], keys[2], keys[3], keys[4], keys[5]}},
		{"explicit native", func(c *Config) { c.Layout = layout.Native }, keys},
		{"explicit firehose", func(c *Config) { c.Layout = layout.Firehose }, []string{"2024/05/02/10/gd-1-2024-05-02-10-00-00-beside.gz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Root = root
			tt.cfg(&cfg)
			src := newSource(t, cfg, &testenv.State{})
			got := testenv.Keys(testenv.ListAll(t, src.List(context.Background())))
			if !slices.Equal(got, tt.wantKeys) {
				t.Errorf("listing:\n got %q\nwant %q", got, tt.wantKeys)
			}
		})
	}
}

func TestOpenAndDone(t *testing.T) {
	root := t.TempDir()
	key := fhKey("02/10", "gd-1-2024-05-02-10-00-00-aaaa")
	write(t, root, key, "body")
	ctx := context.Background()
	for _, remove := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.Root, cfg.Path, cfg.Remove = root, "fh/", remove
		src := newSource(t, cfg, &testenv.State{})
		objs := testenv.ListAll(t, src.List(ctx))
		if len(objs) != 1 {
			t.Fatalf("listing = %+v", objs)
		}
		rc, err := src.Open(ctx, objs[0])
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(b) != "body" {
			t.Fatalf("read = %q, %v", b, err)
		}
		if err := src.Done(ctx, objs[0]); err != nil {
			t.Fatal(err)
		}
		_, err = os.Stat(filepath.Join(root, filepath.FromSlash(key)))
		if remove != errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("remove=%v: stat after Done: %v", remove, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	root := t.TempDir()
	cfg := DefaultConfig()
	cfg.Root = root
	src := newSource(t, cfg, &testenv.State{})
	ctx := context.Background()
	tests := []struct {
		name string
		obj  source.Object
		want string
	}{
		{"missing", source.Object{Bucket: root, Key: "2024/05/02/10/nope"}, "2024/05/02/10/nope"},
		{"escape", source.Object{Bucket: root, Key: "../etc/passwd"}, "passwd"},
		{"other root", source.Object{Bucket: "/elsewhere", Key: "x"}, "not under"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := src.Open(ctx, tt.obj)
			if err == nil {
				rc.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %q", err, tt.want)
			}
		})
	}
}

func TestMissingRoot(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Root = filepath.Join(t.TempDir(), "nope")
	src := newSource(t, cfg, &testenv.State{})
	for _, err := range src.List(context.Background()) {
		if err == nil || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("error = %v, want one naming the root", err)
		}
		return
	}
	t.Fatal("no error for a missing root")
}

func TestNewErrors(t *testing.T) {
	if _, err := New(Config{}, &testenv.State{}, nil); err == nil {
		t.Error("New accepted an empty root")
	}
	if _, err := New(Config{Root: "/x"}, nil, nil); err == nil {
		t.Error("New accepted a nil state")
	}
}

// failingState fails every call, to check that state errors end a listing.
type failingState struct{}

var _ source.State = failingState{}

func (failingState) Cursor(context.Context, string) (string, error) {
	return "", errors.New("state down")
}
func (failingState) IsDone(context.Context, string, string) (bool, error) {
	return false, errors.New("state down")
}

func TestStateError(t *testing.T) {
	root := t.TempDir()
	write(t, root, fhKey("02/10", "gd-1-2024-05-02-10-00-00-aaaa"), "x")
	cfg := DefaultConfig()
	cfg.Root, cfg.Path = root, "fh"
	src := newSource(t, cfg, failingState{})
	var errs int
	for _, err := range src.List(context.Background()) {
		if err != nil {
			errs++
		}
	}
	if errs != 1 {
		t.Fatalf("got %d errors, want 1", errs)
	}
}

func TestListStopsEarly(t *testing.T) {
	root := t.TempDir()
	for _, k := range []string{fhKey("02/10", "gd-1-2024-05-02-10-00-00-a"), fhKey("02/11", "gd-1-2024-05-02-11-00-00-b")} {
		write(t, root, k, k)
	}
	cfg := DefaultConfig()
	cfg.Root, cfg.Path = root, "fh"
	src := newSource(t, cfg, &testenv.State{})
	n := 0
	for _, err := range src.List(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		break
	}
	if n != 1 {
		t.Fatalf("got %d objects before break", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var errs []error
	for _, err := range src.List(ctx) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
		t.Fatalf("listing with a canceled context gave %v, want one context.Canceled", errs)
	}
}
