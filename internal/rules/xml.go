package rules

import (
	"fmt"
	"strings"
)

// Wazuh rule files are read by Wazuh's own small XML reader (os_xml.c), not
// by a conforming XML parser, and rule files rely on its rules:
//
//   - a file may hold several top-level elements; text between them is
//     ignored;
//   - there are no entities: "&", "&lt;" and "&amp;" stay as written;
//   - a '<' in element content starts a child element or the closing tag,
//     unless an odd number of backslashes precede it ("\<" keeps the
//     backslash, which OS_Regex then reads as the escape for '<');
//   - comments are "<!" ... "!>" or "<!--" ... "-->", anywhere, even inside
//     content; "<?xml ...?>" is not accepted;
//   - attribute values are quoted with " or ', may not contain '>', and an
//     attribute may not appear twice;
//   - an element's content is the text after its last child element, kept
//     exactly (no trimming);
//   - the closing tag must repeat the name exactly ("</rule >" fails);
//   - <var name="X">value</var> defines $X for all later content and
//     attribute values (see applyVariables).
//
// xmlReader ports _ReadElem, _getattributes and _oscomment, including the
// two-character push-back stash they share.

const (
	xmlMaxSize       = 20480 // XML_MAXSIZE
	xmlMaxAttrDepth  = 48    // XML_MAX_ATTR_DEPTH
	xmlMaxRecursion  = 1024
	xmlVariableMax   = 256 // XML_VARIABLE_MAXSIZE
	xmlEOF           = -1
	xmlStashCapacity = 2
)

type xmlNode struct {
	name     string
	attrs    []xmlAttr
	content  string
	children []*xmlNode
	line     int
}

type xmlAttr struct {
	name, value string
}

func (n *xmlNode) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.name == name {
			return a.value, true
		}
	}
	return "", false
}

// xmlError is a parse error with the line it was found on.
type xmlError struct {
	line int
	msg  string
}

func (e *xmlError) Error() string { return fmt.Sprintf("line %d: xml: %s", e.line, e.msg) }

type xmlReader struct {
	data  string
	pos   int
	line  int
	stash []int
}

// parseXML reads data into its top-level elements.
func parseXML(data string) ([]*xmlNode, error) {
	r := &xmlReader{data: data, line: 1}
	root := &xmlNode{}
	if err := r.readElem(root, 0, 0); err != nil {
		return nil, err
	}
	return root.children, nil
}

func (r *xmlReader) getc() int {
	var c int
	switch {
	case len(r.stash) > 0:
		c = r.stash[len(r.stash)-1]
		r.stash = r.stash[:len(r.stash)-1]
	case r.pos < len(r.data):
		c = int(r.data[r.pos])
		r.pos++
	default:
		c = xmlEOF
	}
	if c == '\n' {
		r.line++
	}
	return c
}

func (r *xmlReader) ungetc(c int) {
	if len(r.stash) >= xmlStashCapacity {
		return
	}
	r.stash = append(r.stash, c)
	if c == '\n' {
		r.line--
	}
}

func (r *xmlReader) errorf(format string, args ...any) error {
	return &xmlError{line: r.line, msg: fmt.Sprintf(format, args...)}
}

func isCSpace(c int) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// elemState is the state of one _ReadElem call.
type elemState struct {
	parent              *xmlNode
	cur                 *xmlNode
	elem, cont, closing []byte
	location            int // -1 outside, 0 element name, 1 content, 2 closing name
}

// readElem is _ReadElem. At depth 0 it reads every top-level element until
// the end of input; below, it reads one element and returns.
func (r *xmlReader) readElem(parent *xmlNode, depth, recursion int) error {
	recursion++
	if recursion > xmlMaxRecursion {
		return r.errorf("max recursion level reached")
	}
	s := &elemState{parent: parent, location: -1}
	prevv := 1 // -1 right after an odd number of backslashes
	for {
		c := r.getc()
		if c == xmlEOF {
			break
		}
		if c == '\\' {
			prevv = -prevv
		} else if c != '<' && prevv == -1 {
			prevv = 1
		}
		if len(s.elem) >= xmlMaxSize || len(s.cont) >= xmlMaxSize || len(s.closing) >= xmlMaxSize {
			return r.errorf("string overflow")
		}
		if c == '<' {
			switch r.comment() {
			case -1:
				return r.errorf("comment not closed")
			case 1:
				continue
			}
		}
		var done bool
		var err error
		switch {
		case s.location == -1 && prevv == 1:
			if c == '<' {
				if n := r.getc(); n == '/' {
					return r.errorf("element not opened")
				} else {
					r.ungetc(n)
				}
				s.location = 0
			}
		case s.location == 0 && (c == '>' || isCSpace(c)):
			done, err = r.openElement(s, c, depth)
		case s.location == 2 && c == '>':
			done, err = r.closeElement(s, depth)
		case s.location == 1 && c == '<' && prevv == 1:
			err = r.childOrClose(s, depth, recursion)
		default:
			s.add(c)
			if c == '<' {
				prevv = 1
			}
		}
		if done || err != nil {
			return err
		}
	}
	if s.location == -1 && depth == 0 {
		return nil
	}
	return r.errorf("end of file and some elements were not closed")
}

