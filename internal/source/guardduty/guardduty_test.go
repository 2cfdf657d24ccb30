package guardduty

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/source"
)

const (
	east = "us-east-1"
	det  = "det1"
)

// fid returns a finding id like GuardDuty's (32 hex digits).
func fid(i int) string { return fmt.Sprintf("%032x", i) }

func versionSet(vs []version) map[version]bool {
	m := make(map[version]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

func TestFirstPollCriteriaAndPaging(t *testing.T) {
	gd := newFakeGuardDuty(t)
	gd.addDetector(east, det)
	var want []version
	for i := range 120 {
		want = append(want, gd.put(east, det, fakeFinding{id: fid(i), updatedAt: t0.Add(-23*time.Hour + time.Duration(i)*time.Minute), count: 1}))
	}
	gd.put(east, det, fakeFinding{id: fid(500), updatedAt: t0.Add(-25 * time.Hour), count: 1}) // before the look-back
	gd.put(east, det, fakeFinding{id: fid(501), updatedAt: t0.Add(-time.Hour), count: 1, archived: true})
	clk := &clock{t: t0}
	st := newFakeState()
	s := newTestSource(t, gd, Config{Name: "gd"}, st, clk)

	res, err := poll(t, s, st, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got := versionSet(res.versions); !maps(got, versionSet(want)) {
		t.Errorf("first poll: got %d versions, want the %d in the look-back", len(got), len(want))
	}
	if len(res.objects) != 3 || !slices.Equal(gd.getSizes, []int{50, 50, 20}) {
		t.Errorf("objects %d, GetFindings sizes %v; want 3 objects of 50, 50, 20", len(res.objects), gd.getSizes)
	}
	for i, o := range res.objects {
		k, err := parseKey(o.Key)
		if err != nil {
			t.Fatal(err)
		}
		if o.Scope != "guardduty-api://us-east-1/det1/" || o.Region != east || o.Account != "123456789012" || o.Source != "gd" || o.ETag != k.Hash || o.Bucket != "" {
			t.Errorf("object %d: %+v", i, o)
		}
		if i > 0 && o.Key < res.objects[i-1].Key {
			t.Errorf("keys out of order: %s after %s", o.Key, res.objects[i-1].Key)
		}
	}
	last, _ := parseKey(res.objects[2].Key)
	if newest := want[len(want)-1].UpdatedAt; !last.Time.Equal(newest) {
		t.Errorf("last key time %v, want the newest updatedAt %v", last.Time, newest)
	}

	if len(gd.listBodies) != 3 {
		t.Fatalf("%d ListFindings calls, want 3", len(gd.listBodies))
	}
	for i, req := range gd.listBodies {
		checkCriteria(t, req, t0.Add(-24*time.Hour), true, 50)
		if wantToken := []string{"", "off-50", "off-100"}[i]; req.NextToken != wantToken {
			t.Errorf("page %d: nextToken %q, want %q", i, req.NextToken, wantToken)
		}
	}

	// The next poll starts Overlap before the watermark and finds nothing
	// new: the versions in the overlap were committed by this process.
	clk.add(time.Minute)
	res, err = poll(t, s, st, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.objects) != 0 {
		t.Errorf("second poll yielded %d objects, want none", len(res.objects))
	}
	checkCriteria(t, gd.lastList(), last.Time.Add(-5*time.Minute), true, 50)
}

func maps(a, b map[version]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// checkCriteria checks a ListFindings body: updatedAt >= start in epoch
// milliseconds, archived left out when activeOnly, sorted by updatedAt
// ascending, pageSize per page.
func checkCriteria(t *testing.T, req listRequest, start time.Time, activeOnly bool, pageSize int) {
	t.Helper()
	c := req.FindingCriteria.Criterion
	if got := string(c["updatedAt"]["greaterThanOrEqual"]); got != fmt.Sprint(start.UnixMilli()) {
		t.Errorf("updatedAt greaterThanOrEqual %s, want %d (%v)", got, start.UnixMilli(), start)
	}
	if len(c["updatedAt"]) != 1 {
		t.Errorf("updatedAt condition %v, want only greaterThanOrEqual", c["updatedAt"])
	}
	archived, ok := c["service.archived"]
	if activeOnly && (!ok || string(archived["equals"]) != `["false"]`) || !activeOnly && ok {
		t.Errorf("service.archived condition %v (present %v), want active only: %v", archived, ok, activeOnly)
	}
	if req.SortCriteria.AttributeName != "updatedAt" || req.SortCriteria.OrderBy != "ASC" || req.MaxResults != pageSize {
		t.Errorf("sort %+v, maxResults %d; want updatedAt ASC, %d", req.SortCriteria, req.MaxResults, pageSize)
	}
}

func TestIncludeArchived(t *testing.T) {
	gd := newFakeGuardDuty(t)
	gd.addDetector(east, det)
	a := gd.put(east, det, fakeFinding{id: fid(1), updatedAt: t0.Add(-time.Hour), count: 1, archived: true})
	b := gd.put(east, det, fakeFinding{id: fid(2), updatedAt: t0.Add(-time.Hour), count: 1})
	for _, tc := range []struct {
		name    string
		include bool
		want    []version
	}{
		{"active only", false, []version{b}},
		{"archived too", true, []version{a, b}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newFakeState()
			s := newTestSource(t, gd, Config{IncludeArchived: tc.include}, st, &clock{t: t0})
			res, err := poll(t, s, st, -1)
			if err != nil {
				t.Fatal(err)
			}
			if !maps(versionSet(res.versions), versionSet(tc.want)) {
				t.Errorf("got %v, want %v", res.versions, tc.want)
			}
			checkCriteria(t, gd.lastList(), t0.Add(-24*time.Hour), !tc.include, 50)
		})
	}
}

// Many findings share one updatedAt across page boundaries; more with the
// same time become visible later. None is lost, none delivered twice by
// one process, and a restarted process re-forms the same objects and
// skips them as done.
func TestEqualUpdatedAtAcrossPages(t *testing.T) {
	gd := newFakeGuardDuty(t)
	gd.addDetector(east, det)
	same := t0.Add(-10 * time.Minute)
	var want []version
	for i := range 130 {
		want = append(want, gd.put(east, det, fakeFinding{id: fid(1000 + i), updatedAt: same, count: 1}))
	}
	clk := &clock{t: t0}
	st := newFakeState()
	s := newTestSource(t, gd, Config{}, st, clk)
	res, err := poll(t, s, st, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.objects) != 3 || !maps(versionSet(res.versions), versionSet(want)) {
		t.Fatalf("first poll: %d objects, %d versions; want 3 objects, 130 versions", len(res.objects), len(res.versions))
	}
	for _, o := range res.objects {
		if k, _ := parseKey(o.Key); !k.Time.Equal(same) {
			t.Errorf("key %s: want time %v", o.Key, same)
		}
	}

	clk.add(time.Minute)
	if res, _ = poll(t, s, st, -1); len(res.objects) != 0 {
		t.Errorf("second poll yielded %d objects, want none", len(res.objects))
	}

	restarted := newTestSource(t, gd, Config{}, st, clk)
	if res, _ = poll(t, restarted, st, -1); len(res.objects) != 0 {
		t.Errorf("after a restart: %d objects, want none (same objects, done)", len(res.objects))
	}

	// Twenty more with the same updatedAt, visible only now: ids that
	// sort between the others, so pages shift.
	var late []version
	for i := range 20 {
		late = append(late, gd.put(east, det, fakeFinding{id: fid(1000+i) + "a", updatedAt: same, count: 1}))
	}
	clk.add(time.Minute)
	res, err = poll(t, s, st, -1)
	if err != nil {
		t.Fatal(err)
	}
	if !maps(versionSet(res.versions), versionSet(late)) {
		t.Errorf("late findings: got %d versions, want exactly the 20 late ones", len(res.versions))
	}
}

func TestOpenHeldChunks(t *testing.T) {
	gd := newFakeGuardDuty(t)
	gd.addDetector(east, det)
	gd.put(east, det, fakeFinding{id: fid(1), updatedAt: t0.Add(-time.Hour), count: 1})
	clk := &clock{t: t0}
	st := newFakeState()
	s := newTestSource(t, gd, Config{}, st, clk)
	list := func() []source.Object {
		var out []source.Object
		for o, err := range s.List(t.Context()) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, o)
		}
		return out
	}
	first := list()
	gd.update(east, det, fid(1), t0.Add(-time.Minute)) // the next listing forms another chunk
	second := list()
	if len(first) != 1 || len(second) != 1 || first[0].Key == second[0].Key {
		t.Fatalf("listings %v, %v; want one object each, different keys", first, second)
	}
	// The previous listing's chunk is still served (a retry in the next poll).
	readObject(t, s, first[0])
	list()
	_, err := s.Open(t.Context(), first[0])
	if !errors.Is(err, source.ErrTransient) || !strings.Contains(err.Error(), first[0].Key) {
		t.Errorf("open of a chunk two listings old: %v; want a transient error naming it", err)
	}
	restarted := newTestSource(t, gd, Config{}, st, clk)
	if _, err := restarted.Open(t.Context(), second[0]); !errors.Is(err, source.ErrTransient) {
		t.Errorf("open after a restart: %v; want transient", err)
	}
	if err := restarted.Done(t.Context(), second[0]); err != nil {
		t.Errorf("done of an unknown chunk: %v", err)
	}
}

func TestThrottling(t *testing.T) {
	for _, tc := range []struct {
		name     string
		throttle func(n int) bool
		wantErr  bool
	}{
		{"retried by the SDK", func(n int) bool { return n <= 3 }, false},
		{"beyond the SDK's attempts", func(int) bool { return true }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gd := newFakeGuardDuty(t)
			gd.addDetector(east, det)
			gd.put(east, det, fakeFinding{id: fid(1), updatedAt: t0.Add(-time.Hour), count: 1})
			gd.throttle = tc.throttle
			st := newFakeState()
			s := newTestSource(t, gd, Config{}, st, &clock{t: t0})
			res, err := poll(t, s, st, -1)
			if tc.wantErr {
				if !errors.Is(err, source.ErrTransient) || !strings.Contains(err.Error(), "list detectors in us-east-1") {
					t.Errorf("err %v; want a transient error naming the call", err)
				}
				return
			}
			if err != nil || len(res.versions) != 1 {
				t.Errorf("err %v, %d versions; want the finding", err, len(res.versions))
			}
		})
	}
}

