package doctor

import (
	"bytes"
	"encoding/json"
	"testing"
)

func sampleReports() []Report {
	return []Report{{
		Source: "gd", Type: "s3", Location: "s3://gd/fh/",
		Checks: []Check{
			{Name: "credentials", Result: OK, Detail: "account 123456789012"},
			{Name: "read", Result: Fail, Detail: "s3://gd/fh/a\tb\nc: byte 7: bad <json>", Fix: "replace it"},
		},
	}, {
		Source: "inbox", Type: "dir", Location: "/data/inbox",
		Checks: []Check{{Name: "objects", Result: Warn, Detail: "stale", Fix: "check the stream"}},
	}}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, sampleReports()); err != nil {
		t.Fatal(err)
	}
	want := `s3 source gd: s3://gd/fh/
CHECK        RESULT  DETAIL                                FIX
credentials  ok      account 123456789012
read         FAIL    s3://gd/fh/a b c: byte 7: bad <json>  replace it

dir source inbox: /data/inbox
CHECK    RESULT  DETAIL  FIX
objects  warn    stale   check the stream

2 source(s): 1 check failed, 1 warning
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sampleReports()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		OK      bool     `json:"ok"`
		Sources []Report `json:"sources"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, b.String())
	}
	if got.OK || len(got.Sources) != 2 || got.Sources[0].Checks[1].Result != Fail || got.Sources[0].Checks[1].Fix != "replace it" {
		t.Errorf("round trip: %+v", got)
	}
	if !bytes.Contains(b.Bytes(), []byte(`"check":"read","result":"FAIL","detail":"s3://gd/fh/a\tb\nc: byte 7: bad <json>"`)) {
		t.Errorf("json: %s", b.String())
	}
	b.Reset()
	WriteJSON(&b, nil)
	if b.String() != `{"ok":true,"sources":[]}`+"\n" {
		t.Errorf("empty: %s", b.String())
	}
}

func TestFailures(t *testing.T) {
	r := sampleReports()
	if n := Failures(r); n != 1 {
		t.Errorf("Failures = %d", n)
	}
	if !r[0].Failed() || r[1].Failed() {
		t.Error("Failed")
	}
}
