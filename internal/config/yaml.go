package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlErrRE splits yaml.v3's "yaml: line N: message" so the line can be
// reported like every other error.
var yamlErrRE = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)

// maxMergeDepth bounds nested "<<" merge keys.
const maxMergeDepth = 8

// The YAML file is read as a yaml.Node tree and walked by hand rather
// than decoded with KnownFields: that gives every error, including the
// checks that span several options, the line of the option concerned, and
// an "unknown field" message that names the key rather than a Go type.

// parseYAML reads a dutywatch YAML configuration.
func parseYAML(file string, data []byte, lookupEnv func(string) (string, bool)) (Config, []string, error) {
	r := &reader{file: file, yamlForms: true, lookupEnv: lookupEnv}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			r.warn(1, "the file is empty: no sources configured")
			return Default(), r.warningList(), nil
		}
		return Config{}, nil, r.yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return Config{}, nil, r.errAt(extra.Line, "", errors.New("only one YAML document is allowed"))
	} else if !errors.Is(err, io.EOF) {
		return Config{}, nil, r.yamlError(err)
	}
	if len(doc.Content) == 0 {
		r.warn(1, "the file is empty: no sources configured")
		return Default(), r.warningList(), nil
	}
	cfg, err := r.yamlConfig(doc.Content[0])
	if err != nil {
		return Config{}, nil, err
	}
	return cfg, r.warningList(), nil
}

func (r *reader) yamlError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		err = errors.New(te.Errors[0])
	}
	if m := yamlErrRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return r.errAt(line, "", errors.New(m[2]))
	}
	return &Error{File: r.file, Err: err}
}

func (r *reader) yamlConfig(root *yaml.Node) (Config, error) {
	cfg := Default()
	pairs, err := r.pairs(root, 0)
	if err != nil {
		return Config{}, err
	}
	var drafts []*draft
	for _, p := range pairs {
		switch p.key {
		case "sources":
			drafts, err = r.yamlSources(p.val)
		case "state":
			var v string
			if v, err = r.scalar(p); err == nil {
				if cfg.State, err = expandEnv(v, r.lookupEnv); err != nil {
					err = r.errAt(p.line, p.key, err)
				}
			}
		case "instance":
			if cfg.Instance, err = r.scalar(p); err == nil && (cfg.Instance == "" || strings.IndexFunc(cfg.Instance, isSpaceOrControl) >= 0) {
				err = r.errAt(p.line, p.key, fmt.Errorf("invalid instance name %q: not empty, no spaces or control characters", cfg.Instance))
			}
		case "indexers":
			cfg.Indexers, err = r.yamlIndexers(p.val)
		case "notifications":
			cfg.Notifications, err = r.yamlNotifications(p.val)
		case "workers":
			cfg.Workers, err = r.workers(p)
		case "output":
			err = r.yamlOutput(&cfg.Output, p.val)
		case "log":
			err = r.yamlLog(&cfg.Log, p.val)
		case "rules":
			err = r.yamlRules(&cfg.Rules, p.val)
		case "retention":
			var v string
			if v, err = r.scalar(p); err == nil {
				if cfg.Retention, _, err = parseDuration(v, "retention", true, false); err != nil {
					err = r.errAt(p.line, p.key, err)
				}
			}
		default:
			if strings.HasPrefix(p.key, "x-") {
				continue // an extension field, e.g. to hold anchors
			}
			err = r.errAt(p.line, "", fmt.Errorf("unknown field %q", p.key))
		}
		if err != nil {
			return Config{}, err
		}
	}
	if err := r.nameSources(drafts, false); err != nil {
		return Config{}, err
	}
	if len(drafts) == 0 {
		r.warn(root.Line, "no sources configured")
	}
	cfg.Sources = sources(drafts)
	return cfg, nil
}

// pair is one key of a mapping and its value.
type pair struct {
	key  string
	line int
	val  *yaml.Node
}

// pairs returns the keys of mapping n in order, with "<<" merge keys
// applied (explicit keys win) and repeated keys refused.
func (r *reader) pairs(n *yaml.Node, depth int) ([]pair, error) {
	n = deref(n)
	if p, ok := r.pairsCache[n]; ok {
		return p, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, r.errAt(n.Line, "", errors.New("expected a mapping of field: value"))
	}
	var own, merged []pair
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, r.errAt(k.Line, "", errors.New("a field name must be a plain string"))
		}
		if k.Tag == "!!merge" {
			m, err := r.mergePairs(v, depth)
			if err != nil {
				return nil, err
			}
			merged = append(merged, m...)
			continue
		}
		if first, ok := seen[k.Value]; ok {
			return nil, r.errAt(k.Line, "", fmt.Errorf("field %q repeated (first at line %d)", k.Value, first))
		}
		seen[k.Value] = k.Line
		own = append(own, pair{key: k.Value, line: k.Line, val: v})
	}
	for _, p := range merged {
		if _, ok := seen[p.key]; !ok {
			seen[p.key] = p.line
			own = append(own, p)
		}
	}
	// An anchor merged many times, at many levels, is read once.
	if r.pairsCache == nil {
		r.pairsCache = map[*yaml.Node][]pair{}
	}
	r.pairsCache[n] = own
	return own, nil
}

