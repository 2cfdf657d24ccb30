package generator

// Group is the GuardDuty protection plan (and data source family) a finding
// type belongs to.
type Group string

// The groups of the finding-type table.
const (
	GroupEC2            Group = "EC2"
	GroupIAM            Group = "IAM"
	GroupS3             Group = "S3"
	GroupEKS            Group = "EKS"
	GroupRuntime        Group = "Runtime"
	GroupMalwareEC2     Group = "MalwareEC2"
	GroupMalwareS3      Group = "MalwareS3"
	GroupMalwareBackup  Group = "MalwareBackup"
	GroupRDS            Group = "RDS"
	GroupLambda         Group = "Lambda"
	GroupAttackSequence Group = "AttackSequence"
)

// Level is a GuardDuty severity band. Varies means GuardDuty sets it from
// the detected threat.
type Level string

// Severity bands (Low 1.0–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical
// 9.0–10.0).
const (
	Low      Level = "Low"
	Medium   Level = "Medium"
	High     Level = "High"
	Critical Level = "Critical"
	Varies   Level = "Varies"
)

// Severity returns the number GuardDuty typically writes for the band:
// 2, 5, 8 or 9; Varies gives 5.
func (l Level) Severity() float64 {
	switch l {
	case Low:
		return 2
	case High:
		return 8
	case Critical:
		return 9
	}
	return 5
}

// Type is one GuardDuty finding type with its default severity.
type Type struct {
	Name  string
	Group Group
	Level Level
	// Contextual marks a default that depends on context (the "*" in AWS's
	// table): PortProbeUnprotectedPort is High on Elasticsearch ports.
	Contextual bool
	// Retired types are no longer generated but occur in old exports.
	Retired    bool
	DataSource string
}

// Types returns every GuardDuty finding type with its default severity, as
// listed in the AWS finding-type reference (scraped December 2025): 199
// types, three of them retired names that still appear in old data. Custom
// Detection Rules types are set per rule and are not listed. The slice is
// new on every call.
func Types() []Type {
	return append([]Type(nil), typeTable...)
}

// RetiredTypes returns the older type names that GuardDuty no longer
// generates and that are not in Types (no default severity is documented
// for them).
func RetiredTypes() []string {
	return []string{
		"Exfiltration:S3/ObjectRead.Unusual",
		"Impact:S3/PermissionsModification.Unusual",
		"Impact:S3/ObjectDelete.Unusual",
		"Discovery:S3/BucketEnumeration.Unusual",
		"Persistence:IAMUser/NetworkPermissions",
		"Persistence:IAMUser/ResourcePermissions",
		"Persistence:IAMUser/UserPermissions",
		"PrivilegeEscalation:IAMUser/AdministrativePermissions",
		"Recon:IAMUser/NetworkPermissions",
		"Recon:IAMUser/ResourcePermissions",
		"Recon:IAMUser/UserPermissions",
		"ResourceConsumption:IAMUser/ComputeResources",
		"Stealth:IAMUser/LoggingConfigurationModified",
		"UnauthorizedAccess:IAMUser/ConsoleLogin",
		"UnauthorizedAccess:EC2/TorIPCaller",
		"Backdoor:EC2/XORDDOS",
		"Behavior:IAMUser/InstanceLaunchUnusual",
		"CryptoCurrency:EC2/BitcoinTool.A",
		"UnauthorizedAccess:IAMUser/UnusualASNCaller",
	}
}

