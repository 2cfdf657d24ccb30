package deploy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// template is a CloudFormation template decoded to plain values: maps,
// lists and scalars, with every intrinsic function in its long form
// ({"Ref": x}, {"Fn::Sub": x}, {"Condition": x}).
type template struct {
	doc        map[string]any
	params     map[string]any
	mappings   map[string]any
	conditions map[string]any
	resources  map[string]any
	outputs    map[string]any
}

// longForm returns the long-form key of a short-form intrinsic tag.
func longForm(tag string) (string, bool) {
	switch tag {
	case "!Ref":
		return "Ref", true
	case "!Condition":
		return "Condition", true
	case "!GetAtt", "!Sub", "!Join", "!If", "!Equals", "!Not", "!Select", "!Split", "!FindInMap",
		"!ImportValue", "!And", "!Or", "!Base64", "!Cidr", "!GetAZs":
		return "Fn::" + tag[1:], true
	}
	return "", false
}

// isFunction reports whether key names an intrinsic function CloudFormation
// knows without a transform.
func isFunction(key string) bool {
	switch strings.TrimPrefix(key, "Fn::") {
	case "GetAtt", "Sub", "Join", "If", "Equals", "Not", "Select", "Split", "FindInMap",
		"ImportValue", "And", "Or", "Base64", "Cidr", "GetAZs", "Transform":
		return true
	}
	return false
}

// isPseudo reports whether name is a pseudo parameter.
func isPseudo(name string) bool {
	switch name {
	case "AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::StackName", "AWS::StackId",
		"AWS::URLSuffix", "AWS::NoValue", "AWS::NotificationARNs":
		return true
	}
	return false
}

// parseTemplate decodes a YAML template. YAML anchors and aliases, merge
// keys, duplicate keys and unknown "!" tags are errors, as they are for
// CloudFormation.
func parseTemplate(data []byte) (*template, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("parse yaml: %w", err)
	}
	v, err := decodeNode(&root)
	if err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("template is not a mapping")
	}
	t := &template{doc: doc}
	for _, s := range []struct {
		name string
		dst  *map[string]any
	}{
		{"Parameters", &t.params}, {"Mappings", &t.mappings}, {"Conditions", &t.conditions},
		{"Resources", &t.resources}, {"Outputs", &t.outputs},
	} {
		*s.dst = map[string]any{}
		if raw, ok := doc[s.name]; ok {
			m, ok := raw.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s is not a mapping", s.name)
			}
			*s.dst = m
		}
	}
	return t, nil
}

func decodeNode(n *yaml.Node) (any, error) {
	var v any
	var err error
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, errors.New("want exactly one YAML document")
		}
		return decodeNode(n.Content[0])
	case yaml.AliasNode:
		return nil, fmt.Errorf("line %d: YAML aliases are not allowed in CloudFormation templates", n.Line)
	case yaml.MappingNode:
		v, err = decodeMapping(n)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			e, err := decodeNode(c)
			if err != nil {
				return nil, err
			}
			list = append(list, e)
		}
		v = list
	case yaml.ScalarNode:
		v, err = decodeScalar(n)
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
	}
	if err != nil || n.Tag == "" || !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, err
	}
	key, ok := longForm(n.Tag)
	if !ok {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	if s, ok := v.(string); ok && key == "Fn::GetAtt" {
		res, attr, ok := strings.Cut(s, ".")
		if !ok {
			return nil, fmt.Errorf("line %d: !GetAtt %q is not Resource.Attribute", n.Line, s)
		}
		v = []any{res, attr}
	}
	return map[string]any{key: v}, nil
}

func decodeMapping(n *yaml.Node) (map[string]any, error) {
	m := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
		}
		if k.Value == "<<" {
			return nil, fmt.Errorf("line %d: YAML merge keys are not allowed in CloudFormation templates", k.Line)
		}
		if _, dup := m[k.Value]; dup {
			return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
		}
		v, err := decodeNode(n.Content[i+1])
		if err != nil {
			return nil, err
		}
		m[k.Value] = v
	}
	return m, nil
}

func decodeScalar(n *yaml.Node) (any, error) {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return n.Value, nil // the argument of a short-form tag
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, fmt.Errorf("line %d: %w", n.Line, err)
	}
	return v, nil
}

// intrinsic returns the function name and argument of v when v is a
// long-form intrinsic: a one-key mapping whose key is Ref, Condition (with
// a string argument) or Fn::….
func intrinsic(v any) (string, any, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", nil, false
	}
	for k, arg := range m {
		if _, isString := arg.(string); k == "Ref" || (k == "Condition" && isString) || strings.HasPrefix(k, "Fn::") {
			return k, arg, true
		}
	}
	return "", nil, false
}

// checkTemplate returns every problem found in t, each naming where it is.
// types lists the resource types the project's templates may use.
func checkTemplate(t *template, types []string) []error {
	var errs []error
	errs = append(errs, checkSections(t)...)
	errs = append(errs, checkParameters(t)...)
	errs = append(errs, checkConditions(t)...)
	errs = append(errs, checkResources(t, types)...)
	errs = append(errs, checkOutputs(t)...)
	for _, sec := range []string{"Conditions", "Resources", "Outputs"} {
		w := walker{t: t, inConditions: sec == "Conditions"}
		w.walk(t.doc[sec], sec)
		errs = append(errs, w.errs...)
	}
	return errs
}

