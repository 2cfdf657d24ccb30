package sqs

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

const (
	nativeKey = "AWSLogs/123456789012/GuardDuty/us-east-1/2024/05/01/3f0f5c1e-8a1b-3a4c-9d7e-0123456789ab.jsonl.gz"
	// fireKey is sent URL-encoded by S3 ("a1b2+c%3Dd.gz") and as is by
	// EventBridge.
	fireKey = "firehose/2024/05/01/12/guardduty-stream-1-2024-05-01-12-30-00-a1b2 c=d.gz"
)

func TestParseMessage(t *testing.T) {
	t1 := time.Date(2024, 5, 1, 12, 34, 56, 789_000_000, time.UTC)
	put := Event{Bucket: "guardduty-findings", Key: nativeKey, Size: 2048, ETag: "9b2cf535f27731c974343645a3985328", Time: t1, Region: "us-east-1"}
	tests := []struct {
		file string
		want Notification
	}{
		{"s3-put.json", Notification{Format: FormatS3, Created: []Event{put}}},
		{"s3-multi.json", Notification{Format: FormatS3, Ignored: 1, Created: []Event{
			{Bucket: "guardduty-findings", Key: fireKey, Size: 100, ETag: "d41d8cd98f00b204e9800998ecf8427e", Time: t1, Region: "us-east-1"},
			{Bucket: "guardduty-findings", Key: "AWSLogs/123456789012/GuardDuty/us-east-1/2024/05/01/4f0f5c1e-8a1b-3a4c-9d7e-0123456789ab.jsonl.gz",
				Size: 10485760, ETag: "e1b849f9631ffc1829b2e31402373e3c-2", Time: time.Date(2024, 5, 1, 12, 35, 0, 0, time.UTC), Region: "us-east-1"},
		}}},
		{"s3-test-event.json", Notification{Format: FormatS3, Ignored: 1}},
		{"sns-s3-put.json", Notification{Format: FormatSNS, Created: []Event{put}}},
		{"sns-test-event.json", Notification{Format: FormatSNS, Ignored: 1}},
		{"eventbridge-created.json", Notification{Format: FormatEventBridge, Created: []Event{
			{Bucket: "guardduty-findings", Key: "firehose/2024/05/01/12/guardduty-stream-1-2024-05-01-12-30-00-a1b2+c=d.gz", Size: 512,
				ETag: "b1946ac92492d2347c6235b4d2611184", Time: time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC), Region: "us-east-1"},
		}}},
		{"eventbridge-deleted.json", Notification{Format: FormatEventBridge, Ignored: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseMessage(readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("ParseMessage: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseMessageMalformed(t *testing.T) {
	files, err := filepath.Glob("testdata/malformed-*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no malformed examples: %v", err)
	}
	bodies := map[string][]byte{"empty": nil, "null": []byte("null"), "array": []byte("[]"), "sns-no-message": []byte(`{"Type":"Notification"}`)}
	for _, f := range files {
		bodies[filepath.Base(f)] = readTestdata(t, filepath.Base(f))
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			n, err := ParseMessage(body)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseMessage = %+v, %v; want ErrMalformed", n, err)
			}
		})
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"a+b%2F"}}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := ParseMessage(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if n.Format == 0 {
			t.Fatal("no format")
		}
		for _, ev := range n.Created {
			if ev.Bucket == "" || ev.Key == "" {
				t.Fatalf("event without bucket or key: %+v", ev)
			}
		}
	})
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