// typeTable is read only.
var typeTable = []Type{
	// EC2 (VPC flow logs / DNS logs)
	{"Backdoor:EC2/C&CActivity.B", GroupEC2, High, false, false, "VPC flow logs"},
	{"Backdoor:EC2/C&CActivity.B!DNS", GroupEC2, High, false, false, "DNS logs"},
	{"Backdoor:EC2/DenialOfService.Dns", GroupEC2, High, false, false, "VPC flow logs"},
	{"Backdoor:EC2/DenialOfService.Tcp", GroupEC2, High, false, false, "VPC flow logs"},
	{"Backdoor:EC2/DenialOfService.Udp", GroupEC2, High, false, false, "VPC flow logs"},
	{"Backdoor:EC2/DenialOfService.UdpOnTcpPorts", GroupEC2, High, false, false, "VPC flow logs"},
	{"Backdoor:EC2/DenialOfService.UnusualProtocol", GroupEC2, High, false, false, "VPC flow logs"},
	{"Backdoor:EC2/Spambot", GroupEC2, Medium, false, false, "VPC flow logs"},
	{"Behavior:EC2/NetworkPortUnusual", GroupEC2, Medium, false, false, "VPC flow logs"},
	{"Behavior:EC2/TrafficVolumeUnusual", GroupEC2, Medium, false, false, "VPC flow logs"},
	{"CryptoCurrency:EC2/BitcoinTool.B", GroupEC2, High, false, false, "VPC flow logs"},
	{"CryptoCurrency:EC2/BitcoinTool.B!DNS", GroupEC2, High, false, false, "DNS logs"},
	{"DefenseEvasion:EC2/UnusualDNSResolver", GroupEC2, Medium, false, false, "VPC flow logs"},
	{"DefenseEvasion:EC2/UnusualDoHActivity", GroupEC2, Medium, false, false, "VPC flow logs"},
	{"DefenseEvasion:EC2/UnusualDoTActivity", GroupEC2, Medium, false, false, "VPC flow logs"},
	{"Impact:EC2/AbusedDomainRequest.Reputation", GroupEC2, Medium, false, false, "DNS logs"},
	{"Impact:EC2/BitcoinDomainRequest.Reputation", GroupEC2, High, false, false, "DNS logs"},
	{"Impact:EC2/MaliciousDomainRequest.Custom", GroupEC2, Medium, false, false, "DNS logs"},
	{"Impact:EC2/MaliciousDomainRequest.Reputation", GroupEC2, High, false, false, "DNS logs"},
	{"Impact:EC2/PortSweep", GroupEC2, High, false, false, "VPC flow logs"},
	{"Impact:EC2/SuspiciousDomainRequest.Reputation", GroupEC2, Low, false, false, "DNS logs"},
	{"Impact:EC2/WinRMBruteForce", GroupEC2, Low, true, false, "VPC flow logs"},
	{"Recon:EC2/PortProbeEMRUnprotectedPort", GroupEC2, High, false, false, "VPC flow logs"},
	{"Recon:EC2/PortProbeUnprotectedPort", GroupEC2, Low, true, false, "VPC flow logs"},
	{"Recon:EC2/Portscan", GroupEC2, Medium, false, false, "VPC flow logs"},
	{"Trojan:EC2/BlackholeTraffic", GroupEC2, Medium, false, false, "VPC flow logs"},
	{"Trojan:EC2/BlackholeTraffic!DNS", GroupEC2, Medium, false, false, "DNS logs"},
	{"Trojan:EC2/DGADomainRequest.B", GroupEC2, High, false, false, "DNS logs"},
	{"Trojan:EC2/DGADomainRequest.C!DNS", GroupEC2, High, false, false, "DNS logs"},
	{"Trojan:EC2/DNSDataExfiltration", GroupEC2, High, false, false, "DNS logs"},
	{"Trojan:EC2/DriveBySourceTraffic!DNS", GroupEC2, High, false, false, "DNS logs"},
	{"Trojan:EC2/DropPoint", GroupEC2, Medium, false, false, "VPC flow logs"},
	{"Trojan:EC2/DropPoint!DNS", GroupEC2, Medium, false, false, "DNS logs"},
	{"Trojan:EC2/PhishingDomainRequest!DNS", GroupEC2, High, false, false, "DNS logs"},
	{"UnauthorizedAccess:EC2/MaliciousIPCaller.Custom", GroupEC2, Medium, false, false, "VPC flow logs"},
	{"UnauthorizedAccess:EC2/MetadataDNSRebind", GroupEC2, High, false, false, "DNS logs"},
	{"UnauthorizedAccess:EC2/RDPBruteForce", GroupEC2, Low, true, false, "VPC flow logs"},
	{"UnauthorizedAccess:EC2/SSHBruteForce", GroupEC2, Low, true, false, "VPC flow logs"},
	{"UnauthorizedAccess:EC2/TorClient", GroupEC2, High, false, false, "VPC flow logs"},
	{"UnauthorizedAccess:EC2/TorRelay", GroupEC2, High, false, false, "VPC flow logs"},

	// IAM (CloudTrail management events)
	{"CredentialAccess:IAMUser/AnomalousBehavior", GroupIAM, Medium, false, false, "CloudTrail management event"},
	{"DefenseEvasion:IAMUser/AnomalousBehavior", GroupIAM, Medium, false, false, "CloudTrail management event"},
	{"DefenseEvasion:IAMUser/BedrockLoggingDisabled", GroupIAM, Medium, false, false, "CloudTrail management events"},
	{"Discovery:IAMUser/AnomalousBehavior", GroupIAM, Low, false, false, "CloudTrail management event"},
	{"Exfiltration:IAMUser/AnomalousBehavior", GroupIAM, High, false, false, "CloudTrail management event"},
	{"Impact:IAMUser/AnomalousBehavior", GroupIAM, High, false, false, "CloudTrail management event"},
	{"InitialAccess:IAMUser/AnomalousBehavior", GroupIAM, Medium, false, false, "CloudTrail management event"},
	{"PenTest:IAMUser/KaliLinux", GroupIAM, Medium, false, false, "CloudTrail management event"},
	{"PenTest:IAMUser/ParrotLinux", GroupIAM, Medium, false, false, "CloudTrail management event"},
	{"PenTest:IAMUser/PentooLinux", GroupIAM, Medium, false, false, "CloudTrail management event"},
	{"Persistence:IAMUser/AnomalousBehavior", GroupIAM, Medium, false, false, "CloudTrail management event"},
	{"Policy:IAMUser/RootCredentialUsage", GroupIAM, Low, false, false, "CloudTrail management events or CloudTrail data events for S3"},
	{"Policy:IAMUser/ShortTermRootCredentialUsage", GroupIAM, Low, false, false, "AWS CloudTrail management events or AWS CloudTrail data events for S3"},
	{"PrivilegeEscalation:IAMUser/AnomalousBehavior", GroupIAM, Medium, false, false, "CloudTrail management events"},
	{"Recon:IAMUser/MaliciousIPCaller", GroupIAM, Medium, false, false, "CloudTrail management events"},
	{"Recon:IAMUser/MaliciousIPCaller.Custom", GroupIAM, Medium, false, false, "CloudTrail management events"},
	{"Recon:IAMUser/TorIPCaller", GroupIAM, Medium, false, false, "CloudTrail management events"},
	{"Stealth:IAMUser/CloudTrailLoggingDisabled", GroupIAM, Low, false, false, "CloudTrail management events"},
	{"Stealth:IAMUser/PasswordPolicyChange", GroupIAM, Low, true, false, "CloudTrail management events"},
	{"UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B", GroupIAM, Medium, false, false, "CloudTrail management events"},
	{"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS", GroupIAM, High, true, false, "CloudTrail management events or CloudTrail data events for S3"},
	{"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", GroupIAM, High, false, false, "CloudTrail management events or CloudTrail data events for S3"},
	{"UnauthorizedAccess:IAMUser/MaliciousIPCaller", GroupIAM, Medium, false, false, "CloudTrail management events"},
	{"UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom", GroupIAM, Medium, false, false, "CloudTrail management events"},
	{"UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS", GroupIAM, High, false, false, "CloudTrail management events or CloudTrail data events for S3"},
	{"UnauthorizedAccess:IAMUser/TorIPCaller", GroupIAM, Medium, false, false, "CloudTrail management events"},

	// S3 Protection / S3 policy
	{"Discovery:S3/AnomalousBehavior", GroupS3, Low, false, false, "CloudTrail data events for S3"},
	{"Discovery:S3/MaliciousIPCaller", GroupS3, High, false, false, "CloudTrail data events for S3"},
	{"Discovery:S3/MaliciousIPCaller.Custom", GroupS3, High, false, false, "CloudTrail data events for S3"},
	{"Discovery:S3/TorIPCaller", GroupS3, Medium, false, false, "CloudTrail data events for S3"},
	{"Exfiltration:S3/AnomalousBehavior", GroupS3, High, false, false, "CloudTrail data events for S3"},
	{"Exfiltration:S3/MaliciousIPCaller", GroupS3, High, false, false, "CloudTrail data events for S3"},
	{"Impact:S3/AnomalousBehavior.Delete", GroupS3, High, false, false, "CloudTrail data events for S3"},
	{"Impact:S3/AnomalousBehavior.Permission", GroupS3, High, false, false, "CloudTrail data events for S3"},
	{"Impact:S3/AnomalousBehavior.Write", GroupS3, Medium, false, false, "CloudTrail data events for S3"},
	{"Impact:S3/MaliciousIPCaller", GroupS3, High, false, false, "CloudTrail data events for S3"},
	{"PenTest:S3/KaliLinux", GroupS3, Medium, false, false, "CloudTrail data events for S3"},
	{"PenTest:S3/ParrotLinux", GroupS3, Medium, false, false, "CloudTrail data events for S3"},
	{"PenTest:S3/PentooLinux", GroupS3, Medium, false, false, "CloudTrail data events for S3"},
	{"Policy:S3/AccountBlockPublicAccessDisabled", GroupS3, Low, false, false, "CloudTrail management events"},
	{"Policy:S3/BucketAnonymousAccessGranted", GroupS3, High, false, false, "CloudTrail management events"},
	{"Policy:S3/BucketBlockPublicAccessDisabled", GroupS3, Low, false, false, "CloudTrail management events"},
	{"Policy:S3/BucketPublicAccessGranted", GroupS3, High, false, false, "CloudTrail management events"},
	{"Stealth:S3/ServerAccessLoggingDisabled", GroupS3, Low, false, false, "CloudTrail management events"},
	{"UnauthorizedAccess:S3/MaliciousIPCaller.Custom", GroupS3, High, false, false, "CloudTrail data events for S3"},
	{"UnauthorizedAccess:S3/TorIPCaller", GroupS3, High, false, false, "CloudTrail data events for S3"},

	// EKS Protection (EKS audit logs)
	{"CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed", GroupEKS, Medium, false, false, "EKS audit logs"},
	{"CredentialAccess:Kubernetes/MaliciousIPCaller", GroupEKS, High, false, false, "EKS audit logs"},
	{"CredentialAccess:Kubernetes/MaliciousIPCaller.Custom", GroupEKS, High, false, false, "EKS audit logs"},
	{"CredentialAccess:Kubernetes/SuccessfulAnonymousAccess", GroupEKS, High, false, false, "EKS audit logs"},
	{"CredentialAccess:Kubernetes/TorIPCaller", GroupEKS, High, false, false, "EKS audit logs"},
	{"DefenseEvasion:Kubernetes/MaliciousIPCaller", GroupEKS, High, false, false, "EKS audit logs"},
	{"DefenseEvasion:Kubernetes/MaliciousIPCaller.Custom", GroupEKS, High, false, false, "EKS audit logs"},
	{"DefenseEvasion:Kubernetes/SuccessfulAnonymousAccess", GroupEKS, High, false, false, "EKS audit logs"},
	{"DefenseEvasion:Kubernetes/TorIPCaller", GroupEKS, High, false, false, "EKS audit logs"},
	{"Discovery:Kubernetes/AnomalousBehavior.PermissionChecked", GroupEKS, Low, false, false, "EKS audit logs"},
	{"Discovery:Kubernetes/MaliciousIPCaller", GroupEKS, Medium, false, false, "EKS audit logs"},
	{"Discovery:Kubernetes/MaliciousIPCaller.Custom", GroupEKS, Medium, false, false, "EKS audit logs"},
	{"Discovery:Kubernetes/SuccessfulAnonymousAccess", GroupEKS, Medium, false, false, "EKS audit logs"},
	{"Discovery:Kubernetes/TorIPCaller", GroupEKS, Medium, false, false, "EKS audit logs"},
	{"Execution:Kubernetes/AnomalousBehavior.ExecInPod", GroupEKS, Medium, false, false, "EKS audit logs"},
	{"Execution:Kubernetes/AnomalousBehavior.WorkloadDeployed", GroupEKS, Low, true, false, "EKS audit logs"},
	{"Execution:Kubernetes/ExecInKubeSystemPod", GroupEKS, Medium, false, false, "EKS audit logs"},
	{"Impact:Kubernetes/MaliciousIPCaller", GroupEKS, High, false, false, "EKS audit logs"},
	{"Impact:Kubernetes/MaliciousIPCaller.Custom", GroupEKS, High, false, false, "EKS audit logs"},
	{"Impact:Kubernetes/SuccessfulAnonymousAccess", GroupEKS, High, false, false, "EKS audit logs"},
	{"Impact:Kubernetes/TorIPCaller", GroupEKS, High, false, false, "EKS audit logs"},
	{"Persistence:Kubernetes/AnomalousBehavior.WorkloadDeployed!ContainerWithSensitiveMount", GroupEKS, High, false, false, "EKS audit logs"},
	{"Persistence:Kubernetes/ContainerWithSensitiveMount", GroupEKS, Medium, false, true, "EKS audit logs"},
	{"Persistence:Kubernetes/MaliciousIPCaller", GroupEKS, Medium, false, false, "EKS audit logs"},
	{"Persistence:Kubernetes/MaliciousIPCaller.Custom", GroupEKS, Medium, false, false, "EKS audit logs"},
	{"Persistence:Kubernetes/SuccessfulAnonymousAccess", GroupEKS, High, false, false, "EKS audit logs"},
	{"Persistence:Kubernetes/TorIPCaller", GroupEKS, Medium, false, false, "EKS audit logs"},
	{"Policy:Kubernetes/AdminAccessToDefaultServiceAccount", GroupEKS, High, false, false, "EKS audit logs"},
	{"Policy:Kubernetes/AnonymousAccessGranted", GroupEKS, High, false, false, "EKS audit logs"},
	{"Policy:Kubernetes/ExposedDashboard", GroupEKS, Medium, false, false, "EKS audit logs"},
	{"Policy:Kubernetes/KubeflowDashboardExposed", GroupEKS, Medium, false, false, "EKS audit logs"},
	{"PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleBindingCreated", GroupEKS, Medium, true, false, "EKS audit logs"},
	{"PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleCreated", GroupEKS, Low, false, false, "EKS audit logs"},
	{"PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!ContainerWithSensitiveMount", GroupEKS, High, false, false, "Kubernetes audit logs"},
	{"PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!PrivilegedContainer", GroupEKS, High, false, false, "EKS audit logs"},
	{"PrivilegeEscalation:Kubernetes/PrivilegedContainer", GroupEKS, Medium, false, true, "EKS audit logs"},

	// Runtime Monitoring (EC2 / EKS / ECS incl. Fargate)
	{"Backdoor:Runtime/C&CActivity.B", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"Backdoor:Runtime/C&CActivity.B!DNS", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"CryptoCurrency:Runtime/BitcoinTool.B", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"CryptoCurrency:Runtime/BitcoinTool.B!DNS", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"DefenseEvasion:Runtime/FilelessExecution", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"DefenseEvasion:Runtime/KernelModuleLoaded", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"DefenseEvasion:Runtime/ProcessInjection.Proc", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"DefenseEvasion:Runtime/ProcessInjection.Ptrace", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"DefenseEvasion:Runtime/ProcessInjection.VirtualMemoryWrite", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"DefenseEvasion:Runtime/PtraceAntiDebugging", GroupRuntime, Low, false, false, "Runtime Monitoring"},
	{"DefenseEvasion:Runtime/SuspiciousCommand", GroupRuntime, Varies, false, false, "Runtime Monitoring"},
	{"Discovery:Runtime/SuspiciousCommand", GroupRuntime, Low, false, false, "Runtime Monitoring"},
	{"Execution:Runtime/MaliciousFileExecuted", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"Execution:Runtime/NewBinaryExecuted", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"Execution:Runtime/NewLibraryLoaded", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"Execution:Runtime/ReverseShell", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"Execution:Runtime/SuspiciousCommand", GroupRuntime, Varies, false, false, "Runtime Monitoring"},
	{"Execution:Runtime/SuspiciousShellCreated", GroupRuntime, Low, false, false, "Runtime Monitoring"},
	{"Execution:Runtime/SuspiciousTool", GroupRuntime, Varies, false, false, "Runtime Monitoring"},
	{"Impact:Runtime/AbusedDomainRequest.Reputation", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"Impact:Runtime/BitcoinDomainRequest.Reputation", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"Impact:Runtime/CryptoMinerExecuted", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"Impact:Runtime/MaliciousDomainRequest.Reputation", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"Impact:Runtime/SuspiciousDomainRequest.Reputation", GroupRuntime, Low, false, false, "Runtime Monitoring"},
	{"Persistence:Runtime/SuspiciousCommand", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"PrivilegeEscalation:Runtime/CGroupsReleaseAgentModified", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"PrivilegeEscalation:Runtime/ContainerMountsHostDirectory", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"PrivilegeEscalation:Runtime/DockerSocketAccessed", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"PrivilegeEscalation:Runtime/ElevationToRoot", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"PrivilegeEscalation:Runtime/RuncContainerEscape", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"PrivilegeEscalation:Runtime/SuspiciousCommand", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"PrivilegeEscalation:Runtime/UserfaultfdUsage", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"Trojan:Runtime/BlackholeTraffic", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"Trojan:Runtime/BlackholeTraffic!DNS", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"Trojan:Runtime/DGADomainRequest.C!DNS", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"Trojan:Runtime/DriveBySourceTraffic!DNS", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"Trojan:Runtime/DropPoint", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"Trojan:Runtime/DropPoint!DNS", GroupRuntime, Medium, false, false, "Runtime Monitoring"},
	{"Trojan:Runtime/PhishingDomainRequest!DNS", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"UnauthorizedAccess:Runtime/MetadataDNSRebind", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"UnauthorizedAccess:Runtime/TorClient", GroupRuntime, High, false, false, "Runtime Monitoring"},
	{"UnauthorizedAccess:Runtime/TorRelay", GroupRuntime, High, false, false, "Runtime Monitoring"},

	// Malware Protection for EC2 (EBS scan)
	{"Execution:Container/MaliciousFile", GroupMalwareEC2, Varies, false, false, "EBS Malware Protection"},
	{"Execution:Container/SuspiciousFile", GroupMalwareEC2, Varies, false, false, "EBS Malware Protection"},
	{"Execution:EC2/MaliciousFile", GroupMalwareEC2, Varies, false, false, "EBS Malware Protection"},
	{"Execution:EC2/SuspiciousFile", GroupMalwareEC2, Varies, false, false, "EBS Malware Protection"},
	{"Execution:ECS/MaliciousFile", GroupMalwareEC2, Varies, false, false, "EBS Malware Protection"},
	{"Execution:ECS/SuspiciousFile", GroupMalwareEC2, Varies, false, false, "EBS Malware Protection"},
	{"Execution:Kubernetes/MaliciousFile", GroupMalwareEC2, Varies, false, false, "EBS Malware Protection"},
	{"Execution:Kubernetes/SuspiciousFile", GroupMalwareEC2, Varies, false, false, "EBS Malware Protection"},

	// Malware Protection for S3
	{"Object:S3/MaliciousFile", GroupMalwareS3, High, false, false, "Malware Protection for S3"},
	{"S3Object:S3/MaliciousFile", GroupMalwareS3, High, false, true, "Malware Protection for S3"},

	// Malware Protection for Backup
	{"Execution:EC2/MaliciousFile!AMI", GroupMalwareBackup, Varies, false, false, "Malware Protection for Backup"},
	{"Execution:EC2/MaliciousFile!RecoveryPoint", GroupMalwareBackup, Varies, false, false, "Malware Protection for Backup"},
	{"Execution:EC2/MaliciousFile!Snapshot", GroupMalwareBackup, Varies, false, false, "Malware Protection for Backup"},
	{"Execution:S3/MaliciousFile!RecoveryPoint", GroupMalwareBackup, Varies, false, false, "Malware Protection for Backup"},

	// RDS Protection
	{"CredentialAccess:RDS/AnomalousBehavior.FailedLogin", GroupRDS, Low, false, false, "RDS login activity monitoring"},
	{"CredentialAccess:RDS/AnomalousBehavior.SuccessfulBruteForce", GroupRDS, High, false, false, "RDS login activity monitoring"},
	{"CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin", GroupRDS, Varies, false, false, "RDS login activity monitoring"},
	{"CredentialAccess:RDS/MaliciousIPCaller.FailedLogin", GroupRDS, Medium, false, false, "RDS login activity monitoring"},
	{"CredentialAccess:RDS/MaliciousIPCaller.SuccessfulLogin", GroupRDS, High, false, false, "RDS login activity monitoring"},
	{"CredentialAccess:RDS/TorIPCaller.FailedLogin", GroupRDS, Medium, false, false, "RDS login activity monitoring"},
	{"CredentialAccess:RDS/TorIPCaller.SuccessfulLogin", GroupRDS, High, false, false, "RDS login activity monitoring"},
	{"Discovery:RDS/MaliciousIPCaller", GroupRDS, Medium, false, false, "RDS login activity monitoring"},
	{"Discovery:RDS/TorIPCaller", GroupRDS, Medium, false, false, "RDS login activity monitoring"},

	// Lambda Protection
	{"Backdoor:Lambda/C&CActivity.B", GroupLambda, High, false, false, "Lambda Network Activity Monitoring"},
	{"CryptoCurrency:Lambda/BitcoinTool.B", GroupLambda, High, false, false, "Lambda Network Activity Monitoring"},
	{"Trojan:Lambda/BlackholeTraffic", GroupLambda, Medium, false, false, "Lambda Network Activity Monitoring"},
	{"Trojan:Lambda/DropPoint", GroupLambda, Medium, false, false, "Lambda Network Activity Monitoring"},
	{"UnauthorizedAccess:Lambda/MaliciousIPCaller.Custom", GroupLambda, Medium, false, false, "Lambda Network Activity Monitoring"},
	{"UnauthorizedAccess:Lambda/TorClient", GroupLambda, High, false, false, "Lambda Network Activity Monitoring"},
	{"UnauthorizedAccess:Lambda/TorRelay", GroupLambda, High, false, false, "Lambda Network Activity Monitoring"},

	// Attack sequence (Extended Threat Detection)
	{"AttackSequence:EC2/CompromisedInstanceGroup", GroupAttackSequence, Critical, false, false, "Correlation across several sources (Runtime Monitoring for Amazon EC2, …)"},
	{"AttackSequence:ECS/CompromisedCluster", GroupAttackSequence, Critical, false, false, "Correlation across several sources (Runtime Monitoring for Amazon ECS Fargate, …)"},
	{"AttackSequence:EKS/CompromisedCluster", GroupAttackSequence, Critical, false, false, "Correlation across several sources (EKS audit log events, …)"},
	{"AttackSequence:IAM/CompromisedCredentials", GroupAttackSequence, Critical, false, false, "Correlation across several sources (AWS CloudTrail management events, …)"},
	{"AttackSequence:S3/CompromisedData", GroupAttackSequence, Critical, false, false, "Correlation across several sources (AWS CloudTrail data events for S3 and AWS CloudTrail management events, …)"},
}
