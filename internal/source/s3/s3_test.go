package s3

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/dutywatch/dutywatch/internal/layout"
	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

const bucket = "bkt"

var now = time.Date(2024, 5, 3, 10, 30, 0, 0, time.UTC)

func fakeSource(t *testing.T, cfg Config, f *fakeS3, st source.State) *Source {
	t.Helper()
	if cfg.Bucket == "" {
		cfg.Bucket = bucket
	}
	s, err := newSource(cfg, f, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return now }
	return s
}

// fhKey is a Firehose key under "fh/" for an hour "MM/DD/HH" of 2024.
func fhKey(hour, id string) string {
	mm, dd, hh := hour[0:2], hour[3:5], hour[6:8]
	return fmt.Sprintf("fh/2024/%s/%s/%s/gd-1-2024-%s-%s-%s-00-00-%s.gz", mm, dd, hh, mm, dd, hh, id)
}

// hours returns one Firehose key per hour of day MM/DD from hour from to to.
func hours(day string, from, to int) []string {
	var keys []string
	for h := from; h <= to; h++ {
		keys = append(keys, fhKey(fmt.Sprintf("%s/%02d", day, h), "k"))
	}
	return keys
}

func TestFirehose(t *testing.T) {
	yesterday, today := hours("05/02", 0, 23), hours("05/03", 0, 10)
	f := newFake(append(yesterday, today...)...)
	f.put("fh/2024/05/03/10/") // a folder marker
	for i := range 50 {
		f.put(fmt.Sprintf("fh/processing-failed/2024/05/03/10/gd-1-2024-05-03-10-00-00-%02d", i))
	}
	st := &testenv.State{}
	src := fakeSource(t, Config{Path: "fh", Name: "gd"}, f, st)
	src.maxKeys = 4
	ctx := context.Background()

	objs := testenv.ListAll(t, src.List(ctx))
	if got := testenv.Keys(objs); !slices.Equal(got, today) {
		t.Fatalf("first run lists today only:\n got %q\nwant %q", got, today)
	}
	for _, o := range objs {
		if o.Scope != "s3://bkt/fh/" || o.Bucket != bucket || o.Source != "gd" || o.ETag != "etag" ||
			o.Size != int64(len(o.Key)) || o.LastModified.IsZero() || o.Account != "" {
			t.Fatalf("object %+v", o)
		}
	}
	// processing-failed/ sorts after the time folders: at most the page
	// holding its first key is read.
	if st := src.Stats(); st.KeysListed > int64(len(today))+1+4 {
		t.Errorf("listed %d keys for %d objects: error output was paged through", st.KeysListed, len(today))
	}
	st.CommitAll(objs)

	before := src.Stats()
	if got := testenv.ListAll(t, src.List(ctx)); len(got) != 0 {
		t.Fatalf("listing after commit = %q", testenv.Keys(got))
	}
	// The cursor is in hour 10; the 2h look-back re-lists hours 08-10.
	if d := src.Stats().KeysListed - before.KeysListed; d > 3+1+4 {
		t.Errorf("idle poll listed %d keys, want the look-back window only", d)
	}

	late := fhKey("05/03/09", "late")
	lost := fhKey("05/03/07", "lost") // outside the window: Wazuh loses every late object
	next := fhKey("05/03/11", "next")
	f.put(late, lost, next)
	got := testenv.Keys(testenv.ListAll(t, src.List(ctx)))
	if want := []string{late, next}; !slices.Equal(got, want) {
		t.Fatalf("late objects:\n got %q\nwant %q", got, want)
	}
}

func TestFirehoseOnlyLogsAfter(t *testing.T) {
	keys := append(hours("05/01", 22, 23), hours("05/02", 0, 1)...)
	f := newFake(keys...)
	st := &testenv.State{}
	cfg := Config{Path: "fh/", OnlyLogsAfter: time.Date(2024, 5, 2, 15, 0, 0, 0, time.UTC)}
	src := fakeSource(t, cfg, f, st)
	ctx := context.Background()
	objs := testenv.ListAll(t, src.List(ctx))
	if got := testenv.Keys(objs); !slices.Equal(got, keys[2:]) {
		t.Fatalf("listing:\n got %q\nwant %q", got, keys[2:])
	}
	st.CommitAll(objs)
	// A late object behind the cursor but before OnlyLogsAfter's day stays
	// out, whatever the look-back.
	f.put(fhKey("05/01/23", "late"))
	if got := testenv.ListAll(t, src.List(ctx)); len(got) != 0 {
		t.Fatalf("listed %q", testenv.Keys(got))
	}
}

