package deploy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// checkParameters checks each parameter's keys and type, that its
// AllowedPattern compiles, and that its Default passes its own constraints
// (CloudFormation only finds that out when someone deploys without
// overriding it).
func checkParameters(t *template) []error {
	var errs []error
	for name, v := range t.params {
		where := "Parameters." + name
		if !logicalID.MatchString(name) {
			errs = append(errs, fmt.Errorf("%s: invalid logical ID", where))
		}
		p, err := asMap(v, where)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, allowedKeys(p, where, "Type", "Default", "AllowedValues", "AllowedPattern",
			"Description", "ConstraintDescription", "MinValue", "MaxValue", "MinLength", "MaxLength", "NoEcho")...)
		typ, _ := p["Type"].(string)
		if !validParamType(typ) {
			errs = append(errs, fmt.Errorf("%s: invalid Type %q", where, typ))
		}
		var pattern *regexp.Regexp
		if s, ok := p["AllowedPattern"].(string); ok {
			// CloudFormation matches the pattern against the whole value.
			if pattern, err = regexp.Compile(`^(?:` + s + `)$`); err != nil {
				errs = append(errs, fmt.Errorf("%s: AllowedPattern: %w", where, err))
			}
		}
		if def, ok := p["Default"]; ok {
			errs = append(errs, checkDefault(where, typ, p, pattern, fmt.Sprint(def))...)
		}
	}
	return errs
}

func validParamType(typ string) bool {
	switch typ {
	case "String", "Number", "List<Number>", "CommaDelimitedList":
		return true
	}
	return strings.HasPrefix(typ, "AWS::") || strings.HasPrefix(typ, "List<AWS::")
}

func checkDefault(where, typ string, p map[string]any, pattern *regexp.Regexp, def string) []error {
	var errs []error
	if vals, ok := p["AllowedValues"].([]any); ok {
		found := false
		for _, v := range vals {
			found = found || fmt.Sprint(v) == def
		}
		if !found {
			errs = append(errs, fmt.Errorf("%s: Default %q is not in AllowedValues", where, def))
		}
	}
	if pattern != nil && !pattern.MatchString(def) {
		errs = append(errs, fmt.Errorf("%s: Default %q does not match AllowedPattern", where, def))
	}
	if typ == "Number" {
		n, err := strconv.ParseFloat(def, 64)
		if err != nil {
			return append(errs, fmt.Errorf("%s: Default %q is not a number", where, def))
		}
		if lo, ok := number(p["MinValue"]); ok && n < lo {
			errs = append(errs, fmt.Errorf("%s: Default %v is below MinValue", where, def))
		}
		if hi, ok := number(p["MaxValue"]); ok && n > hi {
			errs = append(errs, fmt.Errorf("%s: Default %v is above MaxValue", where, def))
		}
	}
	if typ == "String" {
		if lo, ok := number(p["MinLength"]); ok && float64(len(def)) < lo {
			errs = append(errs, fmt.Errorf("%s: Default %q is shorter than MinLength", where, def))
		}
		if hi, ok := number(p["MaxLength"]); ok && float64(len(def)) > hi {
			errs = append(errs, fmt.Errorf("%s: Default %q is longer than MaxLength", where, def))
		}
	}
	return errs
}

// number returns v as a float64 when it is a number or a numeric string.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	return 0, false
}
