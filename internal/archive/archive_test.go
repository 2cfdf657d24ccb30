package archive

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAppendIsValidJSON(t *testing.T) {
	f := NewFormatter(`host "with" quotes`)
	ts := time.Date(2024, 5, 1, 13, 5, 12, 345e6, time.UTC)
	line := f.Append(nil, "abc", ts, []byte(`{"integration":"aws","aws":{"severity":8.0}}`))
	if line[len(line)-1] != '\n' {
		t.Fatalf("line does not end in a newline: %q", line)
	}
	var got struct {
		Timestamp string `json:"timestamp"`
		ID        string `json:"id"`
		Agent     struct{ Name string }
		Data      json.RawMessage `json:"data"`
		Location  string          `json:"location"`
	}
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("line is not JSON: %v\n%s", err, line)
	}
	if got.Timestamp != "2024-05-01T13:05:12.345+0000" || got.ID != "abc" || got.Agent.Name != `host "with" quotes` ||
		got.Location != "Wazuh-AWS" || string(got.Data) != `{"integration":"aws","aws":{"severity":8.0}}` {
		t.Errorf("unexpected line: %+v", got)
	}
}

func TestEventIDDistinguishesEveryPart(t *testing.T) {
	base := EventID("b", "k", 10, 0)
	for name, id := range map[string]string{
		"bucket": EventID("b2", "k", 10, 0),
		"key":    EventID("b", "k2", 10, 0),
		"offset": EventID("b", "k", 11, 0),
		"index":  EventID("b", "k", 10, 1),
		"shift":  EventID("bk", "", 10, 0),
	} {
		if id == base {
			t.Errorf("changing the %s gave the same id %s", name, id)
		}
	}
	if EventID("b", "k", 10, 0) != base {
		t.Error("EventID is not deterministic")
	}
}
