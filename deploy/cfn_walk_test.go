package deploy

import (
	"fmt"
	"regexp"
	"strings"
)

// walker checks every intrinsic function under a section.
type walker struct {
	t            *template
	inConditions bool // Ref may name only parameters there, GetAtt nothing
	errs         []error
}

func (w *walker) fail(format string, args ...any) {
	w.errs = append(w.errs, fmt.Errorf(format, args...))
}

func (w *walker) walk(v any, path string) {
	if fn, arg, ok := intrinsic(v); ok {
		w.function(fn, arg, path)
		return
	}
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			w.walk(e, path+"."+k)
		}
	case []any:
		for i, e := range v {
			w.walk(e, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

func (w *walker) function(fn string, arg any, path string) {
	switch fn {
	case "Ref":
		w.ref(arg, path)
	case "Condition":
		if err := w.t.conditionDefined(arg, path); err != nil {
			w.errs = append(w.errs, err)
		}
	case "Fn::GetAtt":
		w.getAtt(arg, path)
	case "Fn::Sub":
		w.sub(arg, path)
	case "Fn::If":
		list, ok := arg.([]any)
		if !ok || len(list) != 3 {
			w.fail("%s: Fn::If takes [condition, then, else]", path)
			return
		}
		if err := w.t.conditionDefined(list[0], path+".Fn::If"); err != nil {
			w.errs = append(w.errs, err)
		}
		w.walk(list[1], path+".Fn::If[1]")
		w.walk(list[2], path+".Fn::If[2]")
	default:
		if !isFunction(fn) {
			w.fail("%s: unknown function %s", path, fn)
			return
		}
		w.walk(arg, path+"."+fn)
	}
}

func (w *walker) ref(arg any, path string) {
	name, ok := arg.(string)
	if !ok {
		w.fail("%s: Ref takes a name, not %v", path, arg)
		return
	}
	_, isParam := w.t.params[name]
	_, isResource := w.t.resources[name]
	switch {
	case isParam || isPseudo(name):
	case isResource && w.inConditions:
		w.fail("%s: Ref %s: conditions cannot refer to resources", path, name)
	case !isResource:
		w.fail("%s: Ref to undefined %q", path, name)
	}
}

func (w *walker) getAtt(arg any, path string) {
	var res, attr any
	switch a := arg.(type) {
	case string:
		r, at, _ := strings.Cut(a, ".")
		res, attr = r, at
	case []any:
		if len(a) != 2 {
			w.fail("%s: Fn::GetAtt takes [resource, attribute]", path)
			return
		}
		res, attr = a[0], a[1]
		w.walk(attr, path+".Fn::GetAtt[1]") // the attribute may be a Ref
	}
	name, _ := res.(string)
	if w.inConditions {
		w.fail("%s: Fn::GetAtt is not allowed in conditions", path)
	}
	if _, ok := w.t.resources[name]; !ok {
		w.fail("%s: Fn::GetAtt of undefined resource %q", path, name)
	}
	if attr == "" || attr == nil {
		w.fail("%s: Fn::GetAtt %q has no attribute", path, name)
	}
}

// subVariable matches ${Name} and ${!Literal} in a Fn::Sub string.
var subVariable = regexp.MustCompile(`\$\{([^}]*)\}`)

// subNames returns the variable names a Fn::Sub string uses (literals
// written ${!Name} are left out).
func subNames(s string) []string {
	var names []string
	for _, m := range subVariable.FindAllStringSubmatch(s, -1) {
		if !strings.HasPrefix(m[1], "!") {
			names = append(names, m[1])
		}
	}
	return names
}

func (w *walker) sub(arg any, path string) {
	var text string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		var s string
		var m map[string]any
		ok, mok := false, false
		if len(a) == 2 {
			s, ok = a[0].(string)
			m, mok = a[1].(map[string]any)
		}
		if !ok || !mok {
			w.fail("%s: Fn::Sub takes a string or [string, {variables}]", path)
			return
		}
		text, vars = s, m
		w.walk(m, path+".Fn::Sub[1]")
	default:
		w.fail("%s: Fn::Sub takes a string or [string, {variables}]", path)
		return
	}
	for _, name := range subNames(text) {
		if !w.subResolves(name, vars) {
			w.fail("%s: Fn::Sub variable ${%s} is undefined", path, name)
		}
	}
}

func (w *walker) subResolves(name string, vars map[string]any) bool {
	if _, ok := vars[name]; ok {
		return true
	}
	if _, ok := w.t.params[name]; ok || isPseudo(name) {
		return true
	}
	if _, ok := w.t.resources[name]; ok {
		return !w.inConditions
	}
	res, attr, ok := strings.Cut(name, ".")
	if _, isRes := w.t.resources[res]; ok && isRes && attr != "" {
		return !w.inConditions
	}
	return false
}
