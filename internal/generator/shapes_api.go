package generator

import (
	"fmt"
	"strings"
)

// apiFor picks an API call (and its service) that fits the type's tactic.
func (b *builder) apiFor() (api, svc string) {
	type call struct{ api, svc string }
	n := b.t.Name
	var calls []call
	switch {
	case strings.HasPrefix(n, "Discovery:") || strings.HasPrefix(n, "Recon:"):
		calls = []call{{"ListUsers", "iam.amazonaws.com"}, {"ListBuckets", "s3.amazonaws.com"},
			{"DescribeInstances", "ec2.amazonaws.com"}, {"GetAccountAuthorizationDetails", "iam.amazonaws.com"}}
	case strings.HasPrefix(n, "Exfiltration:"):
		calls = []call{{"GetObject", "s3.amazonaws.com"}, {"CreateSnapshot", "ec2.amazonaws.com"}, {"ModifySnapshotAttribute", "ec2.amazonaws.com"}}
	case strings.HasPrefix(n, "Impact:"):
		calls = []call{{"DeleteObject", "s3.amazonaws.com"}, {"TerminateInstances", "ec2.amazonaws.com"}, {"RunInstances", "ec2.amazonaws.com"}}
	case strings.HasPrefix(n, "Persistence:"):
		calls = []call{{"CreateAccessKey", "iam.amazonaws.com"}, {"CreateUser", "iam.amazonaws.com"}, {"CreateLoginProfile", "iam.amazonaws.com"}}
	case strings.HasPrefix(n, "PrivilegeEscalation:"):
		calls = []call{{"AttachUserPolicy", "iam.amazonaws.com"}, {"PutRolePolicy", "iam.amazonaws.com"}, {"AddUserToGroup", "iam.amazonaws.com"}}
	case strings.HasPrefix(n, "DefenseEvasion:"), strings.HasPrefix(n, "Stealth:"):
		calls = []call{{"StopLogging", "cloudtrail.amazonaws.com"}, {"DeleteTrail", "cloudtrail.amazonaws.com"},
			{"UpdateAccountPasswordPolicy", "iam.amazonaws.com"}, {"DeleteFlowLogs", "ec2.amazonaws.com"}}
	case strings.HasPrefix(n, "CredentialAccess:"):
		calls = []call{{"GetSecretValue", "secretsmanager.amazonaws.com"}, {"GetPasswordData", "ec2.amazonaws.com"}}
	case strings.Contains(n, "ConsoleLogin"):
		calls = []call{{"ConsoleLogin", "signin.amazonaws.com"}}
	default:
		calls = []call{{"GetCallerIdentity", "sts.amazonaws.com"}, {"ListBuckets", "s3.amazonaws.com"},
			{"DescribeInstances", "ec2.amazonaws.com"}, {"AssumeRole", "sts.amazonaws.com"}}
	}
	c := pick(b.r, calls)
	return c.api, c.svc
}

// apiCalls is additionalInfo.apiCalls: the APIs seen, with counts and
// epoch-second first/last times.
func (b *builder) apiCalls(main string) []object {
	end := b.created.Unix()
	calls := []object{{{"name", main}, {"count", 1 + b.r.IntN(40)}, {"firstSeen", end - int64(600+b.r.IntN(3000))}, {"lastSeen", end}}}
	for range b.r.IntN(3) {
		api, _ := b.apiFor()
		if api == main {
			continue
		}
		calls = append(calls, object{{"name", api}, {"count", 1 + b.r.IntN(10)}, {"firstSeen", end - int64(600+b.r.IntN(3000))}, {"lastSeen", end - int64(b.r.IntN(300))}})
	}
	return calls
}

