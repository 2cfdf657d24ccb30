package opensearch

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// FuzzBulkBody checks that whatever an item's Doc holds, the body stays
// well framed: an accepted Doc is one line that equals it compacted, and
// a rejected one never reaches the body, so it cannot break the items
// after it.
func FuzzBulkBody(f *testing.F) {
	f.Add("a1", []byte(`{"rule":{"id":"1"}}`+"\n"))
	f.Add("a2", []byte("{\n \"x\": [1,\n2]\n}"))
	f.Add("a3", []byte(`{"x":"line\nbreak"}`))
	f.Add("", []byte(`{}`))
	f.Add("a4", []byte(`{"x":1}`+"\n"+`{"index":{}}`))
	f.Add("a\"5\n", []byte(`  {"y":null}  `))
	f.Fuzz(func(t *testing.T, id string, doc []byte) {
		items := []Item{{AlertID: id, Time: day1, Doc: doc}, {AlertID: "next", Time: day2, Doc: []byte(`{"n":1}`)}}
		entries, bad := prepare("p-", items)
		if len(entries)+len(bad) != len(items) {
			t.Fatalf("%d entries + %d rejected for %d items", len(entries), len(bad), len(items))
		}
		actions, err := parseBulk(body(entries))
		if err != nil {
			t.Fatalf("body does not parse: %v", err)
		}
		if len(actions) != len(entries) || actions[len(actions)-1].ID != "next" {
			t.Fatalf("%d actions for %d entries", len(actions), len(entries))
		}
		if len(entries) == 2 {
			var want bytes.Buffer
			if err := json.Compact(&want, doc); err != nil {
				t.Fatalf("accepted a doc that does not compact: %v", err)
			}
			if !bytes.Equal(actions[0].Source, want.Bytes()) && !bytes.Equal(actions[0].Source, bytes.TrimSpace(doc)) {
				t.Fatalf("source %q, want %q", actions[0].Source, want.Bytes())
			}
			if actions[0].ID != id || actions[0].Index != "p-2025.03.09" {
				t.Fatalf("action %+v", actions[0])
			}
		}
	})
}

func TestChunk(t *testing.T) {
	e := func(n int) entry { return entry{action: make([]byte, n-2)} } // size n
	for _, tc := range []struct {
		name  string
		sizes []int
		limit int
		want  []int // entries per chunk
	}{
		{"empty", nil, 10, nil},
		{"fits", []int{3, 3, 4}, 10, []int{3}},
		{"splits", []int{4, 4, 4, 4}, 10, []int{2, 2}},
		{"big alone", []int{3, 20, 3}, 10, []int{1, 1, 1}},
		{"big first", []int{20, 3, 3}, 10, []int{1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var entries []entry
			for _, n := range tc.sizes {
				entries = append(entries, e(n))
			}
			var got []int
			for _, c := range chunk(entries, tc.limit) {
				got = append(got, len(c))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("chunks %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("chunks %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestSortItems(t *testing.T) {
	sent := []entry{{id: "a", index: "i"}, {id: "b", index: "i"}}
	ok := func(id string, status int) map[string]opensearchapi.BulkRespItem {
		return map[string]opensearchapi.BulkRespItem{"index": {ID: id, Index: "i", Status: status}}
	}
	for _, tc := range []struct {
		name      string
		items     []map[string]opensearchapi.BulkRespItem
		errors    bool
		wantErr   string
		wantRetry int
	}{
		{name: "all ok", items: []map[string]opensearchapi.BulkRespItem{ok("a", 201), ok("b", 200)}},
		{name: "errors flag false but an item failed", items: []map[string]opensearchapi.BulkRespItem{ok("a", 201), ok("b", 500)}, wantRetry: 1},
		{name: "too few items", items: []map[string]opensearchapi.BulkRespItem{ok("a", 201)}, wantErr: "1 items for 2 actions", wantRetry: 2},
		{name: "ids out of order", items: []map[string]opensearchapi.BulkRespItem{ok("b", 201), ok("a", 201)}, wantErr: `_id "b", sent "a"`, wantRetry: 2},
		{name: "no status", items: []map[string]opensearchapi.BulkRespItem{ok("a", 201), ok("b", 0)}, wantErr: "item 2 has status 0", wantRetry: 2},
		{name: "not an index result", items: []map[string]opensearchapi.BulkRespItem{{"create": {ID: "a", Status: 201}}, ok("b", 201)}, wantErr: "not an index result", wantRetry: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := sortItems(sent, &opensearchapi.BulkResp{Errors: tc.errors, Items: tc.items})
			if (err != nil) != (tc.wantErr != "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if len(out.retry) != tc.wantRetry {
				t.Errorf("%d to retry, want %d", len(out.retry), tc.wantRetry)
			}
		})
	}
}