func TestFirehoseForgottenKeys(t *testing.T) {
	keys := hours("05/03", 0, 10)
	f := newFake(keys...)
	st := &testenv.State{}
	src := fakeSource(t, Config{Path: "fh"}, f, st)
	ctx := context.Background()
	st.CommitAll(testenv.ListAll(t, src.List(ctx)))
	// Pruning the done-set by age must not bring old objects back; inside
	// the look-back window a forgotten key is listed again.
	st.Forget("s3://bkt/fh/", keys[0])
	st.Forget("s3://bkt/fh/", keys[9])
	got := testenv.Keys(testenv.ListAll(t, src.List(ctx)))
	if want := keys[9:10]; !slices.Equal(got, want) {
		t.Fatalf("listing = %q, want %q", got, want)
	}
}

// TestListingCost checks that a poll costs O(new + look-back), not
// O(history): a week of objects, 12 an hour.
func TestListingCost(t *testing.T) {
	f := newFake()
	for d := range 7 {
		for h := range 24 {
			for m := range 12 {
				hour := fmt.Sprintf("04/%02d/%02d", 20+d, h)
				f.put(fhKey(hour, fmt.Sprintf("%02d", m)))
			}
		}
	}
	st := &testenv.State{}
	cfg := Config{Path: "fh", OnlyLogsAfter: time.Date(2024, 4, 20, 0, 0, 0, 0, time.UTC)}
	src := fakeSource(t, cfg, f, st)
	ctx := context.Background()
	objs := testenv.ListAll(t, src.List(ctx))
	if len(objs) != 7*24*12 {
		t.Fatalf("listed %d objects", len(objs))
	}
	st.CommitAll(objs)
	f.put(fhKey("04/27/00", "new1"), fhKey("04/27/00", "new2"))

	before := src.Stats()
	got := testenv.ListAll(t, src.List(ctx))
	cost := src.Stats()
	lists, keys := cost.ListCalls-before.ListCalls, cost.KeysListed-before.KeysListed
	if len(got) != 2 {
		t.Fatalf("listed %q", testenv.Keys(got))
	}
	// Window: hours 21, 22 and 23 of the cursor's day, 12 keys each.
	if keys != 3*12+2 || lists != 1 {
		t.Errorf("poll cost %d list calls and %d keys, want 1 call (the layout is known) and %d keys", lists, keys, 3*12+2)
	}
}

// native builds a native key of 2024-05-DD.
func native(org, account, region, dd, id string) string {
	return "AWSLogs/" + org + account + "/GuardDuty/" + region + "/2024/05/" + dd + "/" + id + ".jsonl.gz"
}

const (
	acctA = "111111111111"
	acctB = "222222222222"
	acctC = "333333333333"
)

func TestNative(t *testing.T) {
	keys := []string{
		native("", acctA, "eu-west-1", "03", "7f"),
		native("", acctA, "us-east-1", "02", "aa"),
		native("", acctA, "us-east-1", "03", "c1"),
		native("", acctA, "us-east-1", "03", "f9"),
		native("", acctB, "ap-south-1", "03", "11"), // a region account A does not have
		native("", acctB, "us-east-1", "03", "22"),
		native("o-abcdef1234/", acctC, "us-west-2", "03", "33"),
	}
	f := newFake(keys...)
	f.put("AWSLogs/"+acctA+"/CloudTrail/us-east-1/2024/05/03/x.json.gz",
		"AWSLogs/notes.txt", "AWSLogs/12345/GuardDuty/us-east-1/2024/05/03/x.jsonl.gz",
		"AWSLogs/"+acctA+"/GuardDuty/us-east-1/2024/05/03/")
	st := &testenv.State{}
	cfg := Config{NativeLookBackDays: 1, OnlyLogsAfter: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)}
	src := fakeSource(t, cfg, f, st)
	src.maxKeys = 2
	ctx := context.Background()

	objs := testenv.ListAll(t, src.List(ctx))
	if got := testenv.Keys(objs); !slices.Equal(got, keys) {
		t.Fatalf("listing:\n got %q\nwant %q", got, keys)
	}
	for _, o := range objs {
		info, _ := layout.Parse("", o.Key)
		scope := "s3://bkt/" + o.Key[:strings.Index(o.Key, "/"+info.Region+"/")+len(info.Region)+2]
		if o.Scope != scope || o.Account != info.Account || o.Region != info.Region {
			t.Errorf("object %+v, want scope %q", o, scope)
		}
	}
	st.CommitAll(objs)

	// Each (account, region) has its own cursor (wazuh#27781: one region's
	// marker hid the others). Native names are random, so new objects
	// sort anywhere inside their day.
	newKeys := []string{
		native("", acctA, "eu-west-1", "03", "00"), // below its own cursor
		native("", acctA, "us-east-1", "02", "00"), // the previous day, in the window
		native("", acctA, "us-east-1", "01", "00"), // two days back: outside the window
		native("", acctB, "ap-south-1", "04", "00"),
	}
	f.put(newKeys...)
	got := testenv.Keys(testenv.ListAll(t, src.List(ctx)))
	if want := []string{newKeys[0], newKeys[1], newKeys[3]}; !slices.Equal(got, want) {
		t.Fatalf("second listing:\n got %q\nwant %q", got, want)
	}
}

