package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/dedup"
)

func TestBruteForce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		bf := func(id string, at time.Duration, typ, inst, ip string, port int, count int64) Alert {
			return Alert{ID: id, EventTime: t0.Add(at), Type: typ, InstanceID: inst, RemoteIP: ip, RemoteCountry: "NL",
				LocalPort: port, Count: count}
		}
		ssh, rdp, winrm := "UnauthorizedAccess:EC2/SSHBruteForce", "UnauthorizedAccess:EC2/RDPBruteForce", "Impact:EC2/WinRMBruteForce"
		putAlerts(t, s,
			bf("b1", time.Minute, ssh, "i-1", "198.51.100.1", 22, 5),
			bf("b2", 2*time.Hour, ssh, "i-1", "198.51.100.1", 22, 40),
			bf("b3", 3*time.Hour, rdp, "i-2", "198.51.100.2", 3389, 7),
			bf("b4", 26*time.Hour, winrm, "i-2", "198.51.100.3", 5985, 3),
			bf("b5", 27*time.Hour, ssh, "i-3", "198.51.100.1", 2222, 9),
			bf("x1", 4*time.Hour, "Recon:EC2/PortProbeUnprotectedPort", "i-1", "198.51.100.9", 22, 1), // not brute force
			bf("b6", 72*time.Hour, ssh, "i-1", "198.51.100.1", 22, 99),                                // out of range
		)
		got, err := s.BruteForce(ctx, TimeRange{From: t0, To: t0.Add(48 * time.Hour)}, 0)
		if err != nil {
			t.Fatal(err)
		}
		wantRows := []string{
			"{InstanceID:i-1 RemoteIP:198.51.100.1 Country:NL Port:22 Alerts:2 Attempts:40 Last:2025-03-10 02:00:00 +0000 UTC}",
			"{InstanceID:i-3 RemoteIP:198.51.100.1 Country:NL Port:2222 Alerts:1 Attempts:9 Last:2025-03-11 03:00:00 +0000 UTC}",
			"{InstanceID:i-2 RemoteIP:198.51.100.3 Country:NL Port:5985 Alerts:1 Attempts:3 Last:2025-03-11 02:00:00 +0000 UTC}",
			"{InstanceID:i-2 RemoteIP:198.51.100.2 Country:NL Port:3389 Alerts:1 Attempts:7 Last:2025-03-10 03:00:00 +0000 UTC}",
		}
		if len(got.Rows) != len(wantRows) {
			t.Fatalf("rows = %+v", got.Rows)
		}
		for i, w := range wantRows {
			if g := fmt.Sprintf("%+v", got.Rows[i]); g != w {
				t.Errorf("row %d:\n got %s\nwant %s", i, g, w)
			}
		}
		if g := fmt.Sprint(got.ByPort); g != "[{22/ssh 2} {2222 1} {3389/rdp 1} {5985/winrm 1}]" {
			t.Errorf("ByPort = %s", g)
		}
		if g := sparse(got.Series); g != "22/ssh:0=1 22/ssh:2=1 2222:27=1 3389/rdp:3=1 5985/winrm:26=1" {
			t.Errorf("Series = %s", g)
		}
		checkSeriesShape(t, got.Series, TimeRange{From: t0, To: t0.Add(48 * time.Hour)})
		if got, _ := s.BruteForce(ctx, TimeRange{From: t0, To: t0.Add(48 * time.Hour)}, 1); len(got.Rows) != 1 {
			t.Errorf("limit 1 gave %d rows", len(got.Rows))
		}
	})
}

func TestPortLabel(t *testing.T) {
	for port, want := range map[int]string{0: "unknown", 22: "22/ssh", 3389: "3389/rdp", 5985: "5985/winrm", 5986: "5986/winrm",
		6443: "6443/kubernetes", 2222: "2222"} {
		if got := portLabel(port); got != want {
			t.Errorf("portLabel(%d) = %q; want %q", port, got, want)
		}
	}
}

func TestUnusualNetwork(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		s := open()
		call := func(id string, at time.Duration, typ, principal, ip, api, country string) Alert {
			return Alert{ID: id, EventTime: t0.Add(at), Type: typ, Principal: principal, RemoteIP: ip, API: api,
				RemoteCountry: country, RemoteCity: "C-" + country, RemoteASN: "64500", RemoteOrg: "Org", HasGeo: true, Lat: 1.5, Lon: 2.5}
		}
		mal, anom, exfil := "UnauthorizedAccess:IAMUser/MaliciousIPCaller", "Discovery:IAMUser/AnomalousBehavior",
			"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
		putAlerts(t, s,
			call("u1", time.Hour, mal, "arn:alice", "203.0.113.1", "ListBuckets", "RU"),
			call("u2", 2*time.Hour, mal, "arn:alice", "203.0.113.1", "ListBuckets", "RU"),
			call("u3", 3*time.Hour, anom, "arn:bob", "203.0.113.2", "GetCallerIdentity", "CN"),
			call("u4", 4*time.Hour, exfil, "arn:role", "203.0.113.3", "", "BR"),
			call("u5", 5*time.Hour, "Policy:S3/BucketBlockPublicAccessDisabled", "arn:bob", "203.0.113.4", "PutBucketPolicy", "CN"),
			call("x1", 6*time.Hour, "UnauthorizedAccess:EC2/SSHBruteForce", "", "203.0.113.5", "", "US"), // not unusual network
		)
		// A day reads the range; a week scans the grouped index.
		for _, r := range []TimeRange{{From: t0, To: t0.Add(24 * time.Hour)}, {From: t0.Add(-6 * 24 * time.Hour), To: t0.Add(24 * time.Hour)}} {
			checkUnusual(t, s, r)
		}
	})
}

