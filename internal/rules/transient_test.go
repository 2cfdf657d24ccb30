package rules

import (
	"reflect"
	"testing"
)

func TestTransientRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		log  string
		opt  DecodeOptions
	}{
		{"guardduty", `{"integration":"aws","aws":{"source":"guardduty","severity":8,"type":"UnauthorizedAccess:EC2/SSHBruteForce","service":{"action":{"networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":"198.51.100.7"}}}},"resource":{"instanceDetails":{"tags":[{"key":"Name","value":"web"}]}}}}`, DecodeOptions{}},
		{"statics", `{"srcip":"10.0.0.1","dstip":"10.0.0.2","user":"root","id":"7","action":"deny","data":"x"}`, DecodeOptions{}},
		{"duplicate keys in any case", `{"a":{"B":"1","b":"2"},"A":{"b":"3"}}`, DecodeOptions{}},
		{"dropped past the cap", `{"a":1,"b":2,"c":3,"d":4}`, DecodeOptions{MaxFields: 2}},
		{"empty object", `{}`, DecodeOptions{}},
		{"escapes and unicode", `{"k":"line\nbreak \u00e9 \ud83d\ude00","n":-0.5e3,"t":true,"f":false,"z":null}`, DecodeOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := tt.opt.DecodeJSON([]byte(tt.log))
			if err != nil {
				t.Fatal(err)
			}
			want.Location = "Wazuh-AWS"
			got, err := ReadTransientEvent(want.Log, want.AppendTransient(nil))
			if err != nil {
				t.Fatal(err)
			}
			if !sameEvent(got, want) {
				t.Fatalf("read back\n%+v\nwant\n%+v", got, want)
			}
			for _, f := range want.Fields() {
				if v, ok := got.Get(upperASCII(f.Key)); !ok || v != firstFold(want, f.Key) {
					t.Errorf("Get(%q) = %q, %v", f.Key, v, ok)
				}
			}
		})
	}
}

func TestReadTransientEventRejects(t *testing.T) {
	ev, err := DecodeJSON([]byte(`{"a":{"b":"1","c":"2"}}`))
	if err != nil {
		t.Fatal(err)
	}
	good := ev.AppendTransient(nil)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"cut short", good[:len(good)-3]},
		{"trailing bytes", append(append([]byte(nil), good...), 0)},
		{"unknown static bits", []byte{0, 0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"more fields than bytes", []byte{0, 0, 0, 0, 0, 0x7f}},
		{"index slot past the fields", append([]byte{0, 0, 0, 0, 0, 0, 1}, 5, 0, 0, 0, 0, 0, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ReadTransientEvent("", tt.data); err == nil {
				t.Fatal("read without error")
			}
		})
	}
}

func FuzzReadTransientEvent(f *testing.F) {
	f.Add([]byte(`{"integration":"aws","aws":{"severity":5.5,"a":[1,"x",{"b":null}],"c":{}}}`), false)
	f.Add([]byte(`{"srcip":"1.2.3.4","user":"u"}`), true)
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		if raw {
			// Arbitrary bytes must be rejected or read, never crash a lookup.
			if ev, err := ReadTransientEvent("", data); err == nil {
				for _, fl := range ev.Fields() {
					ev.Get(fl.Key)
				}
				ev.Get("a.b")
			}
			return
		}
		want, err := DecodeJSON(data)
		if err != nil {
			return
		}
		got, err := ReadTransientEvent(want.Log, want.AppendTransient(nil))
		if err != nil {
			t.Fatal(err)
		}
		if !sameEvent(got, want) {
			t.Fatalf("read back %+v, want %+v", got, want)
		}
	})
}

// sameEvent compares events field by field, an empty slice equal to nil.
func sameEvent(a, b *Event) bool {
	norm := func(e *Event) Event {
		c := *e
		if len(c.fields) == 0 {
			c.fields = nil
		}
		if len(c.index) == 0 || len(c.fields) == 0 {
			c.index = nil
		}
		return c
	}
	return reflect.DeepEqual(norm(a), norm(b))
}
