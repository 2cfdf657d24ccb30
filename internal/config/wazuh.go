package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// bucketChildren are the elements Wazuh accepts inside <bucket>, by their
// XML names (§2.2 of the reference notes).
func bucketChildren() []string {
	return []string{"name", "path", "path_suffix", "aws_profile", "access_key", "secret_key",
		"iam_role_arn", "iam_role_duration", "only_logs_after", "regions", "aws_account_id",
		"aws_account_alias", "aws_organization_id", "discard_regex", "remove_from_bucket",
		"sts_endpoint", "service_endpoint"}
}

// xmlElem names an option the way an ossec.conf user wrote it.
func xmlElem(key string) string {
	if key == "bucket" {
		key = "name"
	}
	return "<" + key + ">"
}

// xmlKey maps a <bucket> child to the option key.
func xmlKey(elem string) string {
	if elem == "name" {
		return "bucket"
	}
	return elem
}

// parseWazuh reads the <wodle name="aws-s3"> blocks of an ossec.conf-style
// file. The file may hold several roots, as ossec.conf does; each root is
// <ossec_config> (or <agent_config>) or a bare aws-s3 wodle. Other
// sections are ignored.
func parseWazuh(file string, data []byte) (Config, []string, error) {
	r := &reader{file: file}
	roots, err := r.readXML(data)
	if err != nil {
		return Config{}, nil, err
	}
	var drafts []*draft
	found := false
	for _, root := range roots {
		var wodles []*xmlNode
		switch {
		case root.name == "ossec_config" || root.name == "agent_config":
			for _, c := range root.children {
				if isAWSWodle(c) {
					wodles = append(wodles, c)
				}
			}
		case isAWSWodle(root):
			wodles = append(wodles, root)
		default:
			return Config{}, nil, r.errAt(root.line, "<"+root.name+">", errors.New("unexpected root element (want <ossec_config>)"))
		}
		for _, w := range wodles {
			found = true
			ds, err := r.wodle(w)
			if err != nil {
				return Config{}, nil, err
			}
			drafts = append(drafts, ds...)
		}
	}
	if !found {
		return Config{}, nil, &Error{File: file, Err: errors.New(`no <wodle name="aws-s3"> block found`)}
	}
	if err := r.nameSources(drafts, true); err != nil {
		return Config{}, nil, err
	}
	cfg := Default()
	cfg.Sources = sources(drafts)
	return cfg, r.warningList(), nil
}

func isAWSWodle(n *xmlNode) bool {
	name, _ := n.attr("name")
	return n.name == "wodle" && name == "aws-s3"
}

// legacy holds the wodle-level options that only the legacy
// <bucket>NAME</bucket> form uses.
type legacy struct {
	name                   string
	bucketLine             int
	accessKey, secretKey   string
	accessLine, secretLine int
	remove                 bool
	removeLine             int
}

// wodle reads one <wodle name="aws-s3">: its options apply to every one of
// its buckets, and each bucket becomes a source.
func (r *reader) wodle(w *xmlNode) ([]*draft, error) {
	tmpl := newDraft(w.line, xmlElem)
	var leg legacy
	var buckets []*xmlNode
	for _, c := range w.children {
		switch c.name {
		case "bucket":
			if len(c.attrs) > 0 {
				buckets = append(buckets, c)
				continue
			}
			if err := r.leaf(c); err != nil {
				return nil, err
			}
			if c.value() == "" {
				return nil, r.errAt(c.line, "<bucket>", errors.New("empty bucket name"))
			}
			leg.name, leg.bucketLine = c.value(), c.line
		case "disabled", "interval", "day", "wday", "time", "run_on_start", "skip_on_error":
			if err := r.xmlOption(tmpl, c, c.name); err != nil {
				return nil, err
			}
		case "remove_from_bucket":
			if err := r.leaf(c); err != nil {
				return nil, err
			}
			b, err := parseBool(c.value(), false)
			if err != nil {
				return nil, r.errAt(c.line, "<remove_from_bucket>", err)
			}
			leg.remove, leg.removeLine = b, c.line
		case "access_key", "secret_key":
			if err := r.leaf(c); err != nil {
				return nil, err
			}
			if c.name == "access_key" {
				leg.accessKey, leg.accessLine = c.value(), c.line
			} else {
				leg.secretKey, leg.secretLine = c.value(), c.line
			}
		case "service", "subscriber":
			return nil, r.errAt(c.line, "<"+c.name+">", errors.New("not supported: dutywatch reads GuardDuty buckets only"))
		default:
			return nil, r.errAt(c.line, "<"+c.name+">", errors.New(`unknown element in <wodle name="aws-s3">`))
		}
	}
	var drafts []*draft
	for _, b := range buckets {
		d, err := r.bucket(tmpl, b)
		if err != nil {
			return nil, err
		}
		drafts = append(drafts, d)
	}
	d, err := r.legacyBucket(tmpl, leg)
	if err != nil {
		return nil, err
	}
	if d != nil {
		drafts = append(drafts, d)
	}
	if len(drafts) == 0 {
		return nil, r.errAt(w.line, `<wodle name="aws-s3">`, errors.New("no <bucket> defined"))
	}
	return drafts, nil
}

