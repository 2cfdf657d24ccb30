package rules

import (
	"reflect"
	"strings"
	"testing"
)

func TestDecodeJSON(t *testing.T) {
	cases := []struct {
		name   string
		in     string
		fields []Field
		static map[string]string
	}{
		{
			name:   "nested objects flatten to dotted keys",
			in:     `{"integration":"aws","aws":{"source":"guardduty","service":{"count":5}}}`,
			fields: []Field{{"integration", "aws"}, {"aws.source", "guardduty"}, {"aws.service.count", "5"}},
		},
		{
			name: "numbers as analysisd prints them",
			in:   `{"a":8.0,"b":5.5,"c":38.7057,"d":-0.0,"e":2147483648,"f":-3,"g":1e2,"h":0.1234567,"i":1e400}`,
			fields: []Field{{"a", "8"}, {"b", "5.500000"}, {"c", "38.705700"}, {"d", "0"},
				{"e", "2147483648.000000"}, {"f", "-3"}, {"g", "100"}, {"h", "0.123457"}, {"i", "inf"}},
		},
		{
			name:   "huge numbers are cut to 63 bytes",
			in:     `{"a":1e300}`,
			fields: []Field{{"a", "100000000000000005250476025520442024870446858110815915491585411"}}, // %f prints the exact double
		},
		{
			name:   "booleans and null",
			in:     `{"t":true,"f":false,"n":null}`,
			fields: []Field{{"t", "true"}, {"f", "false"}, {"n", "null"}},
		},
		{
			name: "arrays print as cJSON_Print",
			in:   `{"a":["x","y"],"b":[],"c":[1,2.5,true,null],"d":[{"k":"v","n":1},{"e":{}}],"e":[[1,[2]],"q\"\n"]}`,
			fields: []Field{
				{"a", `["x", "y"]`}, {"b", `[]`}, {"c", `[1, 2.5, true, null]`},
				{"d", "[{\n\t\t\"k\":\t\"v\",\n\t\t\"n\":\t1\n\t}, {\n\t\t\"e\":\t{\n\t\t}\n\t}]"},
				{"e", `[[1, [2]], "q\"\n"]`},
			},
		},
		{
			name:   "array number precision",
			in:     `{"a":[0.1,1e21,123456789.123]}`,
			fields: []Field{{"a", `[0.1, 1e+21, 123456789.123]`}},
		},
		{
			name:   "empty object makes no field",
			in:     `{"a":{},"b":{"c":{}},"d":1}`,
			fields: []Field{{"d", "1"}},
		},
		{
			name:   "static keys at the top level only",
			in:     `{"srcip":"1.2.3.4","data":"x","nested":{"srcip":"5.6.7.8"},"systemname":"h"}`,
			fields: []Field{{"nested.srcip", "5.6.7.8"}},
			static: map[string]string{"srcip": "1.2.3.4", "data": "x", "system_name": "h"},
		},
		{
			name:   "user fills dstuser when unset",
			in:     `{"user":"alice"}`,
			static: map[string]string{"dstuser": "alice"},
		},
		{
			name:   "user is dynamic when dstuser is set",
			in:     `{"dstuser":"bob","user":"alice"}`,
			fields: []Field{{"user", "alice"}},
			static: map[string]string{"dstuser": "bob"},
		},
		{
			name:   "last static value wins",
			in:     `{"id":"1","id":"2"}`,
			static: map[string]string{"id": "2"},
		},
		{
			name:   "duplicate dynamic keys are all kept",
			in:     `{"a":"1","A":"2","a":"3"}`,
			fields: []Field{{"a", "1"}, {"A", "2"}, {"a", "3"}},
		},
		{
			name:   "escapes and NUL",
			in:     `{"a":"x\u00e9\ud83d\ude00\/","b":"cut\u0000here","c":"bad\uZZZZhex"}`,
			fields: []Field{{"a", "xé😀/"}, {"b", "cut"}, {"c", "bad"}},
		},
		{
			name:   "empty key",
			in:     `{"":{"a":1},"b":{"":2}}`,
			fields: []Field{{".a", "1"}, {"b.", "2"}},
		},
		{
			name:   "trailing text, BOM and loose numbers are accepted",
			in:     "\xef\xbb\xbf {\"a\":01,\"b\":1.,\"c\":-.5} trailing",
			fields: []Field{{"a", "1"}, {"b", "1"}, {"c", "-0.500000"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := DecodeJSON([]byte(tc.in))
			if err != nil {
				t.Fatalf("DecodeJSON: %v", err)
			}
			if got := ev.Fields(); !reflect.DeepEqual(got, tc.fields) && (len(got) != 0 || len(tc.fields) != 0) {
				t.Errorf("fields = %q, want %q", got, tc.fields)
			}
			for k, want := range tc.static {
				if got, ok := ev.Static(k); !ok || got != want {
					t.Errorf("Static(%s) = %q, %v; want %q", k, got, ok, want)
				}
			}
			if ev.Decoder != "json" || ev.AgentID != "000" || ev.Log != tc.in {
				t.Errorf("event header = %q %q %q", ev.Decoder, ev.AgentID, ev.Log)
			}
		})
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	for _, in := range []string{``, `[1]`, `"s"`, `{"a":}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":[1,]}`,
		`{"a":"\x"}`, `{"a":"\ud800"}`, `{"a":"\udc00"}`, `{"a":"unterminated}`, `{"a":-}`, `{"a":tru}`,
		strings.Repeat("[", 1001) + strings.Repeat("]", 1001)} {
		if ev, err := DecodeJSON([]byte(in)); err == nil {
			t.Errorf("DecodeJSON(%.30q) = %v, want error", in, ev.Fields())
		}
	}
}

func TestDecodeJSONMaxFields(t *testing.T) {
	ev, err := DecodeOptions{MaxFields: 2}.DecodeJSON([]byte(`{"a":1,"srcip":"x","b":2,"c":3,"d":{"e":4}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Fields()) != 2 || ev.Dropped != 2 {
		t.Errorf("fields %v dropped %d, want 2 fields and 2 dropped", ev.Fields(), ev.Dropped)
	}
	if v, _ := ev.Static("srcip"); v != "x" {
		t.Errorf("static fields are not capped: srcip = %q", v)
	}
}

func TestEventGet(t *testing.T) {
	ev, err := DecodeJSON([]byte(`{"AWS":{"Source":"a"},"aws":{"source":"b"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := ev.Get("aws.source"); !ok || v != "a" {
		t.Errorf("Get is case-insensitive and first wins: got %q", v)
	}
	if _, ok := ev.Get("nope"); ok {
		t.Errorf("Get(nope) found a field")
	}
	var empty Event
	if _, ok := empty.Get("x"); ok {
		t.Errorf("empty event has a field")
	}
	ev.AddField("Extra", "1")
	if v, _ := ev.Get("EXTRA"); v != "1" {
		t.Errorf("AddField not found")
	}
	if !ev.SetStatic("srcip", "10.0.0.1") || ev.SetStatic("bogus", "x") {
		t.Errorf("SetStatic result wrong")
	}
	if _, ok := ev.Static("bogus"); ok {
		t.Errorf("Static(bogus) ok")
	}
}

func TestDecodeLog(t *testing.T) {
	cases := []struct {
		name, log, decoder string
		fields             int
	}{
		{"json", `{"a":1}`, "json", 1},
		{"json with spaces", `{   "a":1}`, "json", 1},
		{"newline is not a space", "{\n\"a\":1}", "", 0},
		{"malformed json keeps the decoder", `{"a":`, "json", 0},
		{"empty object does not match the prematch", `{}`, "", 0},
		{"syslog line", `Jan  1 00:00:00 host sshd[1]: x`, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := DecodeLog("stdin", tc.log)
			if ev.Decoder != tc.decoder || len(ev.Fields()) != tc.fields || ev.Location != "stdin" || ev.Log != tc.log {
				t.Errorf("got decoder %q, %d fields, location %q", ev.Decoder, len(ev.Fields()), ev.Location)
			}
		})
	}
}
