package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
)

// LoadError is a problem found while loading rules. A Loader returns
// fatal ones from LoadFile and keeps the others (rules analysisd would skip
// with a warning) in Warnings.
type LoadError struct {
	File   string
	Line   int // 0 when unknown
	RuleID int // 0 when not about one rule
	Err    error
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.RuleID > 0 {
		fmt.Fprintf(&b, ": rule %d", e.RuleID)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *LoadError) Unwrap() error { return e.Err }

// Loader reads rule files in order, as analysisd reads its <ruleset>, into
// a Ruleset. Order matters: if_sid and if_group only see rules loaded
// before. The zero value is ready to use with analysisd's defaults; set the
// exported fields before the first LoadFile. A Loader is used by one
// goroutine; after LoadFile returns an error it is unusable.
type Loader struct {
	// LogAlertLevel is ossec.conf's log_alert_level; 0 means 3.
	LogAlertLevel int
	// EmailAlertLevel is email_alert_level; 0 means 12.
	EmailAlertLevel int
	// DefaultTimeframe is analysisd.default_timeframe in seconds, used by
	// rules without a timeframe attribute; 0 means 360.
	DefaultTimeframe int
	// Decoders names the decoders <decoded_as> may refer to; nil means
	// just "json".
	Decoders []string
	// Lists holds CDB lists by the path rules give in <list>.
	Lists map[string]*List
	// ListFS, when set, is where lists missing from Lists are read from
	// (text "key:value" format, at the path the rule gives).
	ListFS fs.FS
	// MaxEventsPerList caps each correlation list of a State; 0 means 1024.
	MaxEventsPerList int
	// Strict turns warnings (rules analysisd would skip) into errors.
	Strict bool

	rules    []*Rule
	byID     map[int]*Rule
	roots    []*node
	warnings []error
	lists    []listInfo // correlation lists, by id
	err      error
}

// node is one place of a rule in the tree; a rule with several parents
// has several nodes, each with its own children, as in analysisd.
type node struct {
	rule     *Rule
	children []*node
	disp     *dispatch // set by Loader.Ruleset when it pays
}

// listInfo describes one correlation list.
type listInfo struct {
	timeframe int64   // the longest timeframe of the rules that search it
	global    bool    // the last-events list of if_matched_regex rules
	sameSigs  [][]int // same_field combinations searched (corrFields positions)
}

// Load reads the named rule files from fsys, in order, with a default
// Loader.
func Load(fsys fs.FS, names ...string) (*Ruleset, error) {
	var l Loader
	if err := l.LoadFS(fsys, names...); err != nil {
		return nil, err
	}
	return l.Ruleset()
}

// LoadFiles reads rule files from the local file system, in order.
func LoadFiles(paths ...string) (*Ruleset, error) {
	var l Loader
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read rules: %w", err)
		}
		if err := l.LoadFile(p, data); err != nil {
			return nil, err
		}
	}
	return l.Ruleset()
}

// LoadFS reads the named rule files from fsys, in order.
func (l *Loader) LoadFS(fsys fs.FS, names ...string) error {
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("read rules: %w", err)
		}
		if err := l.LoadFile(name, data); err != nil {
			return err
		}
	}
	return nil
}

// Warnings returns the problems that made rules be skipped, as analysisd's
// warnings, in load order.
func (l *Loader) Warnings() []error { return l.warnings }

// LoadFile reads one rule file. name is used in errors and as Rule.File.
func (l *Loader) LoadFile(name string, data []byte) error {
	if l.err != nil {
		return l.err
	}
	if err := l.loadFile(name, data); err != nil {
		l.err = err
		return err
	}
	return nil
}

func (l *Loader) loadFile(name string, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	fail := func(line int, err error) error {
		return &LoadError{File: name, Line: line, Err: err}
	}
	nodes, err := parseXML(string(data))
	if err == nil {
		nodes, err = applyVariables(nodes)
	}
	if err != nil {
		var xe *xmlError
		if errors.As(err, &xe) {
			return fail(xe.line, errors.New("xml: "+xe.msg))
		}
		return fail(0, err)
	}
	if len(nodes) == 0 {
		return fail(0, errors.New("no elements"))
	}
	for _, g := range nodes {
		if !strings.EqualFold(g.name, "group") {
			return fail(g.line, fmt.Errorf("invalid root element %q: only \"group\" is allowed", g.name))
		}
		if len(g.attrs) != 1 || !strings.EqualFold(g.attrs[0].name, "name") {
			return fail(g.line, errors.New("invalid root element: only the group name attribute is allowed"))
		}
	}
	if l.byID == nil {
		l.byID = make(map[int]*Rule)
	}
	for _, g := range nodes {
		if len(g.children) == 0 {
			return fail(g.line, fmt.Errorf("group %q without any rule", g.attrs[0].value))
		}
		for _, rn := range g.children {
			if !strings.EqualFold(rn.name, "rule") {
				return fail(rn.line, fmt.Errorf("%q is not a valid element", rn.name))
			}
			if err := l.loadRule(name, g.attrs[0].value, rn); err != nil {
				return err
			}
		}
	}
	return nil
}