func checkUnusual(t *testing.T, s *Store, r TimeRange) {
	t.Helper()
	got, err := s.UnusualNetwork(context.Background(), r, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantRows := []string{
		"{Principal:arn:alice RemoteIP:203.0.113.1 Country:RU City:C-RU ASN:64500 Org:Org API:ListBuckets Alerts:2 Last:2025-03-10 02:00:00 +0000 UTC}",
		"{Principal:arn:bob RemoteIP:203.0.113.4 Country:CN City:C-CN ASN:64500 Org:Org API:PutBucketPolicy Alerts:1 Last:2025-03-10 05:00:00 +0000 UTC}",
		"{Principal:arn:role RemoteIP:203.0.113.3 Country:BR City:C-BR ASN:64500 Org:Org API: Alerts:1 Last:2025-03-10 04:00:00 +0000 UTC}",
		"{Principal:arn:bob RemoteIP:203.0.113.2 Country:CN City:C-CN ASN:64500 Org:Org API:GetCallerIdentity Alerts:1 Last:2025-03-10 03:00:00 +0000 UTC}",
	}
	if len(got.Rows) != len(wantRows) {
		t.Fatalf("rows = %+v", got.Rows)
	}
	for i, w := range wantRows {
		if g := fmt.Sprintf("%+v", got.Rows[i]); g != w {
			t.Errorf("row %d:\n got %s\nwant %s", i, g, w)
		}
	}
	for _, c := range []struct{ what, got, want string }{
		{"Principals", fmt.Sprint(got.Principals), "[{arn:alice 2} {arn:bob 2} {arn:role 1}]"},
		{"APIs", fmt.Sprint(got.APIs), "[{ListBuckets 2} {GetCallerIdentity 1} {PutBucketPolicy 1}]"},
		{"Countries", fmt.Sprint(got.Countries), "[{CN 2} {RU 2} {BR 1}]"},
		{"Geo", fmt.Sprintf("%+v", got.Geo), "[{Lat:1.5 Lon:2.5 Country:CN City:C-CN Count:2} {Lat:1.5 Lon:2.5 Country:RU City:C-RU Count:2} {Lat:1.5 Lon:2.5 Country:BR City:C-BR Count:1}]"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %s; want %s", c.what, c.got, c.want)
		}
	}
}

func TestInstanceStory(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		putAlerts(t, s,
			Alert{ID: "s1", EventTime: t0.Add(time.Hour), Type: "Recon:EC2/Portscan", Title: "scan", InstanceID: "i-1", FindingKey: "arn:f1",
				RuleID: 100120, Level: 8, Severity: 5, RemoteIP: "198.51.100.1", Count: 1, Account: "111", Region: "eu-west-1"},
			Alert{ID: "s2", EventTime: t0.Add(3 * time.Hour), Type: "UnauthorizedAccess:EC2/SSHBruteForce", InstanceID: "i-1",
				FindingKey: "arn:f2", Count: 10, Account: "111", Region: "eu-west-1"},
			Alert{ID: "s0", EventTime: t0.Add(3 * time.Hour), Type: "UnauthorizedAccess:EC2/SSHBruteForce", InstanceID: "i-1",
				FindingKey: "arn:f3", Count: 1, Account: "111", Region: "eu-west-1"},
			Alert{ID: "o1", EventTime: t0.Add(2 * time.Hour), Type: "Recon:EC2/Portscan", InstanceID: "i-2", FindingKey: "arn:f9"},
			Alert{ID: "s3", EventTime: t0.Add(30 * time.Hour), Type: "Recon:EC2/Portscan", InstanceID: "i-1", FindingKey: "arn:f4"},
		)
		tx, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []Finding{
			// The latest version of f1 raised no alert: it is on the timeline.
			{Key: "arn:f1", Type: "Recon:EC2/Portscan", Title: "scan again", Account: "111", Region: "eu-west-1", Instance: "i-1",
				State: dedup.State{Latest: dedup.Version{Severity: 5, UpdatedAt: t0.Add(2 * time.Hour), Count: 4, Actor: "198.51.100.1"}}},
			// f2's latest version is its alert's: not listed twice.
			{Key: "arn:f2", Type: "UnauthorizedAccess:EC2/SSHBruteForce", Instance: "i-1", Account: "222", Region: "us-east-1",
				State: dedup.State{Latest: dedup.Version{UpdatedAt: t0.Add(3 * time.Hour), Count: 10}}},
			// A finding with no alert at all.
			{Key: "arn:f5", Type: "Backdoor:EC2/DenialOfService.Tcp", Instance: "i-1", Account: "111", Region: "eu-west-2",
				State: dedup.State{Latest: dedup.Version{Severity: 8, UpdatedAt: t0.Add(4 * time.Hour), Count: 2}}},
			{Key: "arn:f6", Type: "T", Instance: "i-2", State: dedup.State{Latest: dedup.Version{UpdatedAt: t0.Add(4 * time.Hour)}}},
		} {
			if f.Raw == nil {
				f.Raw = []byte("{}")
			}
			if err := tx.PutFinding(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		st, err := s.InstanceStory(ctx, "i-1", TimeRange{From: t0, To: t0.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var tl []string
		for _, e := range st.Timeline {
			tl = append(tl, fmt.Sprintf("%s %q %s %q %v %d", e.Time.Format("15:04"), e.AlertID, e.Type, e.Title, e.Severity, e.Count))
		}
		want := []string{
			`01:00 "s1" Recon:EC2/Portscan "scan" 5 1`,
			`02:00 "" Recon:EC2/Portscan "scan again" 5 4`,
			`03:00 "s0" UnauthorizedAccess:EC2/SSHBruteForce "" 0 1`,
			`03:00 "s2" UnauthorizedAccess:EC2/SSHBruteForce "" 0 10`,
			`04:00 "" Backdoor:EC2/DenialOfService.Tcp "" 8 2`,
		}
		if fmt.Sprint(tl) != fmt.Sprint(want) {
			t.Errorf("timeline:\n got %q\nwant %q", tl, want)
		}
		if st.Timeline[1].RemoteIP != "198.51.100.1" || st.Timeline[0].RuleID != 100120 || st.Timeline[0].Level != 8 {
			t.Errorf("entries lost fields: %+v", st.Timeline[:2])
		}
		if g := fmt.Sprint(st.Types); g != "[{Recon:EC2/Portscan 2} {UnauthorizedAccess:EC2/SSHBruteForce 2} {Backdoor:EC2/DenialOfService.Tcp 1}]" {
			t.Errorf("Types = %s", g)
		}
		if st.InstanceID != "i-1" || st.Account != "111" || st.Region != "eu-west-2" {
			t.Errorf("instance %q account %q region %q; want the newest entry's", st.InstanceID, st.Account, st.Region)
		}
		if st, err := s.InstanceStory(ctx, "i-9", TimeRange{}); err != nil || len(st.Timeline) != 0 || st.InstanceID != "i-9" {
			t.Errorf("unknown instance: %+v, %v", st, err)
		}
		if _, err := s.InstanceStory(ctx, "", TimeRange{}); err == nil {
			t.Error("an empty instance id gave no error")
		}
	})
}

func TestHealth(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
		if err := s.RecordPoll(ctx, "polled-only", at, errors.New("AccessDenied")); err != nil {
			t.Fatal(err)
		}
		tx, _ := s.Begin(ctx)
		a, b := obj("s3://b/a/", "k1"), obj("s3://b/a/", "k2")
		a.Source, b.Source = "bucket", "bucket"
		bad := obj("dir:/x", "bad")
		bad.Source = "folder"
		tx.MarkDone(ctx, Done{Object: a, Records: 3, Events: 5})
		tx.MarkDone(ctx, Done{Object: b, Partial: true, Events: 2})
		tx.RecordFailure(ctx, b, errors.New("byte 9: bad gzip"), false)
		tx.RecordFailure(ctx, bad, errors.New("SlowDown"), true)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		hs, err := s.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range hs {
			got = append(got, fmt.Sprintf("%s poll=%v err=%q done=%d partial=%d failed=%d events=%d cursors=%d failures=%d",
				h.Source, !h.LastPoll.IsZero(), h.LastError, h.Done, h.Partial, h.Failed, h.Events, len(h.Cursors), len(h.Failures)))
		}
		want := []string{
			`bucket poll=false err="" done=2 partial=1 failed=0 events=7 cursors=1 failures=1`,
			`folder poll=false err="" done=0 partial=0 failed=1 events=0 cursors=0 failures=1`,
			`polled-only poll=true err="AccessDenied" done=0 partial=0 failed=0 events=0 cursors=0 failures=0`,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("health:\n got %q\nwant %q", got, want)
		}
		if c := hs[0].Cursors[0]; c.Scope != "s3://b/a/" || c.Key != "k2" || c.Updated.IsZero() {
			t.Errorf("cursor = %+v", c)
		}
		if f := hs[1].Failures[0]; f.Object.Key != "bad" || !f.Transient || f.Error != "SlowDown" {
			t.Errorf("failure = %+v", f)
		}
		if !hs[2].LastPoll.Equal(at) {
			t.Errorf("last poll = %v; want %v", hs[2].LastPoll, at)
		}
	})
}