// legacyBucket turns <bucket>NAME</bucket> and the wodle-level keys into
// a source, as Wazuh does (account alias LEGACY). It returns nil when the
// wodle has no legacy bucket; wodle-level keys are then ignored.
func (r *reader) legacyBucket(tmpl *draft, leg legacy) (*draft, error) {
	if leg.name == "" {
		for _, ignored := range []struct {
			line int
			elem string
		}{{leg.accessLine, "access_key"}, {leg.secretLine, "secret_key"}, {leg.removeLine, "remove_from_bucket"}} {
			if ignored.line > 0 {
				r.warn(ignored.line, "<%s> at wodle level applies only to the legacy <bucket>NAME</bucket> form; ignored (set it inside <bucket>)", ignored.elem)
			}
		}
		return nil, nil
	}
	r.warn(leg.bucketLine, "%s", legacyDeprecationMsg)
	d := tmpl.clone(leg.bucketLine)
	d.lines["bucket"] = leg.bucketLine
	var err error
	if d.Bucket, err = parseBucket(leg.name); err != nil {
		return nil, r.errAt(leg.bucketLine, "<bucket>", err)
	}
	d.AccountAlias = legacyAccountAlias
	if leg.accessKey != "" {
		d.AccessKey, d.lines["access_key"] = Secret(leg.accessKey), leg.accessLine
	}
	if leg.secretKey != "" {
		d.SecretKey, d.lines["secret_key"] = Secret(leg.secretKey), leg.secretLine
	}
	d.RemoveFromBucket = leg.remove
	if err := r.finish(d); err != nil {
		return nil, err
	}
	return d, nil
}

// clone copies the wodle-level template for one bucket starting at line.
func (d *draft) clone(line int) *draft {
	c := *d
	c.line = line
	c.lines = maps.Clone(d.lines)
	if d.Schedule.WDay != nil {
		wd := *d.Schedule.WDay
		c.Schedule.WDay = &wd
	}
	if d.Schedule.Time != nil {
		t := *d.Schedule.Time
		c.Schedule.Time = &t
	}
	return &c
}

// bucket reads one <bucket type="guardduty"> block.
func (r *reader) bucket(tmpl *draft, b *xmlNode) (*draft, error) {
	for _, a := range b.attrs {
		if a.Name.Space != "" || a.Name.Local != "type" {
			return nil, r.errAt(b.line, "<bucket>", fmt.Errorf("attribute %q is not valid (want type)", xmlName(a.Name)))
		}
		if a.Value != "guardduty" {
			return nil, r.errAt(b.line, "<bucket>", fmt.Errorf("bucket type %q is not supported: dutywatch reads GuardDuty only", a.Value))
		}
	}
	d := tmpl.clone(b.line)
	allowed := bucketChildren()
	seen := map[string]int{}
	for _, c := range b.children {
		if !slices.Contains(allowed, c.name) {
			return nil, r.errAt(c.line, "<"+c.name+">", errors.New("unknown element in <bucket>"))
		}
		if first, ok := seen[c.name]; ok {
			r.warn(c.line, "<%s> repeated (first at line %d); the last value wins", c.name, first)
		}
		seen[c.name] = c.line
		if err := r.bucketChild(d, c); err != nil {
			return nil, err
		}
	}
	if err := r.finish(d); err != nil {
		return nil, err
	}
	return d, nil
}

func (r *reader) bucketChild(d *draft, c *xmlNode) error {
	if err := r.leaf(c); err != nil {
		return err
	}
	elem := "<" + c.name + ">"
	v := c.value()
	switch c.name {
	case "discard_regex":
		return r.xmlDiscard(d, c)
	case "aws_organization_id":
		if v == "" {
			return r.errAt(c.line, elem, errors.New("empty value"))
		}
		r.warn(c.line, "%s does not apply to GuardDuty (its exports have no organization folder); ignored", elem)
		return nil
	case "name", "aws_account_id":
		if v == "" {
			return r.errAt(c.line, elem, errors.New("empty value"))
		}
	case "remove_from_bucket":
		// yes/no is required, even empty.
	default:
		if v == "" {
			r.warn(c.line, "%s is empty; ignored", elem)
			return nil
		}
	}
	if c.name == "access_key" || c.name == "secret_key" {
		r.warn(c.line, "%s is deprecated since Wazuh 4.4; prefer aws_profile, iam_role_arn or the default credential chain", elem)
	}
	return r.xmlOption(d, c, xmlKey(c.name))
}

// xmlOption sets option key of d from the text of c.
func (r *reader) xmlOption(d *draft, c *xmlNode, key string) error {
	if err := r.leaf(c); err != nil {
		return err
	}
	d.lines[key] = c.line
	warning, err := r.setOption(d, key, c.value())
	if err != nil {
		return r.errAt(c.line, "<"+c.name+">", err)
	}
	if warning != "" {
		r.warn(c.line, "<%s>: %s", c.name, warning)
	}
	return nil
}

// xmlDiscard reads <discard_regex field="FIELD">REGEX</discard_regex>.
func (r *reader) xmlDiscard(d *draft, c *xmlNode) error {
	field, _ := c.attr("field")
	d.lines["discard_regex"] = c.line
	if c.value() == "" {
		r.warn(c.line, "<discard_regex> is empty; no finding will be discarded")
		d.Discard = Discard{}
		return nil
	}
	if field == "" {
		return r.errAt(c.line, "<discard_regex>", errors.New(`the attribute field="…" is required`))
	}
	var err error
	if d.Discard, err = compileDiscard(field, c.value()); err != nil {
		return r.errAt(c.line, "<discard_regex>", err)
	}
	return nil
}

// leaf refuses child elements inside an option.
func (r *reader) leaf(c *xmlNode) error {
	if len(c.children) > 0 {
		return r.errAt(c.children[0].line, "<"+c.name+">", fmt.Errorf("unexpected element <%s> inside", c.children[0].name))
	}
	return nil
}