// add appends a character to the name, content or closing tag being read.
func (s *elemState) add(c int) {
	switch s.location {
	case 0:
		s.elem = append(s.elem, byte(c))
	case 1:
		s.cont = append(s.cont, byte(c))
	case 2:
		s.closing = append(s.closing, byte(c))
	}
}

// openElement ends an element name; done is true when a nested call has
// read its one element.
func (r *xmlReader) openElement(s *elemState, c, depth int) (done bool, err error) {
	name := string(s.elem)
	selfClose := strings.HasSuffix(name, "/")
	if selfClose {
		name = name[:len(name)-1]
	}
	s.cur = &xmlNode{name: name, line: r.line}
	s.parent.children = append(s.parent.children, s.cur)
	ga := 0
	if isCSpace(c) {
		if ga, err = r.attributes(s.cur, 0); err != nil {
			return false, err
		}
	}
	s.elem = s.elem[:0]
	if selfClose || ga == '/' {
		s.location = -1
		return depth > 0, nil
	}
	s.location = 1
	return false, nil
}

func (r *xmlReader) closeElement(s *elemState, depth int) (done bool, err error) {
	if string(s.closing) != s.cur.name {
		return false, r.errorf("element '%s' not closed", s.cur.name)
	}
	s.cur.content = string(s.cont)
	s.cont, s.closing = s.cont[:0], s.closing[:0]
	s.location = -1
	return depth > 0, nil
}

// childOrClose handles a '<' in content: a closing tag or a child element,
// after which the content read so far is dropped.
func (r *xmlReader) childOrClose(s *elemState, depth, recursion int) error {
	if n := r.getc(); n == '/' {
		s.location = 2
		return nil
	} else {
		r.ungetc(n)
	}
	r.ungetc('<')
	if err := r.readElem(s.cur, depth+1, recursion); err != nil {
		return err
	}
	s.cont = s.cont[:0]
	return nil
}

// comment is _oscomment, called after a '<': 1 when a comment was skipped,
// 0 when there is none, -1 when the input ends inside one.
func (r *xmlReader) comment() int {
	c := r.getc()
	if c != '!' {
		r.ungetc(c)
		return 0
	}
	for {
		c = r.getc()
		switch c {
		case xmlEOF:
			return -1
		case '!':
			if c = r.getc(); c == '>' {
				return 1
			}
			r.ungetc(c)
		case '-':
			if c = r.getc(); c == '-' {
				if c = r.getc(); c == '>' {
					return 1
				}
				r.ungetc(c)
			}
			r.ungetc(c)
		}
	}
}

