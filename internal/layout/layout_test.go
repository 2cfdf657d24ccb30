package layout

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParse(t *testing.T) {
	const uuid = "5b1c9d2e-8f3a-4b7c-9d1e-2f3a4b5c6d7e"
	tests := []struct {
		name, path, key string
		want            Info
	}{
		{
			name: "firehose gzip under path",
			path: "firehose",
			key:  "firehose/2024/05/01/13/gd-to-s3-1-2024-05-01-13-05-12-" + uuid + ".gz",
			want: Info{Kind: Firehose, Time: utc("2024-05-01T13:05:12Z"), Folder: utc("2024-05-01T13:00:00Z"), Stream: "gd-to-s3"},
		},
		{
			name: "firehose no path no extension",
			key:  "2024/05/01/13/stream-12-2024-05-01-12-59-59-" + uuid,
			want: Info{Kind: Firehose, Time: utc("2024-05-01T12:59:59Z"), Folder: utc("2024-05-01T13:00:00Z"), Stream: "stream"},
		},
		{
			name: "firehose stream name with digits and dashes",
			path: "a/b/",
			key:  "a/b/2024/12/31/23/gd-2-9-2024-12-31-23-59-00-" + uuid + ".snappy",
			want: Info{Kind: Firehose, Time: utc("2024-12-31T23:59:00Z"), Folder: utc("2024-12-31T23:00:00Z"), Stream: "gd-2"},
		},
		{
			name: "firehose odd name keeps folder hour",
			path: "p/",
			key:  "p/2024/05/01/13/custom-name.json",
			want: Info{Kind: Firehose, Time: utc("2024-05-01T13:00:00Z"), Folder: utc("2024-05-01T13:00:00Z")},
		},
		{
			name: "firehose leading slash in path",
			path: "/firehose/",
			key:  "firehose/2024/05/01/00/s-1-2024-05-01-00-00-00-x",
			want: Info{Kind: Firehose, Time: utc("2024-05-01T00:00:00Z"), Folder: utc("2024-05-01T00:00:00Z"), Stream: "s"},
		},
		{
			name: "native",
			key:  "AWSLogs/123456789012/GuardDuty/us-east-2/2025/01/20/c070f933-2b1b-47d0-b6d2-79174e3e54a1.jsonl.gz",
			want: Info{Kind: Native, Time: utc("2025-01-20T00:00:00Z"), Folder: utc("2025-01-20T00:00:00Z"), Account: "123456789012", Region: "us-east-2"},
		},
		{
			name: "native with path and org folder",
			path: "exports",
			key:  "exports/AWSLogs/o-abcdef1234/123456789012/GuardDuty/us-gov-west-1/2022/09/20/09d41cb2.jsonl.gz",
			want: Info{Kind: Native, Time: utc("2022-09-20T00:00:00Z"), Folder: utc("2022-09-20T00:00:00Z"), Account: "123456789012", Region: "us-gov-west-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.path, tt.key)
			if err != nil {
				t.Fatalf("Parse(%q, %q): %v", tt.path, tt.key, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q, %q)\n got %+v\nwant %+v", tt.path, tt.key, got, tt.want)
			}
		})
	}
}

func TestParseNoMatch(t *testing.T) {
	tests := []struct{ name, path, key string }{
		{"empty", "", ""},
		{"folder marker", "p/", "p/2024/05/01/13/"},
		{"path itself", "p/", "p/"},
		{"outside path", "p/", "q/2024/05/01/13/s-1-2024-05-01-13-00-00-x"},
		{"processing failed", "", "processing-failed/2024/05/01/13/s-1-2024-05-01-13-00-00-x"},
		{"hive style", "p/", "p/dt=2024-05-01/s-1-2024-05-01-13-00-00-x"},
		{"day folder only", "p/", "p/2024/05/01/s-1-2024-05-01-13-00-00-x"},
		{"deeper than hour", "p/", "p/2024/05/01/13/sub/x"},
		{"bad month", "p/", "p/2024/13/01/13/x"},
		{"bad hour", "p/", "p/2024/05/01/24/x"},
		{"feb 30", "p/", "p/2024/02/30/10/x"},
		{"signed digits", "p/", "p/+024/05/01/10/x"},
		{"stray file", "p/", "p/README.md"},
		{"native short account", "", "AWSLogs/12345/GuardDuty/us-east-1/2024/05/01/x.jsonl.gz"},
		{"native cloudtrail", "", "AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/x.json.gz"},
		{"native bad region", "", "AWSLogs/123456789012/GuardDuty/US-EAST-1/2024/05/01/x.jsonl.gz"},
		{"native folder", "", "AWSLogs/123456789012/GuardDuty/us-east-1/2024/05/01/"},
		{"native extra folder", "", "AWSLogs/123456789012/GuardDuty/us-east-1/2024/05/01/a/x"},
		{"native empty segment", "", "AWSLogs//123456789012/GuardDuty/us-east-1/2024/05/01/x"},
		{"native bad day", "", "AWSLogs/123456789012/GuardDuty/us-east-1/2024/05/32/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Parse(tt.path, tt.key)
			if !errors.Is(err, ErrNoMatch) {
				t.Fatalf("Parse(%q, %q) = %+v, %v; want ErrNoMatch", tt.path, tt.key, info, err)
			}
		})
	}
}

