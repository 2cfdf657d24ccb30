package doctor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/layout"
	"github.com/dutywatch/dutywatch/internal/source/dir"
)

func writeFile(t *testing.T, root, key string, body []byte) {
	t.Helper()
	name := filepath.Join(root, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, body, 0o644); err != nil {
		t.Fatal(err)
	}
}

func generateDir(t *testing.T, root string, cfg generator.Config) {
	t.Helper()
	if _, err := generator.Generate(context.Background(), cfg, generator.DirWriter{Root: root}); err != nil {
		t.Fatal(err)
	}
}

// withFirehose fills root with recent Firehose objects under fh/ and
// returns a config reading them.
func withFirehose(t *testing.T, root string) dir.Config {
	generateDir(t, root, recent(generator.LayoutFirehose, "fh/"))
	return dir.Config{Name: "inbox", Root: root, Path: "fh"}
}

func TestCheckDir(t *testing.T) {
	newest := firehoseKey("fh/", time.Now().Add(-time.Minute))
	readFails := func(detail []string, fix ...string) []row {
		return []row{{name: "folder", result: OK}, {name: "layout", result: OK}, {name: "objects", result: OK},
			{name: "read", result: Fail, detail: detail, fix: fix}}
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, root string) (dir.Config, Options)
		want  []row
	}{{
		name: "healthy firehose",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			return withFirehose(t, root), Options{}
		},
		want: []row{
			{name: "folder", result: OK, detail: []string{"fh is readable"}},
			{name: "layout", result: OK, detail: []string{"firehose (auto: nothing under ", "fh/AWSLogs"}},
			{name: "objects", result: OK, detail: []string{"first ", "last "}},
			{name: "read", result: OK, detail: []string{"10 records, 10 findings"}},
		},
	}, {
		name: "healthy native with an organization folder",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			generateDir(t, root, recent(generator.LayoutNative, "exp/"))
			org := filepath.Join(root, "exp", "AWSLogs", "o-a1b2c3d4e5")
			os.MkdirAll(org, 0o755)
			if err := os.Rename(filepath.Join(root, "exp/AWSLogs/444455556666"), filepath.Join(org, "444455556666")); err != nil {
				t.Fatal(err)
			}
			return dir.Config{Root: root, Path: "exp/", Regions: []string{"us-east-1"}}, Options{}
		},
		want: []row{
			{name: "folder", result: OK},
			{name: "layout", result: OK, detail: []string{"native (auto: ", "2 accounts, 4 account/region folders: 111122223333 (eu-west-1, us-east-1), 444455556666 (eu-west-1, us-east-1); 2 of them pass the aws_account_id and regions filters"}},
			{name: "objects 111122223333", result: OK, detail: []string{"us-east-1 "}},
			{name: "objects 444455556666", result: OK, detail: []string{"us-east-1 "}},
			{name: "read", result: OK, detail: []string{"/GuardDuty/us-east-1/", "jsonl.gz (gzip, "}},
		},
	}, {
		name: "account filter matches nothing",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			generateDir(t, root, recent(generator.LayoutNative, ""))
			return dir.Config{Root: root, Accounts: []string{"999999999999"}}, Options{}
		},
		want: []row{
			{name: "folder", result: OK},
			{name: "layout", result: Fail, detail: []string{"no account/region folder passes aws_account_id [999999999999]", "found 2 accounts"},
				fix: []string{"set aws_account_id and regions"}},
			{name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}, {
		name: "AWSLogs of another service",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			writeFile(t, root, "AWSLogs/123456789012/CloudTrail/us-east-1/2025/01/02/x.json.gz", []byte("{}"))
			return dir.Config{Root: root}, Options{}
		},
		want: []row{
			{name: "folder", result: OK},
			{name: "layout", result: Fail, detail: []string{"account folders 123456789012 hold no GuardDuty/<region>/ folders"}, fix: []string{"layout: firehose"}},
			{name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}, {
		name: "native configured, no export tree",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			cfg := withFirehose(t, root)
			cfg.Layout = layout.Native
			return cfg, Options{}
		},
		want: []row{
			{name: "folder", result: OK},
			{name: "layout", result: Fail, detail: []string{"native (configured), but nothing under "}, fix: []string{"set layout: firehose"}},
			{name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}, {
		name: "no such folder",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			return dir.Config{Root: filepath.Join(root, "missing")}, Options{}
		},
		want: []row{
			{name: "folder", result: Fail, detail: []string{"no folder ", "missing"}, fix: []string{"check dir"}},
			{name: "layout", result: Skip}, {name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}, {
		name: "no such path",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			return dir.Config{Root: root, Path: "firehose/"}, Options{}
		},
		want: []row{
			{name: "folder", result: Fail, detail: []string{"no folder firehose/ under "}, fix: []string{"check path"}},
			{name: "layout", result: Skip}, {name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}, {
		name: "path without time folders",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			writeFile(t, root, "fh/processing-failed/x", []byte("{}"))
			writeFile(t, root, "fh/notes.txt", []byte("hi"))
			return dir.Config{Root: root, Path: "fh"}, Options{}
		},
		want: []row{
			{name: "folder", result: OK}, {name: "layout", result: OK},
			{name: "objects", result: Warn, detail: []string{"no Firehose objects"}, fix: []string{"holds notes.txt, processing-failed/, but no YYYY/MM/DD/HH/ folders"}},
			{name: "read", result: Skip},
		},
	}, {
		name: "firehose configured over a native tree",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			generateDir(t, root, recent(generator.LayoutNative, ""))
			return dir.Config{Root: root, Layout: layout.Firehose}, Options{}
		},
		want: []row{
			{name: "folder", result: OK},
			{name: "layout", result: OK, detail: []string{"firehose (configured)", "AWSLogs", "is also there and is not read"}},
			{name: "objects", result: Warn, fix: []string{"set layout: native or auto"}},
			{name: "read", result: Skip},
		},
	}, {
		name: "record that is not a finding",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			cfg := withFirehose(t, root)
			writeFile(t, root, newest, []byte(`{"detail-type":"GuardDuty Finding","detail":{"a":1}}`+"\n"+`{"hello":"world"}`))
			return cfg, Options{}
		},
		want: readFails([]string{newest + ": byte 0: record 1 is not a GuardDuty finding: envelope detail: not a GuardDuty finding"}, "replace or remove"),
	}, {
		name: "broken json",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			cfg := withFirehose(t, root)
			writeFile(t, root, newest, []byte(`{"a":[1}`))
			return cfg, Options{}
		},
		want: readFails([]string{newest + ": byte 7: "}, "replace or remove"),
	}, {
		name: "parquet object",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			cfg := withFirehose(t, root)
			writeFile(t, root, newest, []byte("PAR1\x15\x04\x15\x10\x15\x14L"))
			return cfg, Options{}
		},
		want: readFails([]string{newest, "bad format"}, "record format conversion"),
	}, {
		name: "only other detail types",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			cfg := withFirehose(t, root)
			writeFile(t, root, newest, []byte(`{"detail-type":"GuardDuty Runtime Protection Unhealthy","detail":{}}`))
			return cfg, Options{}
		},
		want: []row{{name: "folder", result: OK}, {name: "layout", result: OK}, {name: "objects", result: OK},
			{name: "read", result: Warn, detail: []string{"1 record, 0 findings: only events of other detail types"}, fix: []string{`"GuardDuty Finding"`}}},
	}, {
		name: "empty object",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			cfg := withFirehose(t, root)
			writeFile(t, root, newest, nil)
			return cfg, Options{}
		},
		want: []row{{name: "folder", result: OK}, {name: "layout", result: OK}, {name: "objects", result: OK},
			{name: "read", result: Warn, detail: []string{"(plain, 0 B): 0 records, 0 findings: the object is empty"}}},
	}, {
		name: "only_logs_after past the newest object",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			cfg := withFirehose(t, root)
			cfg.OnlyLogsAfter = time.Now().AddDate(0, 0, 3)
			return cfg, Options{}
		},
		want: []row{{name: "folder", result: OK}, {name: "layout", result: OK},
			{name: "objects", result: Warn, detail: []string{"is after the newest object, so nothing is read yet"}, fix: []string{"set only_logs_after: "}},
			{name: "read", result: OK}},
	}, {
		name: "stale",
		setup: func(t *testing.T, root string) (dir.Config, Options) {
			later := time.Now().AddDate(0, 0, 30)
			return withFirehose(t, root), Options{Now: func() time.Time { return later }}
		},
		want: []row{{name: "folder", result: OK}, {name: "layout", result: OK},
			{name: "objects", result: Warn, detail: []string{"(newest 3"}, fix: []string{"nothing new for 3", "still publishes here"}},
			{name: "read", result: OK}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, opt := tt.setup(t, t.TempDir())
			checkRows(t, CheckDir(context.Background(), cfg, opt), tt.want)
		})
	}
}

func TestCheckDirUnreadable(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root reads every file; run as another user to test permissions")
	}
	root := t.TempDir()
	cfg := withFirehose(t, root)
	newest := firehoseKey("fh/", time.Now().Add(-time.Minute))
	writeFile(t, root, newest, []byte("{}"))
	if err := os.Chmod(filepath.Join(root, filepath.FromSlash(newest)), 0); err != nil {
		t.Fatal(err)
	}
	checkRows(t, CheckDir(context.Background(), cfg, Options{}), []row{
		{name: "folder", result: OK}, {name: "layout", result: OK}, {name: "objects", result: OK},
		{name: "read", result: Fail, detail: []string{"permission denied"}, fix: []string{"let the user dutywatch runs as"}},
	})
}
