package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestYAMLMergeExplicitKeysWin(t *testing.T) {
	in := `
x-base: &base
  region: eu-west-1
  interval: 1h
  aws_profile: base
sources:
  - <<: *base
    name: a
    bucket: gd-bucket
    aws_profile: own
`
	c, _, err := parseYAML("m.yaml", []byte(in), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Sources[0]
	if s.Region != "eu-west-1" || s.AWSProfile != "own" || s.Schedule.Interval.String() != "1h0m0s" {
		t.Errorf("source = %+v", s)
	}
}

// TestYAMLMergeBomb checks that an anchor merged many times at many levels
// is read once: without that, this input takes 50^7 steps.
func TestYAMLMergeBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-a0: &a0 {region: us-east-1}\n")
	for i := 1; i < 8; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 50), ", ")
		fmt.Fprintf(&b, "x-a%d: &a%d {<<: [%s]}\n", i, i, refs)
	}
	b.WriteString("sources:\n  - {<<: *a7, bucket: gd-bucket}\n")
	c, _, err := parseYAML("bomb.yaml", []byte(b.String()), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Sources[0].Region != "us-east-1" {
		t.Errorf("region = %q", c.Sources[0].Region)
	}
}

func TestYAMLListForms(t *testing.T) {
	for _, in := range []string{
		"sources: [{bucket: gd-bucket, regions: [us-west-2, us-east-1], aws_account_id: [\"123456789012\"]}]",
		"sources: [{bucket: gd-bucket, regions: 'us-west-2,us-east-1', aws_account_id: 123456789012}]",
	} {
		c, _, err := parseYAML("l.yaml", []byte(in), noEnv)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		s := c.Sources[0]
		if strings.Join(s.Regions, ",") != "us-east-1,us-west-2" || strings.Join(s.AccountIDs, ",") != "123456789012" {
			t.Errorf("%s: regions %q, accounts %q", in, s.Regions, s.AccountIDs)
		}
	}
}

func TestParseDetectsFormat(t *testing.T) {
	xml := "\xef\xbb\xbf \n\t<wodle name=\"aws-s3\"><bucket type=\"guardduty\"><name>gd-bucket</name></bucket></wodle>"
	c, _, err := Parse("x", []byte(xml))
	if err != nil || len(c.Sources) != 1 {
		t.Fatalf("XML with BOM and spaces: %v, %+v", err, c)
	}
	c, _, err = Parse("y", []byte("\xef\xbb\xbfsources: [{bucket: gd-bucket}]"))
	if err != nil || len(c.Sources) != 1 {
		t.Fatalf("YAML with BOM: %v, %+v", err, c)
	}
}
