package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestScaleOutConfig(t *testing.T) {
	for k, v := range map[string]string{"PGPASSWORD": "pg-secret", "INDEXER_PASSWORD": "ix-secret",
		"SLACK_TOKEN": "slack-secret", "PAGER_TOKEN": "pager-token", "PAGER_HMAC": "hmac-secret", "SMTP_PASSWORD": "smtp-secret"} {
		t.Setenv(k, v)
	}
	c, warnings, err := Load("testdata/scaleout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if c.Instance != "dutywatch-a" || !Postgres(c.State) || !strings.Contains(c.State, ":pg-secret@") {
		t.Errorf("instance %q, state %q", c.Instance, c.State)
	}
	if got := StateDisplay(c.State); strings.Contains(got, "pg-secret") || !strings.Contains(got, "db.internal:5432/dutywatch") {
		t.Errorf("StateDisplay = %q", got)
	}
	if len(c.Sources) != 2 {
		t.Fatalf("%d sources", len(c.Sources))
	}
	q, api := c.Sources[0], c.Sources[1]
	checks := []struct {
		name      string
		got, want any
	}{
		{"sqs type", q.Type, TypeSQS},
		{"queue", q.QueueURL, "https://sqs.eu-west-1.amazonaws.com/123456789012/guardduty-objects"},
		{"sqs schedule is continuous", q.Schedule, Schedule{}},
		{"visibility", q.VisibilityTimeout, 10 * time.Minute},
		{"max receives", q.MaxReceives, 3},
		{"wait time default", q.WaitTime, DefaultSQSWaitTime},
		{"sqs bucket filter", q.Bucket, "gd-export"},
		{"api type", api.Type, TypeGuardDutyAPI},
		{"api regions", fmt.Sprint(api.Regions), "[eu-west-1 us-east-1]"},
		{"api detectors", fmt.Sprint(api.DetectorIDs), "[12abc34d567e8fa901bc2d34e56789f0]"},
		{"api overlap", api.Overlap, 10 * time.Minute},
		{"api interval", api.Schedule.Interval, DefaultGuardDutyInterval},
		{"indexers", len(c.Indexers), 1},
		{"indexer urls", fmt.Sprint(c.Indexers[0].URLs), "[https://indexer-1:9200 https://indexer-2:9200]"},
		{"indexer password", c.Indexers[0].Password.Reveal(), "ix-secret"},
		{"indexer prefix default", c.Indexers[0].IndexPrefix, DefaultIndexPrefix},
		{"indexer template default", c.Indexers[0].Template, true},
		{"notifications", len(c.Notifications), 3},
		{"slack url", c.Notifications[0].URL.Reveal(), "https://hooks.slack.com/services/T000/B000/slack-secret"},
		{"slack rate", fmt.Sprint(c.Notifications[0].RateCount, c.Notifications[0].RatePer), "30 1m0s"},
		{"slack types", fmt.Sprint(c.Notifications[0].Types), "[UnauthorizedAccess:EC2/* Backdoor:*]"},
		{"pager header", c.Notifications[1].Headers["Authorization"].Reveal(), "Bearer pager-token"},
		{"pager secret", c.Notifications[1].SigningSecret.Reveal(), "hmac-secret"},
		{"mail port default", c.Notifications[2].SMTPPort, 587},
		{"mail starttls default", c.Notifications[2].StartTLS, "required"},
		{"mail to", fmt.Sprint(c.Notifications[2].To), "[soc@example.com]"},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	printed := fmt.Sprintf("%v %+v", c.Indexers, c.Notifications)
	for _, secret := range []string{"ix-secret", "slack-secret", "pager-token", "hmac-secret", "smtp-secret"} {
		if strings.Contains(printed, secret) {
			t.Errorf("printing the config shows %q", secret)
		}
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in    string
		n     int
		per   time.Duration
		valid bool
	}{
		{"30/m", 30, time.Minute, true},
		{"5/s", 5, time.Second, true},
		{" 100 / hour ", 100, time.Hour, true},
		{"0/m", 0, 0, false},
		{"x/m", 0, 0, false},
		{"10", 0, 0, false},
		{"10/d", 0, 0, false},
	}
	for _, tt := range tests {
		n, per, err := parseRate(tt.in)
		if (err == nil) != tt.valid || n != tt.n || per != tt.per {
			t.Errorf("parseRate(%q) = %d, %v, %v", tt.in, n, per, err)
		}
	}
}

func TestStateDisplay(t *testing.T) {
	tests := map[string]string{
		"dutywatch-data/state.db":                       "dutywatch-data/state.db",
		"postgres://u:secret@h:5432/db?sslmode=require": "postgres://u:[redacted]@h:5432/db?sslmode=require",
		"postgresql://u@h/db":                           "postgresql://u@h/db",
	}
	for in, want := range tests {
		if got := StateDisplay(in); got != want {
			t.Errorf("StateDisplay(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScaleOutSourcesRoundTrip(t *testing.T) {
	for _, k := range []string{"PGPASSWORD", "INDEXER_PASSWORD", "SLACK_TOKEN", "PAGER_TOKEN", "PAGER_HMAC", "SMTP_PASSWORD"} {
		t.Setenv(k, "x")
	}
	c, _, err := Load("testdata/scaleout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Indexers, c.Notifications = nil, nil // not written by MarshalYAML
	data, err := c.MarshalYAML()
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := Parse("marshalled.yaml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if d := diffConfig(back, c); d != "" {
		t.Errorf("round trip:\n%s\n%s", d, data)
	}
}