func TestFirehoseStartAfter(t *testing.T) {
	at := utc("2024-05-01T13:45:00Z")
	got := FirehoseStartAfter("p", at)
	if got != "p/2024/05/01/13/" {
		t.Fatalf("FirehoseStartAfter = %q", got)
	}
	in := "p/2024/05/01/13/s-1-2024-05-01-13-00-00-x"
	before := "p/2024/05/01/12/s-1-2024-05-01-12-59-59-x"
	if !(before < got && got < in) {
		t.Errorf("want %q < %q < %q", before, got, in)
	}
	if got := FirehoseStartAfter("", at.In(time.FixedZone("x", 3600))); got != "2024/05/01/13/" {
		t.Errorf("FirehoseStartAfter in another zone = %q, want UTC hour", got)
	}
}

func TestNativePrefixes(t *testing.T) {
	rp := NativeRegionPrefix("/x", "o-abcdef1234", "123456789012", "eu-west-1")
	if rp != "x/AWSLogs/o-abcdef1234/123456789012/GuardDuty/eu-west-1/" {
		t.Fatalf("NativeRegionPrefix = %q", rp)
	}
	if got := NativeRoot("", ""); got != "AWSLogs/" {
		t.Errorf("NativeRoot = %q", got)
	}
	if got := NativeDayPrefix(rp, utc("2024-01-02T23:00:00Z")); got != rp+"2024/01/02/" {
		t.Errorf("NativeDayPrefix = %q", got)
	}
}

