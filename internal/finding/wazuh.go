package finding

import (
	"errors"
	"regexp"
	"sync"
)

// LogInfo is the aws.log_info block of a Wazuh event.
type LogInfo struct {
	AccountAlias string // aws_account_alias; "" by default, always written
	LogFile      string // the object key
	S3Bucket     string
}

// sourceIPPattern is Wazuh's test before copying aws.sourceIPAddress to
// aws.source_ip_address (re.match: anchored at the start only; the last
// two dots are unescaped there too; Python's \d is any Unicode digit).
var sourceIPPattern = regexp.MustCompile(`^\p{Nd}+\.\p{Nd}+.\p{Nd}+.\p{Nd}+`)

// encoder holds the reusable buffers of WazuhEvents.
type encoder struct {
	t   tree
	buf []byte
}

var encoderPool = sync.Pool{New: func() any { return &encoder{buf: make([]byte, 0, 8<<10)} }}

// WazuhEvents writes the events Wazuh's aws-s3 wodle sends to analysisd
// for f (the JSON after its "1:Wazuh-AWS:" header), one emit call each:
//
//	{"integration":"aws","aws":{"log_info":{…},…finding…,"source":"guardduty"}}
//
// It applies the wodle's cleanup and reformat exactly:
//   - members whose value is null are removed, recursively through objects
//     but never inside lists;
//   - when aws.source is "guardduty" and
//     service.action.portProbeAction.portProbeDetails has more than one
//     element, one event per element is written with the list replaced by
//     that element, and nothing else is reformatted;
//   - otherwise every one-element list reachable through objects becomes
//     its element (without looking inside that element), a top-level tags
//     that is not an object becomes {"value":tags}, and a top-level
//     sourceIPAddress that looks like an IPv4 address is copied to
//     source_ip_address at the end.
//
// Output is compact JSON; keys keep their order, numbers and strings their
// literal text (so 8.0 stays 8.0 and escapes stay as written), non-ASCII
// stays UTF-8, HTML characters are not escaped, and invalid UTF-8 becomes
// U+FFFD. A duplicate key keeps its first position and its last value, as
// in Python. Two deliberate differences from the wodle: a finding's own
// top-level "log_info" member is dropped instead of replacing ours, and
// Python's float re-formatting (1E5 → 100000.0) is not imitated.
//
// The slice passed to emit is reused after emit returns; an emit error
// stops WazuhEvents and is returned as is.
func (f *Finding) WazuhEvents(info LogInfo, emit func(event []byte) error) error {
	e := encoderPool.Get().(*encoder)
	defer func() { e.t.src = nil; encoderPool.Put(e) }()
	return e.events(f, info, emit)
}

func (e *encoder) events(f *Finding, info LogInfo, emit func([]byte) error) error {
	t := &e.t
	if err := t.parse(f.Raw); err != nil {
		return err
	}
	if t.nodes[0].kind != kObject {
		return errors.New("finding raw JSON is not an object")
	}
	var mbuf [32]member
	members := t.effective(mbuf[:0], 0)
	ppd := int32(-1)
	if f.Source == "guardduty" {
		ppd = t.portProbeDetails(members)
	}
	if ppd < 0 || t.nodes[ppd].n <= 1 {
		e.buf = e.message(e.buf[:0], f, info, members, -1, -1)
		return emit(e.buf)
	}
	for c, j := first(ppd), int32(0); j < t.nodes[ppd].n; c, j = t.next(c), j+1 {
		e.buf = e.message(e.buf[:0], f, info, members, ppd, c)
		if err := emit(e.buf); err != nil {
			return err
		}
	}
	return nil
}

// portProbeDetails finds aws.service.action.portProbeAction.portProbeDetails
// as a list, following non-null objects only, or returns -1.
func (t *tree) portProbeDetails(members []member) int32 {
	s := int32(-1)
	for _, m := range members {
		if t.keyIs(m.key, "service") {
			s = m.val
		}
	}
	d := t.path(s, "action", "portProbeAction", "portProbeDetails")
	if t.kindOf(d) != kArray {
		return -1
	}
	return d
}

