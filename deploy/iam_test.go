package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readerActions are the only API calls dutywatch makes with the reader's
// credentials: ListObjectsV2, GetObject, DeleteObject (remove_from_bucket),
// the KMS decrypt S3 does for it, and GetCallerIdentity.
func readerActions() []string {
	return []string{"kms:Decrypt", "s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "sts:GetCallerIdentity"}
}

// policy is an IAM policy document.
type policy struct {
	Version   string
	Statement []statement
}

type statement struct {
	Sid         string
	Effect      string
	Principal   any
	Action      stringList
	NotAction   stringList
	Resource    stringList
	NotResource stringList
	Condition   map[string]map[string]stringList
}

// stringList is IAM's "a string or a list of strings".
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = stringList{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("want a string or a list of strings")
	}
	*l = list
	return nil
}

// parsePolicy decodes one policy document; unknown keys and trailing data
// are errors.
func parsePolicy(data []byte) (policy, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p policy
	if err := dec.Decode(&p); err != nil {
		return policy{}, fmt.Errorf("decode policy: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return policy{}, errors.New("decode policy: data after the document")
	}
	return p, nil
}

// checkPolicyShape checks what every identity policy here must satisfy:
// the current version, Allow statements with unique Sids, plain Action
// and Resource lists, and no wildcard in any action.
func checkPolicyShape(p policy) []error {
	var errs []error
	if p.Version != "2012-10-17" {
		errs = append(errs, fmt.Errorf("Version %q is not 2012-10-17", p.Version))
	}
	if len(p.Statement) == 0 {
		errs = append(errs, errors.New("no statements"))
	}
	sids := map[string]bool{}
	for i, s := range p.Statement {
		where := fmt.Sprintf("statement %d (%s)", i, s.Sid)
		if s.Sid == "" || sids[s.Sid] {
			errs = append(errs, fmt.Errorf("%s: Sid missing or repeated", where))
		}
		sids[s.Sid] = true
		if s.Effect != "Allow" {
			errs = append(errs, fmt.Errorf("%s: Effect %q is not Allow", where, s.Effect))
		}
		if s.Principal != nil || s.NotAction != nil || s.NotResource != nil {
			errs = append(errs, fmt.Errorf("%s: Principal, NotAction and NotResource have no place here", where))
		}
		if len(s.Action) == 0 || len(s.Resource) == 0 {
			errs = append(errs, fmt.Errorf("%s: needs Action and Resource", where))
		}
		for _, a := range s.Action {
			if strings.Contains(a, "*") || strings.Contains(a, "?") {
				errs = append(errs, fmt.Errorf("%s: action %q has a wildcard", where, a))
			}
		}
	}
	return errs
}

// checkActionSet returns an error for every action missing from or added
// to want.
func checkActionSet(got, want []string) []error {
	var errs []error
	for _, a := range got {
		if !slices.Contains(want, a) {
			errs = append(errs, fmt.Errorf("action %q is not in the least-privilege set", a))
		}
	}
	for _, a := range want {
		if !slices.Contains(got, a) {
			errs = append(errs, fmt.Errorf("action %q is missing", a))
		}
	}
	return errs
}

func (p policy) actions() []string {
	var all []string
	for _, s := range p.Statement {
		for _, a := range s.Action {
			if !slices.Contains(all, a) {
				all = append(all, a)
			}
		}
	}
	slices.Sort(all)
	return all
}

// checkReaderPolicy checks the reader policy's scoping statement by
// statement: object actions on objects, ListBucket on the bucket under an
// s3:prefix condition, kms:Decrypt only through S3, DeleteObject alone in
// a statement marked optional, and "*" only for GetCallerIdentity.
func checkReaderPolicy(p policy) []error {
	errs := checkPolicyShape(p)
	errs = append(errs, checkActionSet(p.actions(), readerActions())...)
	for i, s := range p.Statement {
		where := fmt.Sprintf("statement %d (%s)", i, s.Sid)
		star := slices.Contains(s.Resource, "*")
		if star && !slices.Equal(s.Action, stringList{"sts:GetCallerIdentity"}) {
			errs = append(errs, fmt.Errorf("%s: Resource \"*\" is only for sts:GetCallerIdentity", where))
		}
		for _, a := range s.Action {
			errs = append(errs, checkReaderAction(where, a, s)...)
		}
	}
	return errs
}

func checkReaderAction(where, action string, s statement) []error {
	var errs []error
	onObjects := func() {
		for _, r := range s.Resource {
			if !strings.HasPrefix(r, "arn:aws:s3:::") || !strings.Contains(r, "/") {
				errs = append(errs, fmt.Errorf("%s: %s on %q, not on objects under the prefix", where, action, r))
			}
		}
	}
	switch action {
	case "s3:ListBucket":
		for _, r := range s.Resource {
			if !strings.HasPrefix(r, "arn:aws:s3:::") || strings.Contains(r, "/") {
				errs = append(errs, fmt.Errorf("%s: s3:ListBucket on %q, not on the bucket", where, r))
			}
		}
		if len(s.Condition["StringLike"]["s3:prefix"]) == 0 {
			errs = append(errs, fmt.Errorf("%s: s3:ListBucket without a StringLike s3:prefix condition", where))
		}
	case "s3:GetObject":
		onObjects()
	case "s3:DeleteObject":
		onObjects()
		if !strings.HasPrefix(s.Sid, "Optional") || len(s.Action) != 1 {
			errs = append(errs, fmt.Errorf("%s: s3:DeleteObject belongs alone in a statement whose Sid starts with Optional", where))
		}
	case "kms:Decrypt":
		via := s.Condition["StringEquals"]["kms:ViaService"]
		if len(via) != 1 || !strings.HasPrefix(via[0], "s3.") {
			errs = append(errs, fmt.Errorf("%s: kms:Decrypt without a StringEquals kms:ViaService s3.<region> condition", where))
		}
	}
	return errs
}

// placeholder matches the upper-case tokens the README's sed replaces.
var placeholder = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b`)

// policyPlaceholders are the tokens the policy files may hold.
func policyPlaceholders() []string {
	return []string{"ACCOUNT_ID", "BUCKET_ACCOUNT_ID", "BUCKET_NAME", "BUCKET_REGION", "KEY_PREFIX",
		"KMS_KEY_ID", "READER_ROLE_NAME"}
}

func TestReaderPolicy(t *testing.T) {
	base, err := os.ReadFile("iam/dutywatch-reader-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	// Each case edits the real file; old must occur in it.
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{name: "as shipped"},
		{"s3 wildcard added", `"Action": "s3:GetObject"`, `"Action": ["s3:GetObject", "s3:*"]`, []string{
			`action "s3:*" has a wildcard`, `action "s3:*" is not in the least-privilege set`}},
		{"kms wildcard instead of decrypt", `"Action": "kms:Decrypt"`, `"Action": "kms:*"`, []string{
			`action "kms:*" has a wildcard`, `action "kms:*" is not in the least-privilege set`,
			`action "kms:Decrypt" is missing`}},
		{"extra action", `"Action": "s3:GetObject"`, `"Action": ["s3:GetObject", "s3:PutObject"]`, []string{
			`action "s3:PutObject" is not in the least-privilege set`}},
		{"old version", `"2012-10-17"`, `"2008-10-17"`, []string{`Version "2008-10-17" is not 2012-10-17`}},
		{"deny effect", `"Sid": "CallerIdentity",
      "Effect": "Allow"`, `"Sid": "CallerIdentity",
      "Effect": "Deny"`, []string{`Effect "Deny" is not Allow`}},
		{"list without prefix condition", `"StringLike"`, `"StringEquals"`, []string{
			"s3:ListBucket without a StringLike s3:prefix condition"}},
		{"get on every object", `"Resource": "arn:aws:s3:::BUCKET_NAME/KEY_PREFIX*"
    },
    {
      "Sid": "DecryptFindingObjects"`, `"Resource": "*"
    },
    {
      "Sid": "DecryptFindingObjects"`, []string{
			`Resource "*" is only for sts:GetCallerIdentity`, `s3:GetObject on "*", not on objects under the prefix`}},
		{"decrypt without via service", `"kms:ViaService"`, `"kms:CallerAccount"`, []string{
			"kms:Decrypt without a StringEquals kms:ViaService"}},
		{"delete not optional", `"Sid": "OptionalDeleteProcessedObjects"`, `"Sid": "DeleteProcessedObjects"`, []string{
			"s3:DeleteObject belongs alone in a statement whose Sid starts with Optional"}},
		{"unknown key", `"Statement"`, `"Statment"`, []string{`unknown field "Statment"`}},
		{"not json", `"Version": "2012-10-17",`, `"Version": "2012-10-17",,`, []string{"decode policy"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePolicy([]byte(mutate(t, string(base), tc.old, tc.new)))
			if err != nil {
				assertProblems(t, []error{err}, tc.want)
				return
			}
			assertProblems(t, checkReaderPolicy(p), tc.want)
		})
	}
}

func TestPolicyPlaceholders(t *testing.T) {
	read := func(file string) string {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"reader policy", read("iam/dutywatch-reader-policy.json"), nil},
		{"assume-role policy", read("iam/dutywatch-assume-role-policy.json"), nil},
		{"unexplained token", `"arn:aws:s3:::MY_BUCKET/KEY_PREFIX*"`, []string{"MY_BUCKET"}},
	}
	readme := read("README.md")
	for _, tok := range policyPlaceholders() {
		if !strings.Contains(readme, tok) {
			t.Errorf("README.md does not explain the placeholder %s", tok)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, tok := range placeholder.FindAllString(tc.text, -1) {
				if !slices.Contains(policyPlaceholders(), tok) {
					got = append(got, tok)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("placeholders the README does not explain = %v, want %v", got, tc.want)
			}
		})
	}
}

// checkAssumePolicy checks the policy the host principal needs to assume
// the reader role: sts:AssumeRole on one role, nothing else.
func checkAssumePolicy(p policy) []error {
	errs := checkPolicyShape(p)
	errs = append(errs, checkActionSet(p.actions(), []string{"sts:AssumeRole"})...)
	for _, s := range p.Statement {
		for _, r := range s.Resource {
			if !strings.HasPrefix(r, "arn:aws:iam::") || !strings.Contains(r, ":role/") {
				errs = append(errs, fmt.Errorf("sts:AssumeRole on %q, not on one role", r))
			}
		}
	}
	return errs
}

func TestAssumeRolePolicy(t *testing.T) {
	base, err := os.ReadFile("iam/dutywatch-assume-role-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{name: "as shipped"},
		{"any role", `"arn:aws:iam::BUCKET_ACCOUNT_ID:role/READER_ROLE_NAME"`, `"*"`, []string{
			`sts:AssumeRole on "*", not on one role`}},
		{"sts wildcard", `"Action": "sts:AssumeRole"`, `"Action": "sts:*"`, []string{
			`action "sts:*" has a wildcard`, `action "sts:*" is not in the least-privilege set`,
			`action "sts:AssumeRole" is missing`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePolicy([]byte(mutate(t, string(base), tc.old, tc.new)))
			if err != nil {
				t.Fatal(err)
			}
			assertProblems(t, checkAssumePolicy(p), tc.want)
		})
	}
}