func TestWindowFirehose(t *testing.T) {
	now := utc("2024-05-03T10:20:00Z")
	cursor := "p/2024/05/01/13/s-1-2024-05-01-13-05-00-x.gz"
	tests := []struct {
		name   string
		w      Window
		cursor string
		want   string
	}{
		{"first run today", Window{LookBack: 2 * time.Hour}, "", "p/2024/05/03/00/"},
		{"first run only logs after", Window{OnlyLogsAfter: utc("2024-04-30T15:00:00Z")}, "", "p/2024/04/30/00/"},
		{"look back two hours", Window{LookBack: 2 * time.Hour}, cursor, "p/2024/05/01/11/"},
		{"look back across a day", Window{LookBack: 14 * time.Hour}, cursor, "p/2024/04/30/23/"},
		{"no look back", Window{}, cursor, "p/2024/05/01/13/"},
		{"only logs after wins", Window{LookBack: 2 * time.Hour, OnlyLogsAfter: utc("2024-05-02T00:00:00Z")}, cursor, "p/2024/05/02/00/"},
		{"unparsable cursor", Window{LookBack: time.Hour}, "p/zzz", "p/zzz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.FirehoseStart("p", tt.cursor, now); got != tt.want {
				t.Errorf("FirehoseStart = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWindowNative(t *testing.T) {
	now := utc("2024-05-03T10:20:00Z")
	rp := "AWSLogs/123456789012/GuardDuty/us-east-1/"
	cursor := rp + "2024/05/01/ffff.jsonl.gz"
	tests := []struct {
		name   string
		w      Window
		cursor string
		want   string
	}{
		{"first run today", Window{LookBackDays: 1}, "", rp + "2024/05/03/"},
		{"first run only logs after", Window{OnlyLogsAfter: utc("2024-04-01T00:00:00Z")}, "", rp + "2024/04/01/"},
		{"previous day", Window{LookBackDays: 1}, cursor, rp + "2024/04/30/"},
		{"cursor day", Window{}, cursor, rp + "2024/05/01/"},
		{"only logs after wins", Window{LookBackDays: 3, OnlyLogsAfter: utc("2024-04-30T00:00:00Z")}, cursor, rp + "2024/04/30/"},
		{"cursor of another scope", Window{LookBackDays: 1}, "AWSLogs/x", "AWSLogs/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.NativeStart(rp, tt.cursor, now); got != tt.want {
				t.Errorf("NativeStart = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseKind(t *testing.T) {
	for in, want := range map[string]Kind{"": Auto, "auto": Auto, "Firehose": Firehose, "native": Native} {
		if got, err := ParseKind(in); err != nil || got != want {
			t.Errorf("ParseKind(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseKind("hive"); err == nil || !strings.Contains(err.Error(), "hive") {
		t.Errorf("ParseKind(hive) error = %v", err)
	}
}

func TestIsRegion(t *testing.T) {
	for s, want := range map[string]bool{
		"us-east-1": true, "us-gov-west-1": true, "cn-northwest-1": true, "ap-southeast-5": true,
		"us-east": false, "useast-1": false, "us--1": false, "us-east-1a": false, "US-east-1": false, "": false,
	} {
		if got := IsRegion(s); got != want {
			t.Errorf("IsRegion(%q) = %v", s, got)
		}
	}
}

func TestIsOrgFolder(t *testing.T) {
	for s, want := range map[string]bool{"o-abcdef1234": true, "o-abc": false, "123456789012": false, "o-ABCDEF1234": false} {
		if got := IsOrgFolder(s); got != want {
			t.Errorf("IsOrgFolder(%q) = %v", s, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("firehose/", "firehose/2024/05/01/13/gd-1-2024-05-01-13-05-12-5b1c.gz")
	f.Add("", "AWSLogs/123456789012/GuardDuty/us-east-1/2024/05/01/x.jsonl.gz")
	f.Fuzz(func(t *testing.T, path, key string) {
		info, err := Parse(path, key)
		if err != nil {
			if !errors.Is(err, ErrNoMatch) {
				t.Fatalf("error %v does not wrap ErrNoMatch", err)
			}
			return
		}
		p := CleanPath(path)
		if !strings.HasPrefix(key, p) || strings.HasSuffix(key, "/") {
			t.Fatalf("matched %q under %q", key, p)
		}
		if info.Time.Location() != time.UTC || info.Folder.Location() != time.UTC {
			t.Fatalf("times not UTC: %+v", info)
		}
		switch info.Kind {
		case Firehose:
			if sa := FirehoseStartAfter(p, info.Folder); !strings.HasPrefix(key, sa) {
				t.Fatalf("key %q not under its hour %q", key, sa)
			}
		case Native:
			rp := "/" + info.Account + "/GuardDuty/" + info.Region + "/"
			if !IsAccount(info.Account) || !strings.Contains(key, NativeDayPrefix(rp, info.Folder)) {
				t.Fatalf("key %q: bad native info %+v", key, info)
			}
		default:
			t.Fatalf("kind %v", info.Kind)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	keys := []struct{ path, key string }{
		{"firehose/", "firehose/2024/05/01/13/gd-to-s3-1-2024-05-01-13-05-12-5b1c9d2e-8f3a-4b7c-9d1e-2f3a4b5c6d7e.gz"},
		{"", "AWSLogs/123456789012/GuardDuty/us-east-2/2025/01/20/c070f933-2b1b-47d0-b6d2-79174e3e54a1.jsonl.gz"},
	}
	for _, k := range keys {
		b.Run(k.key[:8], func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse(k.path, k.key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestPruneFloor(t *testing.T) {
	w := Window{LookBack: 2 * time.Hour, LookBackDays: 1}
	cursor := "fh/2025/01/20/13/gd-1-2025-01-20-13-05-00-aaaa.gz"
	floor := w.PruneFloor(Firehose, "fh/", cursor)
	if floor != "fh/2025/01/13/11/" {
		t.Errorf("firehose floor = %q; want a week and 2h before the cursor's hour", floor)
	}
	if start := w.FirehoseStart("fh/", cursor, time.Now()); floor > start {
		t.Errorf("floor %q above the listing start %q", floor, start)
	}
	native := "AWSLogs/111122223333/GuardDuty/us-east-1/"
	if got := w.PruneFloor(Native, native, native+"2025/01/20/uuid.jsonl.gz"); got != native+"2025/01/12/" {
		t.Errorf("native floor = %q", got)
	}
	if got := w.PruneFloor(Firehose, "fh/", ""); got != "" {
		t.Errorf("floor without a cursor = %q; want none", got)
	}
}
