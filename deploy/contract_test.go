package deploy

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The contract tests pin what dutywatch relies on in each template: the
// key layout, the event filter, compression, encryption and the policies.
// Each case edits the real file, so the checks are seen to fail.

// mutate returns base with old replaced by new once; old must occur.
func mutate(t *testing.T, base, old, new string) string {
	t.Helper()
	if old == "" {
		return base
	}
	if !strings.Contains(base, old) {
		t.Fatalf("the file no longer holds %q; update this case", old)
	}
	return strings.Replace(base, old, new, 1)
}

// get follows keys through nested mappings; nil when one is missing.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// branches expands Fn::If into both of its branches and drops AWS::NoValue.
func branches(v any) []any {
	fn, arg, ok := intrinsic(v)
	switch {
	case ok && fn == "Fn::If":
		list, _ := arg.([]any)
		if len(list) != 3 {
			return nil
		}
		return append(branches(list[1]), branches(list[2])...)
	case ok && fn == "Ref" && arg == "AWS::NoValue":
		return nil
	}
	return []any{v}
}

// statements returns every statement a policy document may hold.
func statements(doc any) []map[string]any {
	var out []map[string]any
	list, _ := get(doc, "Statement").([]any)
	for _, s := range list {
		for _, b := range branches(s) {
			if m, ok := b.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// strs returns a string or a list of strings as a list.
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// actionsOf returns the sorted, distinct actions of stmts.
func actionsOf(stmts []map[string]any) []string {
	var all []string
	for _, s := range stmts {
		for _, a := range strs(s["Action"]) {
			if !slices.Contains(all, a) {
				all = append(all, a)
			}
		}
	}
	slices.Sort(all)
	return all
}

// findStatement returns the first statement with effect and action whose
// condition block has the key cond (any operator); cond "" matches all.
func findStatement(stmts []map[string]any, effect, action, cond string) map[string]any {
	for _, s := range stmts {
		if s["Effect"] != effect || !slices.Contains(strs(s["Action"]), action) {
			continue
		}
		if cond == "" {
			return s
		}
		for _, c := range branches(s["Condition"]) {
			ops, _ := c.(map[string]any)
			for _, keys := range ops {
				if get(keys, cond) != nil {
					return s
				}
			}
		}
	}
	return nil
}

// expect returns an error unless ok.
func expect(ok bool, format string, args ...any) []error {
	if ok {
		return nil
	}
	return []error{fmt.Errorf(format, args...)}
}

func checkFirehose(tpl *template) []error {
	var errs []error
	rule := get(tpl.resources, "FindingsRule", "Properties")
	pattern := map[string]any{"source": []any{"aws.guardduty"}, "detail-type": []any{"GuardDuty Finding"}}
	errs = append(errs, expect(reflect.DeepEqual(get(rule, "EventPattern"), pattern),
		"rule pattern %v, want %v", get(rule, "EventPattern"), pattern)...)
	targets, _ := get(rule, "Targets").([]any)
	errs = append(errs, expect(len(targets) == 1 && reflect.DeepEqual(get(targets[0], "Arn"),
		map[string]any{"Fn::GetAtt": []any{"DeliveryStream", "Arn"}}), "rule does not target the delivery stream")...)

	dest := get(tpl.resources, "DeliveryStream", "Properties", "ExtendedS3DestinationConfiguration")
	errs = append(errs, expect(get(dest, "CompressionFormat") == "GZIP", "compression %v, want GZIP", get(dest, "CompressionFormat"))...)
	errs = append(errs, expect(reflect.DeepEqual(get(dest, "Prefix"), map[string]any{"Ref": "KeyPrefix"}), "Prefix is not Ref KeyPrefix")...)
	errs = append(errs, expect(get(dest, "CloudWatchLoggingOptions", "Enabled") == true, "CloudWatch logging is off")...)
	errs = append(errs, expect(get(dest, "BufferingHints") != nil && get(dest, "ErrorOutputPrefix") != nil,
		"no BufferingHints or ErrorOutputPrefix")...)

	prefix, _ := get(tpl.params, "KeyPrefix", "Default").(string)
	errPrefix, _ := get(tpl.params, "ErrorOutputPrefix", "Default").(string)
	errs = append(errs, expect(prefix == "firehose/", "KeyPrefix default %q, want firehose/", prefix)...)
	errs = append(errs, expect(!strings.HasPrefix(errPrefix, prefix), "ErrorOutputPrefix %q is under KeyPrefix", errPrefix)...)
	pat, _ := get(tpl.params, "KeyPrefix", "AllowedPattern").(string)
	re, err := regexp.Compile(pat)
	if err != nil {
		return append(errs, fmt.Errorf("KeyPrefix pattern: %w", err))
	}
	for value, ok := range map[string]bool{"firehose/": true, "gd/prod/": true, "firehose": false,
		"/firehose/": false, "gd/!{timestamp:yyyy}/": false} {
		errs = append(errs, expect(re.MatchString(value) == ok, "KeyPrefix pattern accepts %q: %v", value, !ok)...)
	}

	var events []map[string]any
	policies, _ := get(tpl.resources, "EventsRole", "Properties", "Policies").([]any)
	for _, p := range policies {
		events = append(events, statements(get(p, "PolicyDocument"))...)
	}
	errs = append(errs, expect(slices.Equal(actionsOf(events), []string{"firehose:PutRecord", "firehose:PutRecordBatch"}),
		"EventBridge role actions %v", actionsOf(events))...)
	return append(errs, checkBucket(tpl, "FindingsBucket", "FindingsBucketPolicy")...)
}

// checkBucket checks what both buckets share: no public access, expiry,
// aborted uploads and TLS only.
func checkBucket(tpl *template, bucket, bucketPolicy string) []error {
	var errs []error
	props := get(tpl.resources, bucket, "Properties")
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		errs = append(errs, expect(get(props, "PublicAccessBlockConfiguration", k) == true, "%s: %s is not true", bucket, k)...)
	}
	rules, _ := get(props, "LifecycleConfiguration", "Rules").([]any)
	errs = append(errs, expect(len(rules) > 0 && get(rules[0], "ExpirationInDays") != nil &&
		get(rules[0], "AbortIncompleteMultipartUpload", "DaysAfterInitiation") != nil,
		"%s: lifecycle does not expire objects and abort uploads", bucket)...)
	tls := findStatement(statements(get(tpl.resources, bucketPolicy, "Properties", "PolicyDocument")),
		"Deny", "s3:*", "aws:SecureTransport")
	return append(errs, expect(tls != nil && tls["Principal"] == "*", "%s: no TLS-only statement", bucketPolicy)...)
}

func checkNativeExport(tpl *template) []error {
	var errs []error
	dest := get(tpl.resources, "PublishingDestination")
	errs = append(errs, expect(get(dest, "Properties", "DestinationType") == "S3", "destination type is not S3")...)
	errs = append(errs, expect(reflect.DeepEqual(get(dest, "Properties", "DestinationProperties", "KmsKeyArn"),
		map[string]any{"Fn::GetAtt": []any{"ExportKey", "Arn"}}), "destination does not use ExportKey")...)
	errs = append(errs, expect(slices.Contains(strs(get(dest, "DependsOn")), "ExportBucketPolicy"),
		"destination does not wait for the bucket policy")...)
	errs = append(errs, expect(get(tpl.params, "ServicePrincipal", "Default") == "guardduty.amazonaws.com",
		"service principal default is not guardduty.amazonaws.com")...)

	key := statements(get(tpl.resources, "ExportKey", "Properties", "KeyPolicy"))
	gd := findStatement(key, "Allow", "kms:GenerateDataKey", "aws:SourceAccount")
	errs = append(errs, expect(gd != nil && findStatement([]map[string]any{gd}, "Allow", "kms:GenerateDataKey", "aws:SourceArn") != nil &&
		reflect.DeepEqual(get(gd, "Principal", "Service"), map[string]any{"Ref": "ServicePrincipal"}),
		"key policy: no GenerateDataKey for GuardDuty scoped by aws:SourceAccount and aws:SourceArn")...)
	errs = append(errs, expect(findStatement(key, "Allow", "kms:Decrypt", "kms:ViaService") != nil,
		"key policy: no reader kms:Decrypt through S3")...)

	bp := statements(get(tpl.resources, "ExportBucketPolicy", "Properties", "PolicyDocument"))
	for _, c := range []struct{ effect, action, cond, what string }{
		{"Allow", "s3:GetBucketLocation", "aws:SourceArn", "GuardDuty GetBucketLocation"},
		{"Allow", "s3:PutObject", "aws:SourceArn", "GuardDuty PutObject"},
		{"Deny", "s3:PutObject", "s3:x-amz-server-side-encryption", "deny of unencrypted puts"},
		{"Deny", "s3:PutObject", "s3:x-amz-server-side-encryption-aws-kms-key-id", "deny of puts with another key"},
	} {
		errs = append(errs, expect(findStatement(bp, c.effect, c.action, c.cond) != nil, "bucket policy: no %s", c.what)...)
	}
	errs = append(errs, expect(findStatement(bp, "Deny", "s3:PutObjectAcl", "") == nil,
		"bucket policy denies s3:PutObjectAcl, which breaks publishing")...)
	enc, _ := get(tpl.resources, "ExportBucket", "Properties", "BucketEncryption", "ServerSideEncryptionConfiguration").([]any)
	errs = append(errs, expect(len(enc) == 1 && get(enc[0], "ServerSideEncryptionByDefault", "SSEAlgorithm") == "aws:kms",
		"export bucket is not SSE-KMS by default")...)
	return append(errs, checkBucket(tpl, "ExportBucket", "ExportBucketPolicy")...)
}

func checkReaderRole(tpl *template) []error {
	var errs []error
	props := get(tpl.resources, "ReaderRole", "Properties")
	var inline []map[string]any
	policies, _ := get(props, "Policies").([]any)
	for _, p := range policies {
		inline = append(inline, statements(get(p, "PolicyDocument"))...)
	}
	errs = append(errs, checkActionSet(actionsOf(inline), readerActions())...)
	errs = append(errs, expect(findStatement(inline, "Allow", "s3:ListBucket", "s3:prefix") != nil,
		"s3:ListBucket has no s3:prefix condition")...)
	errs = append(errs, expect(findStatement(inline, "Allow", "kms:Decrypt", "kms:ViaService") != nil,
		"kms:Decrypt has no kms:ViaService condition")...)
	trust := statements(get(props, "AssumeRolePolicyDocument"))
	errs = append(errs, expect(findStatement(trust, "Allow", "sts:AssumeRole", "sts:ExternalId") != nil,
		"trust policy does not check sts:ExternalId")...)
	return errs
}

func TestTemplateContracts(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		check    func(*template) []error
		old, new string
		want     []string
	}{
		{name: "firehose", file: "cloudformation/firehose.yaml", check: checkFirehose},
		{"firehose: every guardduty event", "cloudformation/firehose.yaml", checkFirehose,
			"        detail-type: [GuardDuty Finding]\n", "", []string{"rule pattern"}},
		{"firehose: uncompressed", "cloudformation/firehose.yaml", checkFirehose,
			"CompressionFormat: GZIP", "CompressionFormat: UNCOMPRESSED", []string{"compression UNCOMPRESSED, want GZIP"}},
		{"firehose: prefix expressions", "cloudformation/firehose.yaml", checkFirehose,
			`AllowedPattern: "^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/$"`, `AllowedPattern: "^.*$"`, []string{
				`KeyPrefix pattern accepts "firehose"`, `KeyPrefix pattern accepts "/firehose/"`,
				`KeyPrefix pattern accepts "gd/!{timestamp:yyyy}/"`}},
		{"firehose: public bucket", "cloudformation/firehose.yaml", checkFirehose,
			"RestrictPublicBuckets: true", "RestrictPublicBuckets: false", []string{"RestrictPublicBuckets is not true"}},
		{"firehose: wider events role", "cloudformation/firehose.yaml", checkFirehose,
			"- firehose:PutRecordBatch", "- firehose:*", []string{"EventBridge role actions"}},
		{name: "native export", file: "cloudformation/native-export.yaml", check: checkNativeExport},
		{"native: unscoped guardduty key use", "cloudformation/native-export.yaml", checkNativeExport,
			"            Action: kms:GenerateDataKey\n            Resource: \"*\"\n            Condition:\n              StringEquals:\n                aws:SourceAccount:",
			"            Action: kms:GenerateDataKey\n            Resource: \"*\"\n            Condition:\n              StringEquals:\n                aws:CalledVia:",
			[]string{"key policy: no GenerateDataKey for GuardDuty"}},
		{"native: no wrong-key deny", "cloudformation/native-export.yaml", checkNativeExport,
			"s3:x-amz-server-side-encryption-aws-kms-key-id:", "s3:x-amz-acl:", []string{"deny of puts with another key"}},
		{"native: deny acl", "cloudformation/native-export.yaml", checkNativeExport,
			"            Action: s3:PutObject\n            Resource: !Sub \"${ExportBucket.Arn}/*\"\n            Condition:\n              StringNotEquals:\n                s3:x-amz-server-side-encryption: aws:kms",
			"            Action: [s3:PutObject, s3:PutObjectAcl]\n            Resource: !Sub \"${ExportBucket.Arn}/*\"\n            Condition:\n              StringNotEquals:\n                s3:x-amz-server-side-encryption: aws:kms",
			[]string{"denies s3:PutObjectAcl"}},
		{name: "reader role", file: "cloudformation/reader-role.yaml", check: checkReaderRole},
		{"reader role: s3 wildcard", "cloudformation/reader-role.yaml", checkReaderRole,
			"Action: s3:GetObject", "Action: [s3:GetObject, \"s3:*\"]", []string{`action "s3:*" is not in the least-privilege set`}},
		{"reader role: no external id", "cloudformation/reader-role.yaml", checkReaderRole,
			"sts:ExternalId: !Ref ExternalId", "aws:PrincipalAccount: !Ref ExternalId", []string{"does not check sts:ExternalId"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			tpl, err := parseTemplate([]byte(mutate(t, string(base), tc.old, tc.new)))
			if err != nil {
				t.Fatal(err)
			}
			assertProblems(t, tc.check(tpl), tc.want)
		})
	}
}
