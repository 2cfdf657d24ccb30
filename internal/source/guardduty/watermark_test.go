package guardduty

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Over many polls with updates, new findings (some late, some sharing
// times), archiving, throttling, polls that stop early and a restart,
// every finding version current at a complete poll is delivered, and
// only versions that existed.
func TestEveryVersionOverPolls(t *testing.T) {
	gd := newFakeGuardDuty(t)
	gd.addDetector(east, det)
	gd.throttle = func(n int) bool { return n%4 == 0 } // SDK retries each once
	rng := rand.New(rand.NewPCG(1, 2))
	clk := &clock{t: t0}
	history := make(map[version]bool)
	next := 0
	add := func(at time.Time) {
		history[gd.put(east, det, fakeFinding{id: fid(next), updatedAt: at, count: 1})] = true
		next++
	}
	for i := range 180 {
		add(t0.Add(-20*time.Hour + time.Duration(i/3)*time.Minute)) // three per minute
	}

	st := newFakeState()
	s := newTestSource(t, gd, Config{PageSize: 20}, st, clk)
	expected := make(map[version]bool)
	seen := make(map[version]bool)
	for round := range 14 {
		commit := -1
		if round%5 == 2 {
			commit = 1 // the poll stops after its second object
		} else {
			// A complete poll delivers every version current at its start
			// (a stopped one may not, and its versions may be replaced
			// before the next).
			for v := range gd.current(east, det) {
				expected[v] = true
			}
		}
		if round == 7 {
			s = newTestSource(t, gd, Config{PageSize: 20}, st, clk)
		}
		res, err := poll(t, s, st, commit)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for _, v := range res.versions {
			seen[v] = true
		}
		if round >= 12 {
			continue // quiet rounds at the end
		}
		now := clk.add(time.Duration(rng.IntN(3)) * time.Minute)
		for range rng.IntN(30) {
			id := fid(rng.IntN(next))
			history[gd.update(east, det, id, now)] = true
		}
		for range rng.IntN(10) {
			add(now.Add(-time.Duration(rng.IntN(4)) * time.Minute)) // up to 3m late
		}
		if rng.IntN(3) == 0 {
			gd.setArchived(east, det, fid(rng.IntN(next)), true)
		}
	}
	for v := range expected {
		if !seen[v] {
			t.Errorf("version %s at %v was never delivered", v.ID, v.UpdatedAt)
		}
	}
	for v := range seen {
		if !history[v] {
			t.Errorf("version %s at %v delivered but never existed", v.ID, v.UpdatedAt)
		}
	}
}

// A finding updated while the ids are listed moves to the end and shifts
// the pages after it; the listing is done again.
func TestListingRetriedWhenFindingsMove(t *testing.T) {
	gd := newFakeGuardDuty(t)
	gd.addDetector(east, det)
	var want []version
	for i := range 60 {
		want = append(want, gd.put(east, det, fakeFinding{id: fid(i), updatedAt: t0.Add(-time.Hour + time.Duration(i)*time.Second), count: 1}))
	}
	clk := &clock{t: t0}
	st := newFakeState()
	s := newTestSource(t, gd, Config{PageSize: 20}, st, clk)
	gd.afterListPage = func(page int) {
		if page == 1 {
			gd.update(east, det, fid(0), t0) // served on page 1, now last
		}
	}
	res, err := poll(t, s, st, -1)
	if err != nil {
		t.Fatal(err)
	}
	want[0] = version{ID: fid(0), UpdatedAt: t0}
	if !maps(versionSet(res.versions), versionSet(want)) {
		t.Errorf("got %d versions, want all 60 (one moved)", len(res.versions))
	}
	if len(gd.listBodies) != 3+3 {
		t.Errorf("%d ListFindings calls, want 6 (a listing of 3 pages that skipped one, then again)", len(gd.listBodies))
	}
}

// When findings keep moving, the objects keep the listing's start as
// their time, so the next poll lists the window again.
func TestUnstableListingHoldsTheWatermark(t *testing.T) {
	gd := newFakeGuardDuty(t)
	gd.addDetector(east, det)
	for i := range 30 {
		gd.put(east, det, fakeFinding{id: fid(i), updatedAt: t0.Add(-time.Hour + time.Duration(i)*time.Second), count: 1})
	}
	clk := &clock{t: t0}
	st := newFakeState()
	s := newTestSource(t, gd, Config{PageSize: 10}, st, clk)
	n := 0
	gd.afterListPage = func(page int) {
		if page%3 == 1 { // after the first page of every listing
			gd.update(east, det, fid(n), t0.Add(time.Duration(n)*time.Millisecond))
			n++
		}
	}
	if _, err := poll(t, s, st, -1); err != nil {
		t.Fatal(err)
	}
	start := t0.Add(-24 * time.Hour)
	cursor := st.cursors[scopeName(east, det)]
	if k, err := parseKey(cursor); err != nil || !k.Time.Equal(start) {
		t.Fatalf("cursor %s, want the listing's start %v", cursor, start)
	}
	gd.afterListPage = nil
	clk.add(time.Minute)
	res, err := poll(t, s, st, -1)
	if err != nil {
		t.Fatal(err)
	}
	checkCriteria(t, gd.lastList(), start.Add(-5*time.Minute), true, 10)
	if len(res.versions) == 0 {
		t.Error("the next poll delivered nothing; want the versions that moved")
	}
}

// Key times stop at the moment the listing began: a finding updated after
// it was fetched, while a later one shows a newer time, is found by the
// next poll.
func TestWatermarkCappedAtListingStart(t *testing.T) {
	gd := newFakeGuardDuty(t)
	gd.addDetector(east, det)
	gd.put(east, det, fakeFinding{id: fid(1), updatedAt: t0.Add(-2 * time.Hour), count: 1})
	gd.put(east, det, fakeFinding{id: fid(2), updatedAt: t0.Add(-time.Hour), count: 1})
	clk := &clock{t: t0}
	st := newFakeState()
	s := newTestSource(t, gd, Config{PageSize: 1}, st, clk)
	var updated version
	gd.afterGet = func(n int) {
		if n == 1 { // fid(1) was just fetched; the clock runs on
			updated = gd.update(east, det, fid(1), clk.add(20*time.Minute))
			gd.update(east, det, fid(2), clk.add(10*time.Minute))
		}
	}
	if _, err := poll(t, s, st, -1); err != nil {
		t.Fatal(err)
	}
	gd.afterGet = nil
	res, err := poll(t, s, st, -1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.versions, updated) {
		t.Errorf("second poll: %v; want the update of fid(1) at %v", res.versions, updated.UpdatedAt)
	}
}