// iamAPI: IAM findings from CloudTrail management events (AccessKey).
func (b *builder) iamAPI() {
	u := pick(b.r, b.w.users)
	if strings.Contains(b.t.Name, "Root") {
		u = iamUser{u.scope, "Root", "Root", "ASIA" + upperAlnum(b.r, 16), u.account}
	}
	b.sc = u.scope
	b.f.Resource = resource{ResourceType: "AccessKey", AccessKeyDetails: &accessKey{u.keyID, u.principal, u.userType, u.name}}
	api, svc := b.apiFor()
	a := pick(b.r, b.w.attackers)
	if strings.Contains(b.t.Name, "Tor") {
		a = pick(b.r, b.w.tor)
	}
	call := &apiCall{API: api, ServiceName: svc, CallerType: "Remote IP", RemoteIPDetails: b.remote(a), AffectedResources: map[string]string{}}
	if b.r.IntN(3) == 0 {
		call.ErrorCode = "AccessDenied"
	}
	ua := pick(b.r, []string{"aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64", "Boto3/1.34.69 md/Botocore#1.34.69 Python/3.12.2",
		"aws-sdk-go-v2/1.30.1 os/linux lang/go#1.22.5"})
	if strings.HasPrefix(b.t.Name, "PenTest:") {
		_, _, distro := purposeOf(b.t.Name)
		ua = "aws-cli/1.32.0 Python/3.11.8 Linux/6.6.9-amd64 botocore/1.34.0 distrib#" + strings.TrimSuffix(distro, "Linux")
	}
	call.UserAgent = ua
	b.f.Service.Action = action{ActionType: "AWS_API_CALL", AWSAPICallAction: call}
	b.f.Service.Count = 1 + int64(b.r.IntN(30))
	subject := fmt.Sprintf("%s %s", u.userType, u.name)
	switch {
	case strings.Contains(b.t.Name, "AnomalousBehavior"):
		// The "API call from an unusual network/ASN" story: the caller's
		// ASN was never seen for this identity.
		asn := fmt.Sprintf("asnNumber: %s asnOrg: %s", a.asn, a.org)
		b.setInfo(object{
			{"userAgent", object{{"fullUserAgent", ua}, {"userAgentCategory", "AWS CLI"}}},
			{"anomalies", object{{"anomalousAPIs", fmt.Sprintf("%s:[%s:success]", svc, api)}}},
			{"unusualBehavior", object{{"unusualAPIsUserIdentityProfiling", api}, {"unusualASNsAccountProfiling", asn},
				{"unusualASNsUserIdentityProfiling", asn}, {"isUnusualUserIdentity", "false"}}},
		})
		purpose, _, _ := purposeOf(b.t.Name)
		b.f.Title = fmt.Sprintf("User %s is anomalously invoking APIs commonly used in %s tactics.", subject, purpose)
		b.f.Description = fmt.Sprintf("APIs commonly used in %s tactics were invoked by user %s, under anomalous circumstances: from ASN %s (%s), never seen for this user.",
			purpose, subject, a.asn, a.org)
	case strings.Contains(b.t.Name, "MaliciousIPCaller"), strings.Contains(b.t.Name, "TorIPCaller"):
		b.setInfo(object{{"apiCalls", b.apiCalls(api)}, {"threatListName", "ProofPoint"}})
		b.threatIntel("ProofPoint", "Known malicious host")
		b.f.Title = fmt.Sprintf("API %s was invoked from a known malicious IP address %s.", api, a.ip)
		b.f.Description = fmt.Sprintf("API %s, commonly used in %s tactics, was invoked by %s from known malicious IP address %s.",
			api, strings.Split(b.t.Name, ":")[0], subject, a.ip)
	default:
		b.setInfo(object{{"apiCalls", b.apiCalls(api)}})
		b.f.Title, b.f.Description = genericText(b.t, subject)
	}
}

// s3API: S3 Protection findings (S3Bucket with the caller's access key).
func (b *builder) s3API() {
	bk := pick(b.r, b.w.buckets)
	u := pick(b.r, inScope(b.w.users, bk.scope))
	b.sc = bk.scope
	bucket := s3Bucket{ARN: "arn:aws:s3:::" + bk.name, Name: bk.name, Type: "Destination", CreatedAt: epoch(bk.created),
		Tags: []tag{{"data-class", "internal"}}, DefaultServerSideEncryption: &sse{EncryptionType: "AES256"},
		PublicAccess: &publicAcc{EffectivePermission: "NOT_PUBLIC"}}
	bucket.Owner.ID = hexString(b.r, 64)
	if strings.HasPrefix(b.t.Name, "Policy:") {
		bucket.PublicAccess.EffectivePermission = "PUBLIC"
	}
	b.f.Resource = resource{ResourceType: "S3Bucket", AccessKeyDetails: &accessKey{u.keyID, u.principal, u.userType, u.name},
		S3BucketDetails: []s3Bucket{bucket}}
	api := pick(b.r, []string{"GetObject", "ListObjects", "PutObject", "DeleteObject", "PutBucketPolicy", "PutBucketPublicAccessBlock"})
	call := &apiCall{API: api, ServiceName: "s3.amazonaws.com", CallerType: "Remote IP",
		AffectedResources: map[string]string{"AWS::S3::Bucket": bk.name}}
	a := pick(b.r, b.w.attackers)
	if strings.Contains(b.t.Name, "Tor") {
		a = pick(b.r, b.w.tor)
	}
	if strings.HasPrefix(b.t.Name, "Policy:") || strings.HasPrefix(b.t.Name, "Stealth:") {
		call.CallerType, call.DomainDetails = "Domain", &domain{"s3.amazonaws.com"}
	} else {
		call.RemoteIPDetails = b.remote(a)
	}
	b.f.Service.Action = action{ActionType: "AWS_API_CALL", AWSAPICallAction: call}
	b.f.Service.Count = 1 + int64(b.r.IntN(50))
	b.setInfo(object{{"apiCalls", b.apiCalls(api)}})
	b.f.Title, b.f.Description = genericText(b.t, "S3 bucket "+bk.name)
	if call.RemoteIPDetails != nil && strings.Contains(b.t.Name, "Caller") {
		b.f.Title = fmt.Sprintf("An S3 API %s was invoked on bucket %s from a known malicious IP address %s.", api, bk.name, a.ip)
	}
}

