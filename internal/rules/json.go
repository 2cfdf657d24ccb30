package rules

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// DefaultMaxFields is analysisd.decoder_order_size: the most dynamic fields
// one event keeps.
const DefaultMaxFields = 256

// DecodeOptions tunes the JSON decoder.
type DecodeOptions struct {
	// MaxFields caps the dynamic fields per event; 0 means
	// DefaultMaxFields. Further fields are counted in Event.Dropped.
	MaxFields int
}

// DecodeJSON flattens a JSON object into an event exactly as analysisd's
// JSON_Decoder plugin (with the stock "json" decoder options) does:
//
//   - nested object members become dotted keys ("aws.service.count");
//     an empty object produces no field;
//   - strings are kept as they are (a \u0000 escape ends the string);
//   - a number whose value fits an int exactly prints as "%i" ("5", "8"
//     for 8.0); any other prints as "%f" ("5.500000", "38.705700");
//   - true, false and null print as "true", "false" and "null";
//   - an array prints as cJSON_Print's formatted text: `["a", "b"]`,
//     `[1, 2.5]`, `[]`, objects inside with newlines and tabs;
//   - the top-level keys srcip, dstip, srcport, dstport, protocol, action,
//     srcuser, dstuser, id, status, url, data, extra_data and systemname
//     fill static fields instead (the last one wins); "user" fills dstuser
//     unless dstuser is already set, and is a dynamic field otherwise;
//   - duplicate keys are all kept; lookups return the first;
//   - at most MaxFields dynamic fields are kept.
//
// The parser accepts what cJSON_Parse accepts: trailing text after the
// value, a UTF-8 byte order mark, raw control characters in strings and a
// few number spellings JSON forbids ("01", "1.", "-.5"). The event has
// Decoder "json", AgentID "000" and Log set to data.
func DecodeJSON(data []byte) (*Event, error) {
	return DecodeOptions{}.DecodeJSON(data)
}

// DecodeJSON is DecodeJSON with these options.
func (o DecodeOptions) DecodeJSON(data []byte) (*Event, error) {
	log := string(data) // string values without escapes are cut from it
	p := newCJParser(log)
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		if _, err := p.value(); err != nil {
			return nil, err
		}
		return nil, errors.New("decode json: not an object")
	}
	ev := &Event{AgentID: "000", Log: log, Decoder: "json"}
	// Sized once: every leaf is a member (a ':'), or an array, which
	// has one too; the dotted keys repeat their parents' names, so they
	// take about twice the log.
	leaves := min(strings.Count(log, ":"), o.max())
	ev.fields = make([]Field, 0, leaves)
	ev.index = make(fieldIndex, indexSlots(leaves))
	f := flattener{opt: o, ev: ev, p: p}
	f.keys.Grow(2 * len(log))
	if err := f.object("", true); err != nil {
		return nil, err
	}
	return ev, nil
}

func (o DecodeOptions) max() int {
	if o.MaxFields > 0 {
		return o.MaxFields
	}
	return DefaultMaxFields
}

// flattener is readJSON over cJSON's parse, in one pass: it walks an
// object's members in order as it parses them, building dotted keys, and
// fills the event's fields without building the object's tree (an array,
// whose field is its cJSON print, is parsed into one). The dotted keys are
// written one after the other into keys, and cut from it: one buffer,
// instead of one allocation per key, and the keys of neighbouring fields
// share cache lines when rules look them up. (A strings.Builder never
// changes bytes it has written, so the keys stay valid as it grows.) A
// parse error past the fields already filled fails the whole event, as
// cJSON_Parse fails before analysisd reads any field.
type flattener struct {
	opt  DecodeOptions
	ev   *Event
	p    *cjParser
	keys strings.Builder
}

// object reads the object at the parser, whose key is parent; top is true
// for the root object (analysisd's NULL parent).
func (f *flattener) object(parent string, top bool) error {
	p := f.p
	if err := p.enter(); err != nil {
		return err
	}
	defer func() { p.depth-- }()
	p.i++ // '{'
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return nil
	}
	for {
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return jsonErrorf(p.i, "expected a string key")
		}
		name, err := p.string()
		if err != nil {
			return err
		}
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return jsonErrorf(p.i, "expected ':'")
		}
		p.i++
		p.skipWS()
		key := name
		if !top {
			start := f.keys.Len()
			f.keys.WriteString(parent)
			f.keys.WriteByte('.')
			f.keys.WriteString(name)
			key = f.keys.String()[start:]
		}
		if err := f.member(key, top); err != nil {
			return err
		}
		p.skipWS()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return nil
		}
		return jsonErrorf(p.i, "expected ',' or '}'")
	}
}