func TestDetectorsAndRegions(t *testing.T) {
	gd := newFakeGuardDuty(t)
	gd.addDetector(east, "deta")
	gd.addDetector(east, "detb")
	gd.addDetector("eu-west-1", "detc")
	for i, sc := range [][2]string{{east, "deta"}, {east, "detb"}, {"eu-west-1", "detc"}} {
		gd.put(sc[0], sc[1], fakeFinding{id: fid(i), updatedAt: t0.Add(-time.Hour), count: 1, account: "11111111111" + fmt.Sprint(i)})
	}
	for _, tc := range []struct {
		name          string
		cfg           Config
		scopes        []string
		detectorCalls int
	}{
		{"discovered", Config{Regions: []string{east, "eu-west-1"}}, []string{
			"guardduty-api://us-east-1/deta/", "guardduty-api://us-east-1/detb/", "guardduty-api://eu-west-1/detc/",
		}, 3}, // deta and detb on two pages, detc on one
		{"client region", Config{}, []string{"guardduty-api://us-east-1/deta/", "guardduty-api://us-east-1/detb/"}, 2},
		{"pinned", Config{DetectorIDs: []string{"detb"}}, []string{"guardduty-api://us-east-1/detb/"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gd.mu.Lock()
			gd.detectorCalls = 0
			gd.mu.Unlock()
			st := newFakeState()
			s := newTestSource(t, gd, tc.cfg, st, &clock{t: t0})
			res, err := poll(t, s, st, -1)
			if err != nil {
				t.Fatal(err)
			}
			var scopes []string
			for _, o := range res.objects {
				scopes = append(scopes, o.Scope)
				if !strings.HasPrefix(o.Scope, "guardduty-api://"+o.Region+"/") || !strings.HasPrefix(o.Account, "11111111111") {
					t.Errorf("object %+v: region or account wrong", o)
				}
			}
			if !slices.Equal(scopes, tc.scopes) || gd.detectorCalls != tc.detectorCalls {
				t.Errorf("scopes %v after %d ListDetectors; want %v after %d", scopes, gd.detectorCalls, tc.scopes, tc.detectorCalls)
			}
		})
	}
}