// kubernetesAPI: EKS audit-log findings.
func (b *builder) kubernetesAPI() {
	c := pick(b.r, b.w.clusters)
	b.sc = c.scope
	user := k8sUser{Username: pick(b.r, []string{"system:anonymous", "kubernetes-admin", "system:serviceaccount:default:deployer"}),
		UID: uuid(b.r), Groups: []string{"system:authenticated"}}
	var wl *k8sWorkload
	if strings.Contains(b.t.Name, "WorkloadDeployed") || strings.Contains(b.t.Name, "ExecInPod") || strings.Contains(b.t.Name, "ExecInKubeSystemPod") {
		wl = &k8sWorkload{Name: "debug-" + hexString(b.r, 5), Type: "pods", UID: uuid(b.r), Namespace: pick(b.r, []string{"default", "kube-system"})}
	}
	b.f.Resource = resource{ResourceType: "EKSCluster",
		EKSClusterDetails: &eksCluster{Name: c.name, ARN: fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", c.region, c.account, c.name),
			CreatedAt: epoch(c.created), VPCID: c.vpc, Status: "ACTIVE", Tags: []tag{{"team", "platform"}}},
		KubernetesDetails: &kubernetes{KubernetesWorkloadDetails: wl, KubernetesUserDetails: user}}
	a := pick(b.r, b.w.attackers)
	if strings.Contains(b.t.Name, "Tor") {
		a = pick(b.r, b.w.tor)
	}
	verb := pick(b.r, []string{"get", "list", "create", "delete"})
	b.f.Service.Action = action{ActionType: "KUBERNETES_API_CALL", KubernetesAPICallAction: &k8sAPICall{
		RequestURI: pick(b.r, []string{"/api/v1/namespaces/kube-system/secrets", "/api/v1/pods", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"}),
		Verb:       verb, SourceIPs: []string{a.ip}, UserAgent: "kubectl/v1.30.2 (linux/amd64) kubernetes/3968350",
		RemoteIPDetails: b.remote(a), StatusCode: pick(b.r, []int{200, 201, 403})}}
	b.f.Service.FeatureName = "EksAuditLogs"
	b.f.Title, b.f.Description = genericText(b.t, "EKS cluster "+c.name)
}

// rdsLogin: RDS Protection login findings.
func (b *builder) rdsLogin() {
	db := pick(b.r, b.w.dbs)
	b.sc = db.scope
	user := pick(b.r, []string{"admin", "app_rw", "postgres", "report"})
	b.f.Resource = resource{ResourceType: "RDSDBInstance",
		RDSDBInstanceDetails: &rdsInstance{db.id + "-instance-1", db.engine, db.version, db.id,
			fmt.Sprintf("arn:aws:rds:%s:%s:db:%s-instance-1", db.region, db.account, db.id)},
		RDSDBUserDetails: &rdsUser{user, "psql", "orders", "TRUE", "PASSWORD"}}
	a := pick(b.r, b.w.attackers)
	if strings.Contains(b.t.Name, "Tor") {
		a = pick(b.r, b.w.tor)
	}
	failed, ok := 20+b.r.IntN(500), 0
	if strings.Contains(b.t.Name, "Successful") {
		ok = 1 + b.r.IntN(3)
	}
	b.f.Service.Action = action{ActionType: "RDS_LOGIN_ATTEMPT", RDSLoginAttemptAction: &rdsLogin{RemoteIPDetails: b.remote(a),
		LoginAttributes: []loginAttrs{{user, "psql", failed, ok}}}}
	b.f.Service.FeatureName = "RdsLoginEvents"
	b.f.Title, b.f.Description = genericText(b.t, "RDS database "+db.id)
}