// member reads the value at the parser, named key, into the event.
func (f *flattener) member(key string, top bool) error {
	p := f.p
	if p.i < len(p.s) {
		switch p.s[p.i] {
		case '{':
			return f.object(key, false)
		case '"':
			s, err := p.string()
			if err != nil {
				return err
			}
			f.opt.fill(f.ev, key, top, s)
			return nil
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == '-' || isDigit(p.s[p.i])) {
		d, err := p.float()
		if err != nil {
			return err
		}
		f.opt.fill(f.ev, key, top, formatDecodedNumber(d))
		return nil
	}
	v, err := p.value()
	if err != nil {
		return err
	}
	switch v.kind {
	case jTrue:
		f.opt.fill(f.ev, key, top, "true")
	case jFalse:
		f.opt.fill(f.ev, key, top, "false")
	case jNull:
		f.opt.fill(f.ev, key, top, "null")
	case jArray:
		f.opt.fill(f.ev, key, top, printCJSON(v))
	}
	return nil
}

// fill is fillData: static keys at the top level, dynamic fields otherwise.
func (o DecodeOptions) fill(ev *Event, key string, top bool, value string) {
	if top {
		if f, ok := jsonStaticKeys[key]; ok {
			ev.setStatic(f, value)
			return
		}
		if key == "user" {
			if v, ok := ev.staticValue(fDstUser); !ok || v == "" {
				ev.setStatic(fDstUser, value)
				return
			}
		}
	}
	if len(ev.fields) >= o.max() {
		ev.Dropped++
		return
	}
	ev.AddField(key, value)
}

var jsonStaticKeys = map[string]staticField{
	"srcip": fSrcIP, "dstip": fDstIP, "dstport": fDstPort, "srcport": fSrcPort,
	"protocol": fProtocol, "action": fAction, "srcuser": fSrcUser,
	"dstuser": fDstUser, "id": fID, "status": fStatus, "url": fURL,
	"data": fData, "extra_data": fExtraData, "systemname": fSystemName,
}

// formatDecodedNumber formats a number as the JSON decoder does: "%i" of
// cJSON's valueint when it equals the value, otherwise "%f", cut to 63
// bytes like the decoder's 64-byte buffer.
func formatDecodedNumber(d float64) string {
	if vi := cjsonValueInt(d); float64(vi) == d {
		return strconv.Itoa(int(vi))
	}
	var s string
	switch {
	case math.IsInf(d, 1):
		s = "inf"
	case math.IsInf(d, -1):
		s = "-inf"
	default:
		s = strconv.FormatFloat(d, 'f', 6, 64)
	}
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}

// cjsonValueInt is cJSON's valueint: the value saturated to int32 range,
// then truncated.
func cjsonValueInt(d float64) int32 {
	switch {
	case d >= math.MaxInt32:
		return math.MaxInt32
	case d <= math.MinInt32:
		return math.MinInt32
	}
	return int32(d)
}

// DecodeLog runs analysisd's decoder selection on a log line and returns
// the event: the "json" decoder takes a line matching its prematch ^{\s*"
// (where \s is a space) and decodes its fields; a line it cannot parse is
// still decoded as json, with no fields. Any other line gets no decoder.
// wazuh-logtest and the rule-test runner feed lines through this.
func DecodeLog(location, log string) *Event {
	if !jsonPrematch(log) {
		return NewEvent(location, log)
	}
	ev, err := DecodeJSON([]byte(log))
	if err != nil {
		ev = NewEvent(location, log)
		ev.Decoder = "json"
		return ev
	}
	ev.Location = location
	return ev
}

func jsonPrematch(log string) bool {
	if !strings.HasPrefix(log, "{") {
		return false
	}
	rest := strings.TrimLeft(log[1:], " ")
	return strings.HasPrefix(rest, `"`)
}

// jsonErrorf formats a parse error with the byte offset.
func jsonErrorf(off int, format string, args ...any) error {
	return fmt.Errorf("decode json: byte %d: %s", off, fmt.Sprintf(format, args...))
}