func checkSections(t *template) []error {
	var errs []error
	for k := range t.doc {
		switch k {
		case "AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules",
			"Mappings", "Conditions", "Transform", "Resources", "Outputs":
		default:
			errs = append(errs, fmt.Errorf("unknown top-level section %q", k))
		}
	}
	if v, ok := t.doc["AWSTemplateFormatVersion"]; ok && v != "2010-09-09" {
		errs = append(errs, fmt.Errorf("AWSTemplateFormatVersion %v is not 2010-09-09", v))
	}
	if d, ok := t.doc["Description"]; ok {
		if s, ok := d.(string); !ok || len(s) > 1024 {
			errs = append(errs, errors.New("Description must be a string of at most 1024 bytes"))
		}
	}
	if len(t.resources) == 0 {
		errs = append(errs, errors.New("Resources is missing or empty"))
	}
	return errs
}

// logicalID matches the names of parameters, resources, conditions and outputs.
var logicalID = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)

// allowedKeys returns an error for every key of m outside keys.
func allowedKeys(m map[string]any, where string, keys ...string) []error {
	var errs []error
	for k := range m {
		if !containsString(keys, k) {
			errs = append(errs, fmt.Errorf("%s: unknown key %q", where, k))
		}
	}
	return errs
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// asMap returns v as a mapping, or an error naming where.
func asMap(v any, where string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a mapping", where)
	}
	return m, nil
}

func checkConditions(t *template) []error {
	var errs []error
	for name, v := range t.conditions {
		where := "Conditions." + name
		if !logicalID.MatchString(name) {
			errs = append(errs, fmt.Errorf("%s: invalid logical ID", where))
		}
		fn, _, ok := intrinsic(v)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: not a condition function", where))
		case fn != "Fn::Equals" && fn != "Fn::Not" && fn != "Fn::And" && fn != "Fn::Or" && fn != "Condition":
			errs = append(errs, fmt.Errorf("%s: %s is not a condition function", where, fn))
		}
	}
	return errs
}

// conditionDefined returns an error when name is not a condition of t.
func (t *template) conditionDefined(name any, where string) error {
	s, ok := name.(string)
	if !ok {
		return fmt.Errorf("%s: condition name %v is not a string", where, name)
	}
	if _, ok := t.conditions[s]; !ok {
		return fmt.Errorf("%s: undefined condition %q", where, s)
	}
	return nil
}

func checkResources(t *template, types []string) []error {
	var errs []error
	for name, v := range t.resources {
		where := "Resources." + name
		if !logicalID.MatchString(name) {
			errs = append(errs, fmt.Errorf("%s: invalid logical ID", where))
		}
		r, err := asMap(v, where)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, allowedKeys(r, where, "Type", "Properties", "DependsOn", "Condition",
			"DeletionPolicy", "UpdateReplacePolicy", "Metadata", "CreationPolicy", "UpdatePolicy")...)
		typ, _ := r["Type"].(string)
		switch {
		case typ == "":
			errs = append(errs, fmt.Errorf("%s: no Type", where))
		case !strings.HasPrefix(typ, "AWS::"):
			errs = append(errs, fmt.Errorf("%s: type %s is outside the AWS:: namespace", where, typ))
		case !containsString(types, typ):
			errs = append(errs, fmt.Errorf("%s: unexpected type %s", where, typ))
		}
		if c, ok := r["Condition"]; ok {
			if err := t.conditionDefined(c, where+".Condition"); err != nil {
				errs = append(errs, err)
			}
		}
		errs = append(errs, checkDependsOn(t, name, r["DependsOn"])...)
		for _, k := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
			if p, ok := r[k]; ok && p != "Delete" && p != "Retain" && p != "Snapshot" && p != "RetainExceptOnCreate" {
				errs = append(errs, fmt.Errorf("%s.%s: invalid policy %v", where, k, p))
			}
		}
	}
	return errs
}

func checkDependsOn(t *template, name string, dep any) []error {
	var targets []any
	switch d := dep.(type) {
	case nil:
		return nil
	case string:
		targets = []any{d}
	case []any:
		targets = d
	default:
		return []error{fmt.Errorf("Resources.%s.DependsOn: not a name or a list", name)}
	}
	var errs []error
	for _, x := range targets {
		s, _ := x.(string)
		if _, ok := t.resources[s]; !ok || s == name {
			errs = append(errs, fmt.Errorf("Resources.%s.DependsOn: %v is not another resource", name, x))
		}
	}
	return errs
}

func checkOutputs(t *template) []error {
	var errs []error
	for name, v := range t.outputs {
		where := "Outputs." + name
		if !logicalID.MatchString(name) {
			errs = append(errs, fmt.Errorf("%s: invalid logical ID", where))
		}
		o, err := asMap(v, where)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, allowedKeys(o, where, "Value", "Description", "Export", "Condition")...)
		if _, ok := o["Value"]; !ok {
			errs = append(errs, fmt.Errorf("%s: no Value", where))
		}
		if c, ok := o["Condition"]; ok {
			if err := t.conditionDefined(c, where+".Condition"); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}
