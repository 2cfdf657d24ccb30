package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestTxIsDone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		a, b := open(), open() // two instances
		tx, err := a.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.MarkDone(ctx, Done{Object: obj("sc", "k1")}); err != nil {
			t.Fatal(err)
		}
		if done, err := tx.IsDone(ctx, "sc", "k1"); !done || err != nil {
			t.Errorf("IsDone of an object marked in the same tx = %v, %v", done, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		tx, err = b.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for _, c := range []struct {
			scope, key string
			want       bool
		}{{"sc", "k1", true}, {"sc", "k2", false}, {"other", "k1", false}} {
			if done, err := tx.IsDone(ctx, c.scope, c.key); done != c.want || err != nil {
				t.Errorf("IsDone(%s, %s) on the other instance = %v, %v; want %v", c.scope, c.key, done, err, c.want)
			}
		}
	})
}

func TestEngineState(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		step := func(fn func(tx *Tx) error, commit bool) {
			t.Helper()
			tx, err := s.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if err := fn(tx); err != nil {
				t.Fatal(err)
			}
			if commit {
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}
		}
		step(func(tx *Tx) error {
			if _, _, ok, err := tx.LoadState(ctx, "corr"); ok || err != nil {
				t.Errorf("LoadState before any save: ok %v, %v", ok, err)
			}
			return nil
		}, false)
		for i, c := range []struct {
			data   string
			commit bool
			gen    int64 // after the step
		}{{"one", true, 1}, {"two", true, 2}, {"rolled back", false, 2}, {"", true, 3}} {
			step(func(tx *Tx) error {
				gen, err := tx.SaveState(ctx, "corr", []byte(c.data))
				if err == nil && c.commit && gen != c.gen {
					t.Errorf("save %d: gen %d; want %d", i, gen, c.gen)
				}
				return err
			}, c.commit)
			step(func(tx *Tx) error {
				gen, data, ok, err := tx.LoadState(ctx, "corr")
				want := c.data
				if !c.commit {
					want = "two"
				}
				if !ok || gen != c.gen || string(data) != want {
					t.Errorf("after save %d: gen %d data %q ok %v; want gen %d data %q", i, gen, data, ok, c.gen, want)
				}
				if _, _, ok, _ := tx.LoadState(ctx, "other"); ok {
					t.Error("a state saved under one name appears under another")
				}
				return err
			}, false)
		}
	})
}

func TestOutbox(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		enqueue := func(commit bool, ids ...string) {
			t.Helper()
			tx, err := s.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			for _, id := range ids {
				it := OutboxItem{AlertID: id, Time: t0, Level: 7, RuleID: 100, Type: "T", Doc: []byte(`{"id":"` + id + `"}`)}
				if err := tx.Enqueue(ctx, it); err != nil {
					t.Fatal(err)
				}
			}
			if commit {
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}
		}
		read := func(dest string, limit int) (ids string, seqs []int64) {
			t.Helper()
			items, err := s.ReadOutbox(ctx, dest, limit)
			if err != nil {
				t.Fatal(err)
			}
			var list []string
			for i, it := range items {
				if i > 0 && it.Seq <= seqs[i-1] {
					t.Errorf("seq %d after %d", it.Seq, seqs[i-1])
				}
				if string(it.Doc) != `{"id":"`+it.AlertID+`"}` || !it.Time.Equal(t0) || it.Level != 7 || it.RuleID != 100 || it.Type != "T" {
					t.Errorf("item %+v does not round-trip", it)
				}
				list, seqs = append(list, it.AlertID), append(seqs, it.Seq)
			}
			return fmt.Sprint(list), seqs
		}
		enqueue(true, "a1", "a2")
		enqueue(false, "gone") // rolled back: a gap, never read
		enqueue(true, "a3", "a4", "a5")
		all, seqs := read("os", 100)
		if all != "[a1 a2 a3 a4 a5]" {
			t.Fatalf("outbox = %s", all)
		}
		if got, _ := read("os", 2); got != "[a1 a2]" {
			t.Errorf("limit 2 = %s", got)
		}
		ack := func(dest string, seq int64) {
			t.Helper()
			if err := s.AckOutbox(ctx, dest, seq); err != nil {
				t.Fatal(err)
			}
		}
		prune := func(want int64, dests ...string) {
			t.Helper()
			if n, err := s.PruneOutbox(ctx, dests); n != want || err != nil {
				t.Errorf("PruneOutbox(%v) = %d, %v; want %d", dests, n, err, want)
			}
		}
		ack("os", seqs[2])
		ack("os", seqs[0]) // never moves back
		if got, _ := read("os", 100); got != "[a4 a5]" {
			t.Errorf("after ack of a3 = %s", got)
		}
		prune(0, "os", "mail") // mail has no cursor: keeps everything
		prune(0)
		ack("mail", seqs[1])
		prune(2, "os", "mail") // up to mail's a2
		if got, _ := read("mail", 100); got != "[a3 a4 a5]" {
			t.Errorf("mail after prune = %s", got)
		}
		ack("os", seqs[4])
		ack("mail", seqs[4])
		prune(3, "os", "mail")
		enqueue(true, "a6") // numbers are never reused, even after the outbox emptied
		if got, next := read("os", 100); got != "[a6]" || next[0] <= seqs[4] {
			t.Errorf("after emptying: %s seq %v; want a6 after %d", got, next, seqs[4])
		}
	})
}

