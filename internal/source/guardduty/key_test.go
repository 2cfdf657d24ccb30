package guardduty

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestKeyRoundTrip(t *testing.T) {
	h := chunkHash([]version{{ID: "b", UpdatedAt: t0}, {ID: "a", UpdatedAt: t0.Add(time.Millisecond)}})
	for _, tc := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"millis", time.Date(2024, 5, 1, 11, 48, 3, 902_000_000, time.UTC), "2024-05-01T11:48:03.902Z"},
		{"whole second", t0, "2024-05-01T12:00:00.000Z"},
		{"sub-millisecond cut", time.Date(2024, 5, 1, 0, 0, 0, 999_999, time.UTC), "2024-05-01T00:00:00.000Z"},
		{"other zone", time.Date(2024, 5, 1, 14, 0, 0, 0, time.FixedZone("CEST", 2*3600)), "2024-05-01T12:00:00.000Z"},
		{"far future clamped", time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), "9999-12-31T23:59:59.999Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := chunkKey("eu-west-3", "d_1-x", tc.at, h)
			if want := "guardduty-api/eu-west-3/d_1-x/" + tc.want + "/" + h; key != want {
				t.Fatalf("key %s, want %s", key, want)
			}
			k, err := parseKey(key)
			if err != nil {
				t.Fatal(err)
			}
			if k.Region != "eu-west-3" || k.Detector != "d_1-x" || k.Hash != h || k.Time.Format(timeLayout) != tc.want {
				t.Errorf("parsed %+v", k)
			}
		})
	}
}

func TestKeysSortByTime(t *testing.T) {
	h := strings.Repeat("f", 32)
	a := chunkKey(east, det, time.Date(2024, 5, 1, 9, 59, 59, 999e6, time.UTC), h)
	b := chunkKey(east, det, time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), strings.Repeat("0", 32))
	if a >= b {
		t.Errorf("%s sorts at or after %s", a, b)
	}
	if floor := keyPrefix(east, det) + formatKeyTime(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)); a >= floor || b < floor {
		t.Errorf("floor %s does not split %s and %s", floor, a, b)
	}
}

func TestParseKeyErrors(t *testing.T) {
	h := strings.Repeat("a", 32)
	for _, tc := range []struct{ name, key string }{
		{"empty", ""},
		{"s3 key", "AWSLogs/123456789012/GuardDuty/us-east-1/2024/05/01/x.jsonl.gz"},
		{"no hash", "guardduty-api/us-east-1/det/2024-05-01T00:00:00.000Z"},
		{"short hash", "guardduty-api/us-east-1/det/2024-05-01T00:00:00.000Z/abc"},
		{"upper-case hash", "guardduty-api/us-east-1/det/2024-05-01T00:00:00.000Z/" + strings.Repeat("A", 32)},
		{"extra part", "guardduty-api/us-east-1/det/2024-05-01T00:00:00.000Z/" + h + "/x"},
		{"no millis", "guardduty-api/us-east-1/det/2024-05-01T00:00:00Z/" + h},
		{"offset", "guardduty-api/us-east-1/det/2024-05-01T00:00:00.000+02:00/" + h},
		{"bad month", "guardduty-api/us-east-1/det/2024-13-01T00:00:00.000Z/" + h},
		{"empty region", "guardduty-api//det/2024-05-01T00:00:00.000Z/" + h},
		{"dot detector", "guardduty-api/us-east-1/../2024-05-01T00:00:00.000Z/" + h},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if k, err := parseKey(tc.key); !errors.Is(err, errBadKey) {
				t.Errorf("parseKey(%q) = %+v, %v; want errBadKey", tc.key, k, err)
			}
		})
	}
}

func TestChunkHash(t *testing.T) {
	a := version{ID: "a", UpdatedAt: t0}
	b := version{ID: "b", UpdatedAt: t0}
	if chunkHash([]version{a, b}) != chunkHash([]version{b, a}) {
		t.Error("hash depends on order")
	}
	later := version{ID: "a", UpdatedAt: t0.Add(time.Millisecond)}
	if chunkHash([]version{a, b}) == chunkHash([]version{later, b}) {
		t.Error("hash ignores updatedAt")
	}
	if !isHash(chunkHash(nil)) {
		t.Error("hash of nothing is not a hash")
	}
}

func TestFindingsOf(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       int
		err        string
	}{
		{"empty page", `{"findings":[]}`, 0, ""},
		{"no member", `{}`, 0, ""},
		{"two", `{"findings":[{"id":"a"}, {"id":"b"}]}`, 2, ""},
		{"not json", `{"findings":[`, 0, "read response"},
		{"scalar element", `{"findings":[1]}`, 0, "finding 0 is not an object"},
		{"null element", `{"findings":[null]}`, 0, "finding 0 is not an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findingsOf([]byte(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err %v; want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Errorf("got %d, %v; want %d", len(got), err, tc.want)
			}
		})
	}
}
