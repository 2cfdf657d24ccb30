package finding

import (
	"fmt"
	"regexp"
	"strings"
)

// Discard is Wazuh's discard_regex with its field: findings whose field
// matches are dropped before any event is made. A Discard is immutable and
// safe for concurrent use.
type Discard struct {
	field   []string
	pattern string
	re      *regexp.Regexp
}

// NewDiscard compiles a discard rule. field is a dotted path relative to the
// finding ("type", "service.action.actionType"); pattern is matched from the
// start of the value but not to its end, like Python's re.match. The syntax
// is Go's RE2, which lacks look-arounds and backreferences.
func NewDiscard(field, pattern string) (*Discard, error) {
	if field == "" {
		return nil, fmt.Errorf("discard field is empty")
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)`)
	if err != nil {
		return nil, fmt.Errorf("compile discard regex %q: %w", pattern, err)
	}
	return &Discard{field: strings.Split(field, "."), pattern: pattern, re: re}, nil
}

// String returns the rule as "field=~regex".
func (d *Discard) String() string {
	return strings.Join(d.field, ".") + "=~" + d.pattern
}

// Match reports whether f is to be discarded. Lists met on the path are
// searched element by element, each with the rest of the path, and any
// match wins; a list at the end is searched the same way. Only strings
// match: numbers, booleans, objects and nulls never do.
//
// Wazuh drops the rest of the path after a list (a bug: such paths can only
// test the next key); dutywatch applies the whole path to each element.
// "source" is Wazuh's aws.source, i.e. f.Source, as in the wodle.
func (d *Discard) Match(f *Finding) bool {
	if len(d.field) == 1 && d.field[0] == "source" {
		return d.re.MatchString(f.Source)
	}
	t := treePool.Get().(*tree)
	defer func() { t.src = nil; treePool.Put(t) }()
	if err := t.parse(f.Raw); err != nil {
		return false
	}
	return d.match(t, 0, d.field)
}

func (d *Discard) match(t *tree, i int32, path []string) bool {
	nd := &t.nodes[i]
	if nd.kind == kArray {
		for c, j := first(i), int32(0); j < nd.n; c, j = t.next(c), j+1 {
			if d.match(t, c, path) {
				return true
			}
		}
		return false
	}
	if len(path) == 0 {
		return nd.kind == kString && d.re.MatchString(t.str(i))
	}
	v := t.get(i, path[0])
	if v < 0 {
		return false
	}
	return d.match(t, v, path[1:])
}
