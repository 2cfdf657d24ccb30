package ruleset

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// jsonValue is a JSON value that keeps its object keys in order and its
// numbers as written, so a finding can be edited and written back looking
// as GuardDuty wrote it. Objects are *jsonObject, arrays []any, numbers
// json.Number.
type jsonValue = any

type jsonObject struct {
	keys []string
	vals []jsonValue
}

func parseJSON(data []byte) (jsonValue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return readJSON(dec)
}

func readJSON(dec *json.Decoder) (jsonValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &jsonObject{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := readJSON(dec)
			if err != nil {
				return nil, err
			}
			o.keys, o.vals = append(o.keys, k.(string)), append(o.vals, v)
		}
		_, err = dec.Token()
		return o, err
	case json.Delim('['):
		a := []any{}
		for dec.More() {
			v, err := readJSON(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err = dec.Token()
		return a, err
	}
	return tok, nil
}

func writeJSON(w *bytes.Buffer, v jsonValue) {
	switch v := v.(type) {
	case *jsonObject:
		w.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				w.WriteByte(',')
			}
			writeJSON(w, k)
			w.WriteByte(':')
			writeJSON(w, v.vals[i])
		}
		w.WriteByte('}')
	case []any:
		w.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				w.WriteByte(',')
			}
			writeJSON(w, e)
		}
		w.WriteByte(']')
	case json.Number:
		w.WriteString(string(v))
	case nil:
		w.WriteString("null")
	default:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			panic(fmt.Sprintf("encode %v: %v", v, err))
		}
		w.Truncate(w.Len() - 1) // Encode's newline
	}
}

func (o *jsonObject) get(key string) (jsonValue, bool) {
	for i, k := range o.keys {
		if k == key {
			return o.vals[i], true
		}
	}
	return nil, false
}

// set replaces key's value, or appends key.
func (o *jsonObject) set(key string, v jsonValue) {
	for i, k := range o.keys {
		if k == key {
			o.vals[i] = v
			return
		}
	}
	o.keys, o.vals = append(o.keys, key), append(o.vals, v)
}

func (o *jsonObject) remove(key string) {
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			o.vals = append(o.vals[:i], o.vals[i+1:]...)
			return
		}
	}
}

// prune removes the member at path (dotted keys), looking through arrays.
func prune(v jsonValue, path []string) {
	switch v := v.(type) {
	case *jsonObject:
		if len(path) == 1 {
			v.remove(path[0])
			return
		}
		if c, ok := v.get(path[0]); ok {
			prune(c, path[1:])
		}
	case []any:
		for _, e := range v {
			prune(e, path)
		}
	}
}