func TestNativeFilters(t *testing.T) {
	keys := []string{
		native("", acctA, "eu-west-1", "03", "1"),
		native("", acctA, "us-east-1", "03", "2"),
		native("", acctB, "us-east-1", "03", "3"),
	}
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"all", Config{}, keys},
		{"accounts", Config{Accounts: []string{acctB}}, keys[2:]},
		{"regions", Config{Regions: []string{"us-east-1"}}, keys[1:]},
		{"path suffix", Config{PathSuffix: "o-abcdef1234"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fakeSource(t, tt.cfg, newFake(keys...), &testenv.State{})
			if got := testenv.Keys(testenv.ListAll(t, src.List(context.Background()))); !slices.Equal(got, tt.want) {
				t.Errorf("listing:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
	yesterday := native("", acctA, "us-east-1", "02", "y")
	src := fakeSource(t, Config{}, newFake(yesterday), &testenv.State{})
	if got := testenv.ListAll(t, src.List(context.Background())); len(got) != 0 {
		t.Errorf("first run without OnlyLogsAfter listed %q", testenv.Keys(got))
	}
}

func TestLayoutDetection(t *testing.T) {
	ctx := context.Background()
	fh := fhKey("05/03/10", "a")
	nat := native("", acctA, "us-east-1", "03", "b")

	t.Run("firehose sticks once seen", func(t *testing.T) {
		f := newFake(fh)
		src := fakeSource(t, Config{Path: "fh"}, f, &testenv.State{})
		testenv.ListAll(t, src.List(ctx))
		f.put("fh/" + nat)
		got := testenv.Keys(testenv.ListAll(t, src.List(ctx)))
		if !slices.Equal(got, []string{fh}) {
			t.Fatalf("listing = %q", got)
		}
	})
	t.Run("native", func(t *testing.T) {
		src := fakeSource(t, Config{}, newFake(nat, "2024/05/03/10/gd-1-2024-05-03-10-00-00-x"), &testenv.State{})
		got := testenv.Keys(testenv.ListAll(t, src.List(ctx)))
		if !slices.Equal(got, []string{nat}) {
			t.Fatalf("listing = %q", got)
		}
	})
	t.Run("explicit firehose beside AWSLogs", func(t *testing.T) {
		f := newFake(nat, "2024/05/03/10/gd-1-2024-05-03-10-00-00-x")
		for i := range 20 {
			f.put(native("", acctA, "us-east-1", "03", fmt.Sprint(i)))
		}
		src := fakeSource(t, Config{Layout: layout.Firehose}, f, &testenv.State{})
		src.maxKeys = 2
		got := testenv.Keys(testenv.ListAll(t, src.List(ctx)))
		if !slices.Equal(got, []string{"2024/05/03/10/gd-1-2024-05-03-10-00-00-x"}) {
			t.Fatalf("listing = %q", got)
		}
		if n := src.Stats().KeysListed; n > 3 {
			t.Errorf("listed %d keys: paged through AWSLogs/", n)
		}
	})
}

// failingState fails every call.
type failingState struct{}

var _ source.State = failingState{}

func (failingState) Cursor(context.Context, string) (string, error) {
	return "", errors.New("state down")
}
func (failingState) IsDone(context.Context, string, string) (bool, error) {
	return false, errors.New("state down")
}

func TestListErrors(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}
	tests := []struct {
		name  string
		fake  *fakeS3
		state source.State
		want  string
	}{
		{"state", newFake(fhKey("05/03/10", "a")), failingState{}, "state down"},
		{"access denied", &fakeS3{listErr: denied}, &testenv.State{}, "list s3://bkt/fh/AWSLogs/: access denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fakeSource(t, Config{Path: "fh"}, tt.fake, tt.state)
			var errs []error
			for _, err := range src.List(context.Background()) {
				if err != nil {
					errs = append(errs, err)
				}
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Fatalf("errors = %v, want one containing %q", errs, tt.want)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := newSource(Config{}, newFake(), &testenv.State{}, nil); err == nil {
		t.Error("accepted an empty bucket")
	}
	if _, err := newSource(Config{Bucket: "b"}, newFake(), nil, nil); err == nil {
		t.Error("accepted a nil state")
	}
	if _, err := New(Config{Bucket: "b"}, nil, &testenv.State{}, nil); err == nil {
		t.Error("accepted a nil client")
	}
}