// message appends one event. In split mode (ppd >= 0) the list ppd is
// replaced by its element elem and no reformatting happens.
func (e *encoder) message(b []byte, f *Finding, info LogInfo, members []member, ppd, elem int32) []byte {
	t := &e.t
	split := ppd >= 0
	b = append(b, `{"integration":"aws","aws":{"log_info":{"aws_account_alias":`...)
	b = appendString(b, info.AccountAlias)
	b = append(b, `,"log_file":`...)
	b = appendString(b, info.LogFile)
	b = append(b, `,"s3bucket":`...)
	b = appendString(b, info.S3Bucket)
	b = append(b, '}')
	sourceDone, sip := false, int32(-1)
	for _, m := range members {
		key, v := m.key, m.val
		switch {
		case t.keyIs(key, "source"):
			// Wazuh sets source on the finding before cleaning it, so a
			// finding's own source keeps its place and loses its value.
			b = append(b, `,"source":`...)
			b = appendString(b, f.Source)
			sourceDone = true
			continue
		case t.keyIs(key, "log_info"):
			continue
		case t.nodes[v].kind == kNull:
			continue
		}
		b = append(b, ',')
		b = e.key(b, key)
		b = append(b, ':')
		if split {
			b = e.clean(b, v, false, ppd, elem)
			continue
		}
		unwrapped := v
		if nd := &t.nodes[v]; nd.kind == kArray && nd.n == 1 {
			unwrapped = first(v)
		}
		switch {
		case t.keyIs(key, "tags") && t.nodes[unwrapped].kind != kObject:
			b = append(b, `{"value":`...)
			b = e.verbatim(b, unwrapped)
			b = append(b, '}')
			continue
		case t.keyIs(key, "sourceIPAddress") && t.nodes[unwrapped].kind == kString:
			if sourceIPPattern.MatchString(t.str(unwrapped)) {
				sip = unwrapped
			}
		}
		b = e.clean(b, v, true, -1, -1)
	}
	if !sourceDone {
		b = append(b, `,"source":`...)
		b = appendString(b, f.Source)
	}
	if sip >= 0 {
		b = append(b, `,"source_ip_address":`...)
		b = e.verbatim(b, sip)
	}
	return append(b, "}}"...)
}

// clean appends member value v after Wazuh's cleanup: objects lose null
// members (recursively through objects), and with unwrap one-element lists
// become their element. Lists are copied as they are, except that the
// list ppd is replaced by its element elem.
func (e *encoder) clean(b []byte, v int32, unwrap bool, ppd, elem int32) []byte {
	t := &e.t
	nd := &t.nodes[v]
	switch {
	case v == ppd:
		return e.verbatim(b, elem)
	case nd.kind == kArray:
		if unwrap && nd.n == 1 {
			return e.verbatim(b, first(v))
		}
		return e.verbatim(b, v)
	case nd.kind != kObject:
		return e.verbatim(b, v)
	}
	mask := fFix | fNullInObj
	if unwrap {
		mask |= fListInObj
	}
	holdsPPD := ppd > v && ppd < nd.skip
	if nd.flags&mask == 0 && !holdsPPD {
		return append(b, t.raw(v)...)
	}
	var mbuf [16]member
	b = append(b, '{')
	n := 0
	for _, m := range t.effective(mbuf[:0], v) {
		if t.nodes[m.val].kind == kNull {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = e.key(b, m.key)
		b = append(b, ':')
		b = e.clean(b, m.val, unwrap, ppd, elem)
	}
	return append(b, '}')
}

// verbatim appends value v in compact form with no reformatting.
func (e *encoder) verbatim(b []byte, v int32) []byte {
	t := &e.t
	nd := &t.nodes[v]
	if nd.flags&fFix == 0 {
		return append(b, t.raw(v)...)
	}
	switch nd.kind {
	case kString:
		return appendFixedToken(b, t.raw(v))
	case kArray:
		b = append(b, '[')
		for c, j := first(v), int32(0); j < nd.n; c, j = t.next(c), j+1 {
			if j > 0 {
				b = append(b, ',')
			}
			b = e.verbatim(b, c)
		}
		return append(b, ']')
	case kObject:
		var mbuf [16]member
		b = append(b, '{')
		for j, m := range t.effective(mbuf[:0], v) {
			if j > 0 {
				b = append(b, ',')
			}
			b = e.key(b, m.key)
			b = append(b, ':')
			b = e.verbatim(b, m.val)
		}
		return append(b, '}')
	}
	return append(b, t.raw(v)...)
}

// key appends the quoted key of member i as written.
func (e *encoder) key(b []byte, i int32) []byte {
	nd := &e.t.nodes[i]
	tok := e.t.src[nd.key:nd.keyEnd]
	if nd.flags&fKeyBad != 0 {
		return appendFixedToken(b, tok)
	}
	return append(b, tok...)
}

// ErrorEvent returns Wazuh's error event for an object that could not be
// read (sent when skip_on_error is on):
//
//	{"integration":"aws","aws":{"log_info":{…}},"error_msg":"…"}
func ErrorEvent(info LogInfo, msg string) []byte {
	b := make([]byte, 0, 128+len(info.LogFile)+len(msg))
	b = append(b, `{"integration":"aws","aws":{"log_info":{"aws_account_alias":`...)
	b = appendString(b, info.AccountAlias)
	b = append(b, `,"log_file":`...)
	b = appendString(b, info.LogFile)
	b = append(b, `,"s3bucket":`...)
	b = appendString(b, info.S3Bucket)
	b = append(b, `}},"error_msg":`...)
	b = appendString(b, msg)
	return append(b, '}')
}
