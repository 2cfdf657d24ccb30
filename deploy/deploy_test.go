package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// resourceTypes are the AWS resource types the templates here may use;
// a new one is a deliberate change to this list.
func resourceTypes() []string {
	return []string{
		"AWS::Events::Rule",
		"AWS::GuardDuty::PublishingDestination",
		"AWS::IAM::Role",
		"AWS::KMS::Alias",
		"AWS::KMS::Key",
		"AWS::KinesisFirehose::DeliveryStream",
		"AWS::Logs::LogGroup",
		"AWS::Logs::LogStream",
		"AWS::S3::Bucket",
		"AWS::S3::BucketPolicy",
	}
}

// templateProblems parses and checks the template at path; a parse error
// is its only problem.
func templateProblems(t *testing.T, path string) []error {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := parseTemplate(data)
	if err != nil {
		return []error{err}
	}
	return checkTemplate(tpl, resourceTypes())
}

// loadTemplate parses a template that must be valid.
func loadTemplate(t *testing.T, path string) *template {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := parseTemplate(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tpl
}

// assertProblems fails unless every want substring matches its own
// problem and no problem is left unmatched.
func assertProblems(t *testing.T, got []error, want []string) {
	t.Helper()
	used := make([]bool, len(got))
	for _, w := range want {
		found := false
		for i, err := range got {
			if !used[i] && strings.Contains(err.Error(), w) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("no problem matching %q", w)
		}
	}
	for i, err := range got {
		if !used[i] {
			t.Errorf("unexpected problem: %v", err)
		}
	}
}

func TestTemplates(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"firehose", "cloudformation/firehose.yaml", nil},
		{"native export", "cloudformation/native-export.yaml", nil},
		{"reader role", "cloudformation/reader-role.yaml", nil},
		{"every short tag and long form", "testdata/cfn/all-tags.yaml", nil},
		{"sections", "testdata/cfn/bad-section.yaml", []string{
			`unknown top-level section "Resource"`,
			"AWSTemplateFormatVersion 2010-09-10",
			"Resources is missing or empty",
		}},
		{"resource types", "testdata/cfn/bad-type.yaml", []string{
			"Resources.Bucket: unexpected type AWS::S3::Buckett",
			"Resources.Custom: type Custom::Thing is outside the AWS:: namespace",
			"Resources.Untyped: no Type",
			`Resources.Logs: unknown key "Propertys"`,
			"Resources.Bad-Name: invalid logical ID",
			"Resources.Bad-Name.DeletionPolicy: invalid policy Keep",
		}},
		{"refs", "testdata/cfn/bad-ref.yaml", []string{
			`Resources.Logs.Properties.LogGroupName: Ref to undefined "Missing"`,
			`Resources.Logs.Properties.RetentionInDays: Ref to undefined "AWS::Regoin"`,
			"Conditions.FromResource.Fn::Equals[0]: Ref Logs: conditions cannot refer to resources",
		}},
		{"getatt", "testdata/cfn/bad-getatt.yaml", []string{
			`Resources.Stream.Properties.LogGroupName: Fn::GetAtt of undefined resource "Missing"`,
			`Resources.Stream.Properties.LogStreamName: Fn::GetAtt of undefined resource "Gone"`,
			`Resources.Role.Properties.Description: Fn::GetAtt of undefined resource "Absent"`,
		}},
		{"sub", "testdata/cfn/bad-sub.yaml", []string{
			"Resources.Logs.Properties.LogGroupName: Fn::Sub variable ${Missing} is undefined",
			"Resources.Stream.Properties.LogGroupName: Fn::Sub variable ${Missing.Arn} is undefined",
			"Resources.Role.Properties.Description: Fn::Sub variable ${Local} is undefined",
			"Resources.Role.Properties.Path: Fn::Sub takes a string or [string, {variables}]",
		}},
		{"conditions", "testdata/cfn/bad-condition.yaml", []string{
			`Resources.Logs.Condition: undefined condition "Missing"`,
			`Resources.Logs.Properties.LogGroupName.Fn::If: undefined condition "Nowhere"`,
			"Resources.Logs.Properties.RetentionInDays: Fn::If takes [condition, then, else]",
			`Conditions.Chained.Fn::Not[0]: undefined condition "Undefined"`,
			"Conditions.NotAFunction: Fn::Join is not a condition function",
			`Outputs.Name.Condition: undefined condition "Absent"`,
		}},
		{"depends on", "testdata/cfn/bad-dependson.yaml", []string{
			"Resources.Logs.DependsOn: Ghost is not another resource",
			"Resources.Stream.DependsOn: Stream is not another resource",
			"Resources.Stream.DependsOn: Env is not another resource",
		}},
		{"outputs", "testdata/cfn/bad-output.yaml", []string{
			`Outputs.Name.Value: Ref to undefined "Gone"`,
			`Outputs.Arn.Value: Fn::GetAtt of undefined resource "Missing"`,
			"Outputs.Text.Value: Fn::Sub variable ${Nothing} is undefined",
			"Outputs.Empty: no Value",
			`Outputs.Extra: unknown key "Exports"`,
		}},
		{"unknown tag", "testdata/cfn/bad-tag.yaml", []string{"unknown tag !Reff"}},
		{"yaml alias", "testdata/cfn/bad-alias.yaml", []string{"YAML aliases are not allowed"}},
		{"unknown function", "testdata/cfn/bad-function.yaml", []string{
			"Resources.Logs.Properties.LogGroupName: unknown function Fn::Subb",
		}},
		{"parameters", "testdata/cfn/bad-parameter.yaml", []string{
			`Parameters.Env: Default "staging" is not in AllowedValues`,
			`Parameters.Prefix: Default "firehose" does not match AllowedPattern`,
			"Parameters.Days: Default 0 is below MinValue",
			`Parameters.Name: invalid Type "Strin"`,
			`Parameters.Name: unknown key "Defualt"`,
			"Parameters.Broken: AllowedPattern: error parsing regexp",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assertProblems(t, templateProblems(t, tc.file), tc.want)
		})
	}
}

// TestEveryTemplateIsChecked keeps TestTemplates in step with the folder.
func TestEveryTemplateIsChecked(t *testing.T) {
	files, err := filepath.Glob("cloudformation/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cloudformation/firehose.yaml", "cloudformation/native-export.yaml", "cloudformation/reader-role.yaml"}
	if strings.Join(files, ",") != strings.Join(want, ",") {
		t.Errorf("templates = %v, want %v: add new ones to TestTemplates", files, want)
	}
}
