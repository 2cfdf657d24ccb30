package guardduty

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzParseKey checks that a key read back from the store is accepted
// only in the exact form chunkKey writes.
func FuzzParseKey(f *testing.F) {
	f.Add("guardduty-api/us-east-1/det1/2024-05-01T11:48:03.902Z/" + "0123456789abcdef0123456789abcdef")
	f.Add("guardduty-api/us-east-1/det1/2024-05-01T11:48:03Z/x")
	f.Add("s3://bucket/key")
	f.Fuzz(func(t *testing.T, key string) {
		k, err := parseKey(key)
		if err != nil {
			return
		}
		if again := chunkKey(k.Region, k.Detector, k.Time, k.Hash); again != key {
			t.Errorf("parseKey(%q) = %+v, written back as %q", key, k, again)
		}
	})
}

// FuzzFindingsOf checks that whatever a GetFindings response holds, the
// findings taken from it are JSON objects and chunks of them stay valid
// JSON arrays.
func FuzzFindingsOf(f *testing.F) {
	f.Add([]byte(`{"findings":[{"id":"a","updatedAt":"2024-05-01T00:00:00.000Z","type":"t"}]}`))
	f.Add([]byte(`{"findings":[]}`))
	f.Add([]byte(`{"findings":[{}, {"schemaVersion":"2.0"}], "x": 1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		raws, err := findingsOf(body)
		if err != nil {
			return
		}
		s := &Source{seen: make(map[string]map[string]time.Time)}
		c := s.newChunk("scope", raws, t0, make(map[string]bool))
		if c == nil {
			if len(raws) != 0 {
				t.Errorf("%d findings gave no chunk", len(raws))
			}
			return
		}
		var arr []json.RawMessage
		if err := json.Unmarshal(c.body, &arr); err != nil {
			t.Fatalf("chunk body is not a JSON array: %v\n%s", err, c.body)
		}
		if len(arr) != len(c.versions) || !isHash(c.hash) {
			t.Errorf("%d elements, %d versions, hash %q", len(arr), len(c.versions), c.hash)
		}
	})
}