// attributes is _getattributes: it reads name="value" pairs until '>' (0)
// or "/" (returns '/').
func (r *xmlReader) attributes(n *xmlNode, depth int) (int, error) {
	if depth > xmlMaxAttrDepth {
		return 0, r.errorf("too many attributes")
	}
	location := 0
	var name, value []byte
	quote := 0
	for {
		c := r.getc()
		if c == xmlEOF {
			return 0, r.errorf("end of file while reading an attribute")
		}
		if len(name) >= xmlMaxSize || len(value) >= xmlMaxSize {
			return 0, r.errorf("overflow attempt at attribute '%.20s'", name)
		}
		switch {
		case c == '>' || (location == 0 && c == '/'):
			if location == 1 {
				return 0, r.errorf("attribute '%s' not closed", name)
			}
			if len(name) > 0 {
				return 0, r.errorf("attribute '%s' has no value", name)
			}
			if c == '/' {
				return '/', nil
			}
			return 0, nil
		case location == 0 && c == '=':
			if _, dup := n.attr(string(name)); dup {
				return 0, r.errorf("attribute '%s' already defined", name)
			}
			c = r.getc()
			if c != '"' && c != '\'' {
				ok := false
				if isCSpace(c) {
					for c = r.getc(); c != xmlEOF && isCSpace(c); c = r.getc() {
					}
					ok = c == '"' || c == '\''
				}
				if !ok {
					return 0, r.errorf("attribute '%s' not followed by a \" or '", name)
				}
			}
			quote = c
			location = 1
		case location == 0 && isCSpace(c):
			if len(name) > 0 {
				return 0, r.errorf("attribute '%s' has no value", name)
			}
		case location == 1 && c == quote:
			n.attrs = append(n.attrs, xmlAttr{name: string(name), value: string(value)})
			switch c = r.getc(); {
			case isCSpace(c):
				return r.attributes(n, depth+1)
			case c == '>':
				return 0, nil
			case c == '/':
				return '/', nil
			}
			return 0, r.errorf("bad attribute closing for '%s'='%s'", name, value)
		case location == 0:
			name = append(name, byte(c))
		default:
			value = append(value, byte(c))
		}
	}
}

// xmlVar is one <var> definition.
type xmlVar struct{ name, value string }

// applyVariables is OS_ApplyVariables: <var name="X">v</var> elements are
// removed from the tree, and "$X" in the content and attribute values of
// every element after the definition is replaced by v. A "$name" is read
// up to '$', '.', '|', ',', ' ' or the end; once any variable is defined,
// an unknown name is an error, except names starting with '(' (the
// "$(field)" of descriptions) and a bare '$'. Strings of two bytes or
// less are left alone. (analysisd loses its place after a "$(" and garbles
// a later "$X" in the same string; here both are handled.)
func applyVariables(nodes []*xmlNode) ([]*xmlNode, error) {
	var vars []xmlVar
	var walk func([]*xmlNode) ([]*xmlNode, error)
	walk = func(list []*xmlNode) ([]*xmlNode, error) {
		out := list[:0:0]
		for _, n := range list {
			if strings.EqualFold(n.name, "var") {
				v, err := defineVar(n)
				if err != nil {
					return nil, err
				}
				vars = append(vars, v)
				continue
			}
			var err error
			if n.content, err = substituteVars(n.content, vars); err != nil {
				return nil, &xmlError{line: n.line, msg: err.Error()}
			}
			for i := range n.attrs {
				if n.attrs[i].value, err = substituteVars(n.attrs[i].value, vars); err != nil {
					return nil, &xmlError{line: n.line, msg: err.Error()}
				}
			}
			if n.children, err = walk(n.children); err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	}
	return walk(nodes)
}

func defineVar(n *xmlNode) (xmlVar, error) {
	if len(n.attrs) == 0 {
		return xmlVar{}, &xmlError{line: n.line, msg: "no value set for variable"}
	}
	if !strings.EqualFold(n.attrs[0].name, "name") {
		return xmlVar{}, &xmlError{line: n.line, msg: `only "name" is allowed as an attribute for a variable`}
	}
	if len(n.attrs[0].value) >= xmlVariableMax {
		return xmlVar{}, &xmlError{line: n.line, msg: "invalid variable name size"}
	}
	return xmlVar{name: n.attrs[0].value, value: n.content}, nil
}

func substituteVars(s string, vars []xmlVar) (string, error) {
	if len(s) <= 2 || len(vars) == 0 || strings.IndexByte(s, '$') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i + 1
		for j < len(s) && strings.IndexByte("$.|, ", s[j]) < 0 {
			j++
		}
		name := s[i+1 : j]
		if len(name) >= xmlVariableMax-1 {
			return "", fmt.Errorf("invalid variable name size: '%d'", len(name))
		}
		if v, ok := lookupVar(vars, name); ok {
			b.WriteString(v)
		} else if name == "" || name[0] == '(' {
			b.WriteString(s[i:j])
		} else {
			return "", fmt.Errorf("unknown variable: '%.95s'", name)
		}
		i = j
	}
	return b.String(), nil
}

func lookupVar(vars []xmlVar, name string) (string, bool) {
	for _, v := range vars {
		if strings.EqualFold(v.name, name) {
			return v.value, true
		}
	}
	return "", false
}
