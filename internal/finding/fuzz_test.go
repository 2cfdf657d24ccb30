package finding

import (
	"encoding/json"
	"errors"
	"testing"
)

// Seeds live in testdata/fuzz/FuzzX/ (made from the golden inputs and
// hand-picked edge cases).

func FuzzParse(f *testing.F) {
	f.Add([]byte(full))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		var se *SyntaxError
		switch {
		case errors.As(err, &se):
			// encoding/json must agree the input is not JSON, except for
			// our nesting bound.
			if json.Valid(data) && se.Msg != "nesting deeper than 512" {
				t.Fatalf("rejected valid JSON: %v", err)
			}
			return
		case err != nil:
			if !json.Valid(data) {
				t.Fatalf("accepted invalid JSON, then: %v", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON")
		}
		if (r.Finding == nil) == (r.Skipped == "") {
			t.Fatalf("record has finding=%v skipped=%q", r.Finding != nil, r.Skipped)
		}
		if r.Finding != nil && !json.Valid(r.Finding.Raw) {
			t.Fatalf("Raw is not valid JSON: %q", r.Finding.Raw)
		}
	})
}

func FuzzWazuhEvents(f *testing.F) {
	f.Add([]byte(full))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil || r.Finding == nil {
			return
		}
		n := 0
		err = r.Finding.WazuhEvents(LogInfo{AccountAlias: "a\x00", LogFile: "k\xff", S3Bucket: "b"}, func(ev []byte) error {
			n++
			var msg struct {
				Integration string `json:"integration"`
				AWS         struct {
					Source string `json:"source"`
				} `json:"aws"`
			}
			if err := json.Unmarshal(ev, &msg); err != nil {
				t.Fatalf("event is not valid JSON: %v\n%s", err, ev)
			}
			if msg.Integration != "aws" {
				t.Fatalf("integration %q", msg.Integration)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("WazuhEvents: %v", err)
		}
		if n == 0 {
			t.Fatal("no event")
		}
	})
}