// warn records a rule analysisd skips with a warning.
func (l *Loader) warn(w *LoadError) error {
	if l.Strict {
		return w
	}
	l.warnings = append(l.warnings, w)
	return nil
}

func (l *Loader) logAlertLevel() int {
	if l.LogAlertLevel > 0 {
		return l.LogAlertLevel
	}
	return 3
}

func (l *Loader) emailAlertLevel() int {
	if l.EmailAlertLevel > 0 {
		return l.EmailAlertLevel
	}
	return 12
}

func (l *Loader) defaultTimeframe() int {
	if l.DefaultTimeframe > 0 {
		return l.DefaultTimeframe
	}
	return 360
}

func (l *Loader) knowsDecoder(name string) bool {
	if l.Decoders == nil {
		return name == "json"
	}
	for _, d := range l.Decoders {
		if d == name {
			return true
		}
	}
	return false
}

// list finds the list a <list> element names.
func (l *Loader) list(p string) (*List, error) {
	if lst, ok := l.Lists[p]; ok {
		return lst, nil
	}
	if l.ListFS == nil {
		return nil, fmt.Errorf("list %q is not loaded", p)
	}
	f, err := l.ListFS.Open(path.Clean(strings.TrimPrefix(p, "/")))
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", p, err)
	}
	defer f.Close()
	lst, err := ParseList(f)
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", p, err)
	}
	if l.Lists == nil {
		l.Lists = make(map[string]*List)
	}
	l.Lists[p] = lst
	return lst, nil
}

// ruleAttrs are a <rule>'s attributes (getattributes in rules.c).
type ruleAttrs struct {
	id, level, maxsize, timeframe, frequency, ignore int
	accuracy, noalert, overwrite                     bool
	hasFrequency                                     bool
}

// parseRuleAttrs reads the attributes; numbers are read as sscanf's "%Nd"
// does (at most N digits).
func (l *Loader) parseRuleAttrs(n *xmlNode) (ruleAttrs, error) {
	a := ruleAttrs{id: -1, level: -1, timeframe: l.defaultTimeframe(), accuracy: true}
	for _, at := range n.attrs {
		v := at.value
		switch strings.ToLower(at.name) {
		case "id":
			if !isNum(v) || len(v) > 6 || v == "" {
				return a, fmt.Errorf("invalid rule id %q: must be an integer of at most 6 digits", v)
			}
			a.id = scanInt(v, 6)
		case "level":
			if isNum(v) {
				a.level = scanInt(v, len(v))
				if a.level > 16 {
					return a, fmt.Errorf("invalid level %d: must be between 0 and 16", a.level)
				}
			}
		case "maxsize":
			if !isNum(v) {
				return a, fmt.Errorf("invalid maxsize %q", v)
			}
			a.maxsize = scanInt(v, 4)
		case "timeframe":
			if !isNum(v) {
				return a, fmt.Errorf("invalid timeframe %q", v)
			}
			a.timeframe = scanInt(v, 5)
		case "frequency":
			f, err := strconv.Atoi(v)
			if !isNum(v) || err != nil {
				return a, fmt.Errorf("invalid frequency %q", v)
			}
			if f < 2 || f > 9999 {
				return a, fmt.Errorf("invalid frequency %d: must be higher than 1 and lower than 10000", f)
			}
			a.frequency, a.hasFrequency = f, true
		case "accuracy":
			if !isNum(v) {
				return a, fmt.Errorf("invalid accuracy %q", v)
			}
			a.accuracy = scanInt(v, 4) != 0
		case "ignore":
			if !isNum(v) {
				return a, fmt.Errorf("invalid ignore %q", v)
			}
			a.ignore = scanInt(v, 6)
		case "noalert":
			switch v {
			case "0":
				a.noalert = false
			case "1":
				a.noalert = true
			}
		case "overwrite":
			switch v {
			case "yes":
				a.overwrite = true
			case "no":
				a.overwrite = false
			default:
				return a, fmt.Errorf("invalid overwrite %q: must be yes or no", v)
			}
		default:
			return a, fmt.Errorf("invalid attribute %q", at.name)
		}
	}
	if a.id < 0 || a.level < 0 {
		return a, errors.New("no rule id or level specified")
	}
	return a, nil
}

// isNum is OS_StrIsNum: only digits (the empty string included).
func isNum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// scanInt reads at most n leading digits, like sscanf("%nd").
func scanInt(s string, n int) int {
	if len(s) > n {
		s = s[:n]
	}
	v, _ := strconv.Atoi(s)
	return v
}
