package rules

import "strings"

// template is a rule description cut, once at load, into literal text and
// $(name) references, as analysisd's ParseRuleComment scans it: each
// "$(name)" is replaced by the static field of that exact name (srcip,
// dstuser, system_name, ...) or else the dynamic field (any case); an
// unknown name gives "". An unterminated "$(" is kept as written. If the
// result would reach OS_COMMENT_MAX bytes the description is returned
// unexpanded.
type template struct {
	raw  string    // the description as written
	refs []tmplRef // none: raw is always the result
	tail string    // text after the last reference
}

// tmplRef is the literal text before one $(name) and the field it names.
type tmplRef struct {
	lit      string
	isStatic bool
	static   staticField
	lower    string // dynamic field name, lowercase
	fid      int    // memo slot of lower (Ruleset.fieldNames), or -1
}

// templateStatics are the static fields a description can name, by their
// exact (lowercase) names.
var templateStatics = map[string]staticField{
	"dstuser": fDstUser, "srcuser": fSrcUser, "srcip": fSrcIP, "dstip": fDstIP,
	"srcgeoip": fSrcGeoIP, "dstgeoip": fDstGeoIP, "srcport": fSrcPort,
	"dstport": fDstPort, "protocol": fProtocol, "action": fAction, "id": fID,
	"url": fURL, "data": fData, "status": fStatus, "extra_data": fExtraData,
	"system_name": fSystemName, "program_name": fProgramName, "hostname": fHostname,
}

// parseTemplate cuts a description. Only the first OS_COMMENT_MAX bytes
// are scanned, as analysisd does; a description with no complete
// reference there always expands to itself (it is either unchanged or too
// long).
func parseTemplate(desc string) *template {
	t := &template{raw: desc}
	if !strings.Contains(desc, "$(") {
		return t
	}
	str := desc
	if len(str) > commentMax {
		str = str[:commentMax]
	}
	for {
		tok := strings.Index(str, "$(")
		if tok < 0 {
			break
		}
		end := strings.IndexByte(str[tok+2:], ')')
		if end < 0 {
			break
		}
		name := str[tok+2 : tok+2+end]
		ref := tmplRef{lit: str[:tok], fid: -1}
		if f, ok := templateStatics[name]; ok {
			ref.isStatic, ref.static = true, f
		} else {
			ref.lower = toLowerASCII(name)
		}
		t.refs = append(t.refs, ref)
		str = str[tok+2+end+1:]
	}
	t.tail = str
	return t
}

// expand fills the template for c's event. analysisd gives up (returns the
// description as written) as soon as the text built so far, a literal or
// a value included, reaches OS_COMMENT_MAX; the running length only grows,
// so that is the same as the whole result reaching it.
func (t *template) expand(c *evalCtx) string {
	if len(t.refs) == 0 {
		return t.raw
	}
	var buf [16]string
	vals := buf[:0]
	n := len(t.tail)
	for i := range t.refs {
		r := &t.refs[i]
		v, _ := c.ref(r)
		vals = append(vals, v)
		n += len(r.lit) + len(v)
	}
	if n >= commentMax {
		return t.raw
	}
	var b strings.Builder
	b.Grow(n)
	for i := range t.refs {
		b.WriteString(t.refs[i].lit)
		b.WriteString(vals[i])
	}
	b.WriteString(t.tail)
	return b.String()
}

// ref is the value a template reference names ("" and false when unset).
func (c *evalCtx) ref(r *tmplRef) (string, bool) {
	if r.isStatic {
		return c.ev.staticValue(r.static)
	}
	if r.fid < 0 {
		return c.ev.getLower(r.lower)
	}
	return c.field(r.fid, r.lower)
}