func TestLeases(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		clock := t0
		a, b := open(), open()
		a.now = func() time.Time { return clock }
		b.now = a.now
		const ttl = time.Minute
		for _, c := range []struct {
			name    string
			s       *Store
			owner   string
			advance time.Duration // before the call
			want    bool
		}{
			{"take a free lease", a, "a", 0, true},
			{"held by another", b, "b", 0, false},
			{"renew", a, "a", 50 * time.Second, true},
			{"still held after the first ttl (renewed)", b, "b", 20 * time.Second, false},
			{"steal after expiry", b, "b", ttl, true},
			{"the old owner lost it", a, "a", 0, false},
		} {
			clock = clock.Add(c.advance)
			if got, err := c.s.AcquireLease(ctx, "outputs", c.owner, ttl); got != c.want || err != nil {
				t.Errorf("%s: AcquireLease(%s) = %v, %v; want %v", c.name, c.owner, got, err, c.want)
			}
		}
		if got, err := a.AcquireLease(ctx, "other", "a", ttl); !got || err != nil {
			t.Errorf("leases are not independent: %v, %v", got, err)
		}
	})
}

func TestDeliveries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		putAlerts(t, s, Alert{ID: "old", EventTime: t0}, Alert{ID: "new", EventTime: t0.Add(48 * time.Hour)})
		at := t0.Add(time.Hour)
		for _, d := range []Delivery{
			{Destination: "os", AlertID: "old", Status: "failed", Error: "503", Attempts: 1, At: at},
			{Destination: "os", AlertID: "old", Status: "sent", Attempts: 2, At: at.Add(time.Minute)},
			{Destination: "mail", AlertID: "old", Status: "dropped", Error: "rate limited", Attempts: 1, At: at},
			{Destination: "os", AlertID: "new", Status: "sent", Attempts: 1, At: at},
		} {
			if err := s.RecordDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Deliveries(ctx, "old")
		want := fmt.Sprint([]Delivery{
			{Destination: "mail", AlertID: "old", Status: "dropped", Error: "rate limited", Attempts: 1, At: at},
			{Destination: "os", AlertID: "old", Status: "sent", Attempts: 2, At: at.Add(time.Minute)},
		})
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("Deliveries(old) = %v, %v;\nwant %s", got, err, want)
		}
		if n, err := s.PruneAlerts(ctx, t0.Add(24*time.Hour)); n != 1 || err != nil {
			t.Fatalf("PruneAlerts = %d, %v", n, err)
		}
		if got, err := s.Deliveries(ctx, "old"); len(got) != 0 || err != nil {
			t.Errorf("deliveries of a pruned alert: %v, %v", got, err)
		}
		if got, err := s.Deliveries(ctx, "new"); len(got) != 1 || err != nil {
			t.Errorf("deliveries of a kept alert: %v, %v", got, err)
		}
	})
}

func TestRebind(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"bare", `SELECT a FROM t WHERE x = ? AND y = ?`, `SELECT a FROM t WHERE x = $1 AND y = $2`},
		{"numbered and reused", `WHERE a = ?1 AND b = ?2 OR c = ?1 LIMIT ?10`, `WHERE a = $1 AND b = $2 OR c = $1 LIMIT $10`},
		{"bare after numbered", `?3 ?`, `$3 $4`},
		{"quoted strings", `WHERE a = '?' AND b = 'it''s ?' AND c = ?`, `WHERE a = '?' AND b = 'it''s ?' AND c = $1`},
		{"quoted identifier", `SELECT "we?ird" FROM t WHERE x = ?`, `SELECT "we?ird" FROM t WHERE x = $1`},
		{"comment", "SELECT 1 -- why?\nWHERE x = ?", "SELECT 1 -- why?\nWHERE x = $1"},
		{"minus is not a comment", `a - ?`, `a - $1`},
		{"unterminated quote", `x = ? AND 'oops ?`, `x = $1 AND 'oops ?`},
		{"none", `SELECT 1`, `SELECT 1`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := rebind(tt.in); got != tt.want {
				t.Errorf("rebind(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTSQuery(t *testing.T) {
	for in, want := range map[string]string{
		"i-0abc":                     `'i-0abc'`,
		`"; DROP`:                    `'drop'`,
		"UnauthorizedAccess:EC2/SSH": `'unauthorizedaccess' <-> 'ec2' <-> 'ssh'`,
		`a"b  NEAR(`:                 `'a' <-> 'b' & 'near'`,
		"  ":                         "",
		"* ( )":                      "",
		"10.0.0.1 eu-west":           `'10.0.0.1' & 'eu-west'`,
		"0\x00x":                     `'0' & 'x'`,
	} {
		if got := tsQuery(in); got != want {
			t.Errorf("tsQuery(%q) = %s; want %s", in, got, want)
		}
	}
	long := "a" + fmt.Sprintf("%0*d", maxWordLen, 0)
	if got := tsQuery("x " + long); got != "" {
		t.Errorf("a word too long to index must match nothing, got %.40s", got)
	}
}
