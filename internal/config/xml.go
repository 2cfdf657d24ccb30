package config

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxXMLDepth bounds element nesting; ossec.conf needs four levels.
const maxXMLDepth = 32

// xmlNode is one element of an ossec.conf-style file.
type xmlNode struct {
	name     string
	attrs    []xml.Attr
	text     []byte // character data directly inside, untrimmed
	line     int
	children []*xmlNode
}

// value is the element's text without surrounding white space.
func (n *xmlNode) value() string { return strings.TrimSpace(string(n.text)) }

func (n *xmlNode) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// lineCounter turns increasing byte offsets into 1-based line numbers.
type lineCounter struct {
	data []byte
	off  int64
	line int
}

func (c *lineCounter) at(off int64) int {
	if off > int64(len(c.data)) {
		off = int64(len(c.data))
	}
	if off > c.off {
		c.line += bytes.Count(c.data[c.off:off], []byte{'\n'})
		c.off = off
	}
	return c.line
}

// readXML reads every top-level element of data, with the line each
// element starts on. Like Wazuh's own parser it is lenient about entities
// ("&&" in a command is kept as written) and takes any declared encoding
// as bytes, but every element must be closed by its own end tag.
func (r *reader) readXML(data []byte) ([]*xmlNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	lines := &lineCounter{data: data, line: 1}
	var roots, stack []*xmlNode
	for {
		start := lines.at(dec.InputOffset())
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, r.errAt(se.Line, "", fmt.Errorf("XML syntax error: %s", se.Msg))
			}
			return nil, r.errAt(lines.at(dec.InputOffset()), "", fmt.Errorf("read XML: %w", err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxXMLDepth {
				return nil, r.errAt(start, "", errors.New("elements nested too deep"))
			}
			n := &xmlNode{name: xmlName(t.Name), attrs: t.Copy().Attr, line: start}
			if len(stack) == 0 {
				roots = append(roots, n)
			} else {
				top := stack[len(stack)-1]
				top.children = append(top.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, r.errAt(start, "", fmt.Errorf("</%s> closes no element", xmlName(t.Name)))
			}
			top := stack[len(stack)-1]
			if name := xmlName(t.Name); name != top.name {
				return nil, r.errAt(start, "", fmt.Errorf("</%s> closes <%s> of line %d", name, top.name, top.line))
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.text = append(top.text, t...)
			}
		}
	}
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		return nil, r.errAt(top.line, "", fmt.Errorf("<%s> is not closed", top.name))
	}
	return roots, nil
}

func xmlName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}