func TestListErrors(t *testing.T) {
	gd := newFakeGuardDuty(t)
	gd.addDetector(east, det)
	for _, tc := range []struct {
		name   string
		cfg    Config
		cursor string
		want   string
	}{
		{"unknown detector", Config{DetectorIDs: []string{"nosuch"}}, "", "no such detector"},
		{"foreign cursor", Config{}, "s3://bucket/key", `cursor of guardduty-api://us-east-1/det1/: key "s3://bucket/key"`},
		{"cursor of another scope", Config{}, "guardduty-api/us-east-1/det2/2024-05-01T00:00:00.000Z/" + strings.Repeat("a", 32), "key of another scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newFakeState()
			if tc.cursor != "" {
				st.cursors[scopeName(east, det)] = tc.cursor
			}
			s := newTestSource(t, gd, tc.cfg, st, &clock{t: t0})
			_, err := poll(t, s, st, -1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v; want it to contain %q", err, tc.want)
			}
			if errors.Is(err, source.ErrTransient) {
				t.Errorf("err %v is transient", err)
			}
		})
	}
}

func TestOnlyAfter(t *testing.T) {
	gd := newFakeGuardDuty(t)
	gd.addDetector(east, det)
	after := t0.Add(-72 * time.Hour)
	st := newFakeState()
	s := newTestSource(t, gd, Config{OnlyAfter: after}, st, &clock{t: t0})
	if _, err := poll(t, s, st, -1); err != nil {
		t.Fatal(err)
	}
	checkCriteria(t, gd.lastList(), after, true, 50)
	// A cursor older than OnlyAfter does not take the listing before it.
	st.cursors[scopeName(east, det)] = chunkKey(east, det, after.Add(-time.Hour), strings.Repeat("0", 32))
	if _, err := poll(t, s, st, -1); err != nil {
		t.Fatal(err)
	}
	checkCriteria(t, gd.lastList(), after, true, 50)
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		st   source.State
		want string
	}{
		{"no state", Config{}, nil, "state is nil"},
		{"bad region", Config{Regions: []string{"us-east-1/x"}}, newFakeState(), `region "us-east-1/x"`},
		{"bad detector", Config{DetectorIDs: []string{"a b"}}, newFakeState(), `detector id "a b"`},
		{"page size", Config{PageSize: 51}, newFakeState(), "page size 51"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newSource(tc.cfg, testAWSConfig(t, 1), tc.st, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v; want %q", err, tc.want)
			}
		})
	}
}