// mergePairs reads the value of a "<<" key: a mapping or a list of them.
func (r *reader) mergePairs(v *yaml.Node, depth int) ([]pair, error) {
	if depth >= maxMergeDepth {
		return nil, r.errAt(v.Line, "", errors.New("merge keys nested too deep"))
	}
	v = deref(v)
	if v.Kind != yaml.SequenceNode {
		return r.pairs(v, depth+1)
	}
	var out []pair
	for _, item := range v.Content {
		p, err := r.pairs(item, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, p...)
	}
	return out, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < maxMergeDepth; i++ {
		n = n.Alias
	}
	return n
}

// scalar returns the single value of p; null is "".
func (r *reader) scalar(p pair) (string, error) {
	v := deref(p.val)
	if v.Kind != yaml.ScalarNode {
		return "", r.errAt(v.Line, p.key, errors.New("expected a single value"))
	}
	if v.Tag == "!!null" {
		return "", nil
	}
	return v.Value, nil
}

// list returns the items of a YAML list, or the comma-separated items of
// a single value, joined by commas. Each list item is checked on its own
// first, so that an error names its line.
func (r *reader) list(d *draft, p pair) (string, error) {
	v := deref(p.val)
	if v.Kind != yaml.SequenceNode {
		return r.scalar(p)
	}
	items := make([]string, 0, len(v.Content))
	for _, item := range v.Content {
		s, err := r.scalar(pair{key: p.key, line: item.Line, val: item})
		if err != nil {
			return "", err
		}
		if _, err := r.setOption(d, p.key, s); err != nil {
			return "", r.errAt(item.Line, p.key, err)
		}
		items = append(items, s)
	}
	return strings.Join(items, ","), nil
}

func (r *reader) workers(p pair) (int, error) {
	v, err := r.scalar(p)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxWorkers {
		return 0, r.errAt(p.line, p.key, fmt.Errorf("invalid number of workers %q (want 1 to %d)", v, maxWorkers))
	}
	return n, nil
}

func (r *reader) yamlOutput(out *Output, n *yaml.Node) error {
	pairs, err := r.pairs(n, 0)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		switch p.key {
		case "archives_path":
			out.ArchivesPath, err = r.scalar(p)
		case "alerts_path":
			out.AlertsPath, err = r.scalar(p)
		default:
			err = r.errAt(p.line, "", fmt.Errorf("unknown field %q", p.key))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *reader) yamlLog(l *Log, n *yaml.Node) error {
	pairs, err := r.pairs(n, 0)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		if p.key != "level" {
			return r.errAt(p.line, "", fmt.Errorf("unknown field %q", p.key))
		}
		v, err := r.scalar(p)
		if err != nil {
			return err
		}
		if err := l.Level.UnmarshalText([]byte(v)); err != nil {
			return r.errAt(p.line, p.key, fmt.Errorf("invalid log level %q (want debug, info, warn or error)", v))
		}
	}
	return nil
}

func (r *reader) yamlSources(n *yaml.Node) ([]*draft, error) {
	n = deref(n)
	if n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, r.errAt(n.Line, "sources", errors.New("expected a list of sources"))
	}
	drafts := make([]*draft, 0, len(n.Content))
	for _, item := range n.Content {
		d, err := r.yamlSource(deref(item))
		if err != nil {
			return nil, err
		}
		drafts = append(drafts, d)
	}
	return drafts, nil
}

func yamlKey(key string) string { return key }

func (r *reader) yamlSource(n *yaml.Node) (*draft, error) {
	d := newDraft(n.Line, yamlKey)
	pairs, err := r.pairs(n, 0)
	if err != nil {
		return nil, err
	}
	for _, p := range pairs {
		d.lines[p.key] = p.line
		if p.key == "discard_regex" {
			if err := r.yamlDiscard(d, p); err != nil {
				return nil, err
			}
			continue
		}
		var v string
		if p.key == "regions" || p.key == "aws_account_id" || p.key == "detector_ids" {
			v, err = r.list(d, p)
		} else {
			v, err = r.scalar(p)
		}
		if err != nil {
			return nil, err
		}
		warning, err := r.setOption(d, p.key, v)
		if errors.Is(err, errUnknownOption) {
			return nil, r.errAt(p.line, "", fmt.Errorf("unknown field %q", p.key))
		}
		if err != nil {
			return nil, r.errAt(p.line, p.key, err)
		}
		if warning != "" {
			r.warn(p.line, "%s: %s", p.key, warning)
		}
	}
	if err := r.finish(d); err != nil {
		return nil, err
	}
	return d, nil
}

// yamlDiscard reads discard_regex: {field: FIELD, regex: REGEX}.
func (r *reader) yamlDiscard(d *draft, p pair) error {
	pairs, err := r.pairs(p.val, 0)
	if err != nil {
		return err
	}
	var field, pattern string
	line := p.line
	for _, q := range pairs {
		switch q.key {
		case "field":
			field, err = r.scalar(q)
		case "regex":
			pattern, err = r.scalar(q)
			line = q.line
		default:
			err = r.errAt(q.line, "", fmt.Errorf("unknown field %q", q.key))
		}
		if err != nil {
			return err
		}
	}
	if pattern == "" {
		r.warn(p.line, "discard_regex has no regex; no finding will be discarded")
		d.Discard = Discard{}
		return nil
	}
	if d.Discard, err = compileDiscard(field, pattern); err != nil {
		return r.errAt(line, "discard_regex", err)
	}
	return nil
}
