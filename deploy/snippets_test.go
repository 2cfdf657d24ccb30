package deploy

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dutywatch/dutywatch/internal/config"
)

// renderSub fills the ${Name} variables of a Fn::Sub string from vars, as
// CloudFormation would; a variable missing from vars is an error.
func renderSub(s string, vars map[string]string) (string, error) {
	var missing []string
	out := subVariable.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for %v", missing)
	}
	return out, nil
}

// outputConfig renders the DutywatchConfig output of the template at path.
func outputConfig(t *testing.T, path string, vars map[string]string) string {
	t.Helper()
	tpl := loadTemplate(t, path)
	_, arg, _ := intrinsic(get(tpl.outputs, "DutywatchConfig", "Value"))
	text, ok := arg.(string)
	if list, isList := arg.([]any); isList && len(list) == 2 {
		text, ok = list[0].(string)
	}
	if !ok {
		t.Fatalf("%s: DutywatchConfig is not a Fn::Sub", path)
	}
	if def, ok := get(tpl.params, "KeyPrefix", "Default").(string); ok {
		vars["KeyPrefix"] = def
	}
	out, err := renderSub(text, vars)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// asSource turns the credential lines reader-role.yaml prints into a
// whole configuration.
func asSource(fragment string) string {
	var b strings.Builder
	b.WriteString("sources:\n  - name: reader\n    type: s3\n")
	for _, line := range strings.Split(strings.TrimRight(fragment, "\n"), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}

// codeBlocks returns the bodies of the README's fenced blocks tagged lang.
func codeBlocks(t *testing.T, lang string) []string {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?ms)^```" + lang + "\n(.*?)^```")
	var blocks []string
	for _, m := range re.FindAllStringSubmatch(string(data), -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

func sampleVars() map[string]string {
	return map[string]string{
		"AWS::Region":    "eu-west-1",
		"FindingsBucket": "dutywatch-firehose-findingsbucket-1a2b3c",
		"ExportBucket":   "dutywatch-export-exportbucket-4d5e6f",
		"BucketName":     "findings-bucket",
		"Path":           "guardduty/",
		"ReaderRole.Arn": "arn:aws:iam::111122223333:role/dutywatch-reader-ReaderRole-AbC",
		"ExternalIdLine": "external_id: 6f1ed002ab55",
	}
}

// TestConfigSnippets loads every dutywatch configuration the templates
// and the README print with internal/config, so a renamed option breaks
// here rather than on a user's host.
func TestConfigSnippets(t *testing.T) {
	type snippet struct {
		name, text, layout string
		wantErr            bool
	}
	noExternalID := sampleVars()
	noExternalID["ExternalIdLine"] = ""
	tests := []snippet{
		{"firehose output", outputConfig(t, "cloudformation/firehose.yaml", sampleVars()), "firehose", false},
		{"native export output", outputConfig(t, "cloudformation/native-export.yaml", sampleVars()), "native", false},
		{"reader role output", asSource(outputConfig(t, "cloudformation/reader-role.yaml", sampleVars())), "", false},
		{"reader role output without external id",
			asSource(outputConfig(t, "cloudformation/reader-role.yaml", noExternalID)), "", false},
		{"unknown option", "sources:\n  - name: x\n    bucket_name: y\n", "", true},
		{"wazuh block with external_id", `<wodle name="aws-s3"><bucket type="guardduty"><name>b</name>` +
			`<external_id>x</external_id></bucket></wodle>`, "", true},
	}
	for i, b := range codeBlocks(t, "yaml") {
		tests = append(tests, snippet{name: fmt.Sprintf("README yaml block %d", i+1), text: b})
	}
	for i, b := range codeBlocks(t, "xml") {
		tests = append(tests, snippet{name: fmt.Sprintf("README xml block %d", i+1), text: b})
	}
	if len(tests) < 8 {
		t.Fatalf("found %d snippets; the README lost its yaml or xml examples", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, warnings, err := config.Parse(tc.name, []byte(tc.text))
			if tc.wantErr {
				if err == nil {
					t.Fatal("config.Parse() succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("config.Parse():\n%s\nerror: %v", tc.text, err)
			}
			if len(warnings) > 0 {
				t.Errorf("warnings: %v", warnings)
			}
			if len(cfg.Sources) == 0 {
				t.Fatal("no sources")
			}
			if tc.layout != "" && cfg.Sources[0].Layout != tc.layout {
				t.Errorf("layout = %q, want %q", cfg.Sources[0].Layout, tc.layout)
			}
		})
	}
}

// checkDeployCommand checks one `aws cloudformation deploy` command: the
// template exists and checks clean, every override names a parameter,
// every parameter without a default is given, and CAPABILITY_IAM is
// passed exactly when the template creates IAM resources.
func checkDeployCommand(cmd string) []error {
	fields := shellFields(cmd)
	var file string
	var overrides, caps []string
	for i := 0; i < len(fields); i++ {
		switch fields[i] {
		case "--template-file":
			if i+1 < len(fields) {
				file = fields[i+1]
			}
		case "--capabilities":
			for i+1 < len(fields) && !strings.HasPrefix(fields[i+1], "--") {
				i++
				caps = append(caps, fields[i])
			}
		case "--parameter-overrides":
			for i+1 < len(fields) && !strings.HasPrefix(fields[i+1], "--") {
				i++
				name, _, _ := strings.Cut(fields[i], "=")
				overrides = append(overrides, name)
			}
		}
	}
	data, err := os.ReadFile(strings.TrimPrefix(file, "deploy/"))
	if err != nil {
		return []error{fmt.Errorf("template %q: %w", file, err)}
	}
	tpl, err := parseTemplate(data)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, o := range overrides {
		errs = append(errs, expect(tpl.params[o] != nil, "%s: no parameter %s", file, o)...)
	}
	for name, p := range tpl.params {
		errs = append(errs, expect(get(p, "Default") != nil || slices.Contains(overrides, name),
			"%s: required parameter %s is not given", file, name)...)
	}
	iam := false
	for _, r := range tpl.resources {
		typ, _ := get(r, "Type").(string)
		iam = iam || strings.HasPrefix(typ, "AWS::IAM::")
	}
	errs = append(errs, expect(iam == slices.Contains(caps, "CAPABILITY_IAM"),
		"%s: CAPABILITY_IAM given: %v, template creates IAM resources: %v", file, !iam, iam)...)
	return errs
}

// shellFields splits a command line into words the way the shell would
// for our purposes: spaces inside quotes or $(…) do not split.
func shellFields(cmd string) []string {
	var fields []string
	var cur strings.Builder
	var quote rune
	depth := 0
	for _, r := range cmd {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case (r == ' ' || r == '\t') && depth == 0:
			if cur.Len() > 0 {
				fields = append(fields, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	if cur.Len() > 0 {
		fields = append(fields, cur.String())
	}
	return fields
}

// deployCommands returns the README's deploy commands, continuation
// lines joined.
func deployCommands(t *testing.T) []string {
	t.Helper()
	var cmds []string
	for _, b := range codeBlocks(t, "sh") {
		for _, c := range strings.Split(strings.ReplaceAll(b, "\\\n", " "), "\n") {
			if strings.Contains(c, "aws cloudformation deploy") {
				cmds = append(cmds, c)
			}
		}
	}
	return cmds
}

func TestReadmeDeployCommands(t *testing.T) {
	type command struct {
		name, cmd string
		want      []string
	}
	var tests []command
	for i, c := range deployCommands(t) {
		tests = append(tests, command{name: fmt.Sprintf("README command %d", i+1), cmd: c})
	}
	if len(tests) != 3 {
		t.Fatalf("found %d deploy commands in the README, want 3 (one per template)", len(tests))
	}
	tests = append(tests,
		command{"missing template", "aws cloudformation deploy --template-file deploy/cloudformation/nope.yaml",
			[]string{`template "deploy/cloudformation/nope.yaml"`}},
		command{"unknown parameter and no capability",
			"aws cloudformation deploy --template-file deploy/cloudformation/firehose.yaml --parameter-overrides Prefix=x/",
			[]string{"no parameter Prefix", "CAPABILITY_IAM given: false"}},
		command{"required parameter missing",
			"aws cloudformation deploy --template-file deploy/cloudformation/native-export.yaml --capabilities CAPABILITY_IAM",
			[]string{"required parameter DetectorId", "CAPABILITY_IAM given: true"}},
	)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assertProblems(t, checkDeployCommand(tc.cmd), tc.want)
		})
	}
}

// missingPaths returns the deploy/… paths text names that do not exist.
func missingPaths(text string) []string {
	var missing []string
	for _, p := range regexp.MustCompile(`\bdeploy/[A-Za-z0-9._/-]*[A-Za-z0-9]`).FindAllString(text, -1) {
		if _, err := os.Stat(strings.TrimPrefix(p, "deploy/")); err != nil && !slices.Contains(missing, p) {
			missing = append(missing, p)
		}
	}
	return missing
}

func TestReadmePaths(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text string
		want       []string
	}{
		{"README", string(readme), nil},
		{"a file that is not there", "see deploy/iam/admin-policy.json and deploy/systemd/dutywatch.service",
			[]string{"deploy/iam/admin-policy.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := missingPaths(tc.text); !slices.Equal(got, tc.want) {
				t.Errorf("missing paths = %v, want %v", got, tc.want)
			}
		})
	}
}
