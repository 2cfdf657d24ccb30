package ruleset

// familyTypes is the rule each finding type of the AWS table must reach
// (before any raising child), written by hand from the reference table,
// not from the XML, so a regex that catches the wrong types fails.
var familyTypes = map[int][]string{
	// 0100 EC2 access
	200100: {"UnauthorizedAccess:EC2/SSHBruteForce"},
	200102: {"UnauthorizedAccess:EC2/RDPBruteForce"},
	200104: {"Impact:EC2/WinRMBruteForce"},
	200110: {"Recon:EC2/PortProbeUnprotectedPort"},
	200114: {"Recon:EC2/PortProbeEMRUnprotectedPort"},
	200120: {"Recon:EC2/Portscan"},
	200121: {"Impact:EC2/PortSweep"},
	200130: {"UnauthorizedAccess:EC2/MaliciousIPCaller.Custom"},
	// 0200 compromised instance
	200200: {"Backdoor:EC2/C&CActivity.B", "Backdoor:Runtime/C&CActivity.B"},
	200201: {"Backdoor:EC2/C&CActivity.B!DNS", "Backdoor:Runtime/C&CActivity.B!DNS"},
	200202: {"Backdoor:EC2/DenialOfService.Dns", "Backdoor:EC2/DenialOfService.Tcp", "Backdoor:EC2/DenialOfService.Udp",
		"Backdoor:EC2/DenialOfService.UdpOnTcpPorts", "Backdoor:EC2/DenialOfService.UnusualProtocol"},
	200203: {"Backdoor:EC2/Spambot"},
	200204: {"Behavior:EC2/NetworkPortUnusual"},
	200205: {"Behavior:EC2/TrafficVolumeUnusual"},
	200206: {"DefenseEvasion:EC2/UnusualDNSResolver"},
	200207: {"DefenseEvasion:EC2/UnusualDoHActivity", "DefenseEvasion:EC2/UnusualDoTActivity"},
	200210: {"CryptoCurrency:EC2/BitcoinTool.B", "CryptoCurrency:Runtime/BitcoinTool.B"},
	200211: {"CryptoCurrency:EC2/BitcoinTool.B!DNS", "CryptoCurrency:Runtime/BitcoinTool.B!DNS"},
	200212: {"Impact:EC2/BitcoinDomainRequest.Reputation", "Impact:Runtime/BitcoinDomainRequest.Reputation"},
	200213: {"Impact:Runtime/CryptoMinerExecuted"},
	200220: {"Trojan:EC2/BlackholeTraffic", "Trojan:Runtime/BlackholeTraffic"},
	200221: {"Trojan:EC2/BlackholeTraffic!DNS", "Trojan:Runtime/BlackholeTraffic!DNS"},
	200222: {"Trojan:EC2/DropPoint", "Trojan:Runtime/DropPoint"},
	200223: {"Trojan:EC2/DropPoint!DNS", "Trojan:Runtime/DropPoint!DNS"},
	200224: {"Trojan:EC2/DGADomainRequest.B", "Trojan:EC2/DGADomainRequest.C!DNS", "Trojan:Runtime/DGADomainRequest.C!DNS"},
	200225: {"Trojan:EC2/DNSDataExfiltration"},
	200226: {"Trojan:EC2/DriveBySourceTraffic!DNS", "Trojan:Runtime/DriveBySourceTraffic!DNS"},
	200227: {"Trojan:EC2/PhishingDomainRequest!DNS", "Trojan:Runtime/PhishingDomainRequest!DNS"},
	200230: {"UnauthorizedAccess:EC2/TorClient", "UnauthorizedAccess:Runtime/TorClient"},
	200231: {"UnauthorizedAccess:EC2/TorRelay", "UnauthorizedAccess:Runtime/TorRelay"},
	200232: {"UnauthorizedAccess:EC2/MetadataDNSRebind", "UnauthorizedAccess:Runtime/MetadataDNSRebind"},
	200240: {"Impact:EC2/MaliciousDomainRequest.Reputation", "Impact:Runtime/MaliciousDomainRequest.Reputation"},
	200241: {"Impact:EC2/MaliciousDomainRequest.Custom"},
	200242: {"Impact:EC2/AbusedDomainRequest.Reputation", "Impact:Runtime/AbusedDomainRequest.Reputation"},
	200243: {"Impact:EC2/SuspiciousDomainRequest.Reputation", "Impact:Runtime/SuspiciousDomainRequest.Reputation"},
	// 0300 IAM
	200300: {"InitialAccess:IAMUser/AnomalousBehavior"},
	200301: {"CredentialAccess:IAMUser/AnomalousBehavior"},
	200302: {"DefenseEvasion:IAMUser/AnomalousBehavior"},
	200303: {"Discovery:IAMUser/AnomalousBehavior"},
	200304: {"Exfiltration:IAMUser/AnomalousBehavior"},
	200305: {"Impact:IAMUser/AnomalousBehavior"},
	200306: {"Persistence:IAMUser/AnomalousBehavior"},
	200307: {"PrivilegeEscalation:IAMUser/AnomalousBehavior"},
	200310: {"UnauthorizedAccess:IAMUser/MaliciousIPCaller", "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom"},
	200311: {"Recon:IAMUser/MaliciousIPCaller", "Recon:IAMUser/MaliciousIPCaller.Custom"},
	200312: {"UnauthorizedAccess:IAMUser/TorIPCaller", "Recon:IAMUser/TorIPCaller"},
	200313: {"UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B"},
	200314: {"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS",
		"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"},
	200316: {"UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS"},
	200317: {"PenTest:IAMUser/KaliLinux", "PenTest:IAMUser/ParrotLinux", "PenTest:IAMUser/PentooLinux"},
	200318: {"Policy:IAMUser/RootCredentialUsage", "Policy:IAMUser/ShortTermRootCredentialUsage"},
	200319: {"Stealth:IAMUser/CloudTrailLoggingDisabled"},
	200320: {"DefenseEvasion:IAMUser/BedrockLoggingDisabled"},
	200321: {"Stealth:IAMUser/PasswordPolicyChange"},
	// 0400 S3
	200400: {"Discovery:S3/AnomalousBehavior"},
	200401: {"Discovery:S3/MaliciousIPCaller", "Discovery:S3/MaliciousIPCaller.Custom"},
	200402: {"Discovery:S3/TorIPCaller"},
	200403: {"Exfiltration:S3/AnomalousBehavior"},
	200404: {"Exfiltration:S3/MaliciousIPCaller"},
	200405: {"Impact:S3/AnomalousBehavior.Delete"},
	200406: {"Impact:S3/AnomalousBehavior.Permission"},
	200407: {"Impact:S3/AnomalousBehavior.Write"},
	200408: {"Impact:S3/MaliciousIPCaller"},
	200409: {"PenTest:S3/KaliLinux", "PenTest:S3/ParrotLinux", "PenTest:S3/PentooLinux"},
	200410: {"Policy:S3/AccountBlockPublicAccessDisabled", "Policy:S3/BucketBlockPublicAccessDisabled"},
	200411: {"Policy:S3/BucketAnonymousAccessGranted", "Policy:S3/BucketPublicAccessGranted"},
	200412: {"Stealth:S3/ServerAccessLoggingDisabled"},
	200413: {"UnauthorizedAccess:S3/MaliciousIPCaller.Custom"},
	200414: {"UnauthorizedAccess:S3/TorIPCaller"},
	200420: {"Object:S3/MaliciousFile", "S3Object:S3/MaliciousFile"},
	// 0500 Kubernetes
	200500: {"CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed"},
	200501: {"CredentialAccess:Kubernetes/MaliciousIPCaller", "CredentialAccess:Kubernetes/MaliciousIPCaller.Custom",
		"CredentialAccess:Kubernetes/SuccessfulAnonymousAccess"},
	200502: {"DefenseEvasion:Kubernetes/MaliciousIPCaller", "DefenseEvasion:Kubernetes/MaliciousIPCaller.Custom",
		"DefenseEvasion:Kubernetes/SuccessfulAnonymousAccess"},
	200503: {"Discovery:Kubernetes/MaliciousIPCaller", "Discovery:Kubernetes/MaliciousIPCaller.Custom",
		"Discovery:Kubernetes/SuccessfulAnonymousAccess"},
	200504: {"Impact:Kubernetes/MaliciousIPCaller", "Impact:Kubernetes/MaliciousIPCaller.Custom",
		"Impact:Kubernetes/SuccessfulAnonymousAccess"},
	200505: {"Persistence:Kubernetes/MaliciousIPCaller", "Persistence:Kubernetes/MaliciousIPCaller.Custom"},
	200506: {"Persistence:Kubernetes/SuccessfulAnonymousAccess"},
	200507: {"CredentialAccess:Kubernetes/TorIPCaller", "DefenseEvasion:Kubernetes/TorIPCaller", "Impact:Kubernetes/TorIPCaller"},
	200508: {"Discovery:Kubernetes/TorIPCaller", "Persistence:Kubernetes/TorIPCaller"},
	200510: {"Discovery:Kubernetes/AnomalousBehavior.PermissionChecked"},
	200511: {"Execution:Kubernetes/AnomalousBehavior.ExecInPod", "Execution:Kubernetes/ExecInKubeSystemPod"},
	200512: {"Execution:Kubernetes/AnomalousBehavior.WorkloadDeployed"},
	200516: {"Persistence:Kubernetes/AnomalousBehavior.WorkloadDeployed!ContainerWithSensitiveMount",
		"PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!ContainerWithSensitiveMount"},
	200517: {"Persistence:Kubernetes/ContainerWithSensitiveMount"},
	200518: {"PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!PrivilegedContainer"},
	200519: {"PrivilegeEscalation:Kubernetes/PrivilegedContainer"},
	200520: {"PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleBindingCreated"},
	200523: {"PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleCreated"},
	200524: {"Policy:Kubernetes/AdminAccessToDefaultServiceAccount", "Policy:Kubernetes/AnonymousAccessGranted"},
	200525: {"Policy:Kubernetes/ExposedDashboard", "Policy:Kubernetes/KubeflowDashboardExposed"},
	// 0600 Runtime
	200600: {"DefenseEvasion:Runtime/FilelessExecution"},
	200601: {"DefenseEvasion:Runtime/KernelModuleLoaded"},
	200602: {"DefenseEvasion:Runtime/ProcessInjection.Proc", "DefenseEvasion:Runtime/ProcessInjection.VirtualMemoryWrite"},
	200603: {"DefenseEvasion:Runtime/ProcessInjection.Ptrace"},
	200604: {"DefenseEvasion:Runtime/PtraceAntiDebugging"},
	200605: {"DefenseEvasion:Runtime/SuspiciousCommand"},
	200610: {"Discovery:Runtime/SuspiciousCommand"},
	200611: {"Execution:Runtime/MaliciousFileExecuted"},
	200612: {"Execution:Runtime/NewBinaryExecuted"},
	200613: {"Execution:Runtime/NewLibraryLoaded"},
	200614: {"Execution:Runtime/ReverseShell"},
	200615: {"Execution:Runtime/SuspiciousCommand"},
	200619: {"Execution:Runtime/SuspiciousShellCreated"},
	200620: {"Execution:Runtime/SuspiciousTool"},
	200625: {"Persistence:Runtime/SuspiciousCommand"},
	200626: {"PrivilegeEscalation:Runtime/CGroupsReleaseAgentModified", "PrivilegeEscalation:Runtime/RuncContainerEscape"},
	200627: {"PrivilegeEscalation:Runtime/ContainerMountsHostDirectory", "PrivilegeEscalation:Runtime/DockerSocketAccessed"},
	200628: {"PrivilegeEscalation:Runtime/ElevationToRoot", "PrivilegeEscalation:Runtime/SuspiciousCommand"},
	200629: {"PrivilegeEscalation:Runtime/UserfaultfdUsage"},
	// 0700 Malware Protection
	200700: {"Execution:EC2/MaliciousFile", "Execution:Container/MaliciousFile", "Execution:ECS/MaliciousFile",
		"Execution:Kubernetes/MaliciousFile"},
	200704: {"Execution:EC2/SuspiciousFile", "Execution:Container/SuspiciousFile", "Execution:ECS/SuspiciousFile",
		"Execution:Kubernetes/SuspiciousFile"},
	200708: {"Execution:EC2/MaliciousFile!AMI", "Execution:EC2/MaliciousFile!Snapshot", "Execution:EC2/MaliciousFile!RecoveryPoint",
		"Execution:S3/MaliciousFile!RecoveryPoint"},
	// 0800 RDS and Lambda
	200800: {"CredentialAccess:RDS/AnomalousBehavior.FailedLogin"},
	200801: {"CredentialAccess:RDS/AnomalousBehavior.SuccessfulBruteForce"},
	200802: {"CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin"},
	200806: {"CredentialAccess:RDS/MaliciousIPCaller.FailedLogin"},
	200807: {"CredentialAccess:RDS/TorIPCaller.FailedLogin"},
	200808: {"CredentialAccess:RDS/MaliciousIPCaller.SuccessfulLogin"},
	200809: {"CredentialAccess:RDS/TorIPCaller.SuccessfulLogin"},
	200810: {"Discovery:RDS/MaliciousIPCaller"},
	200811: {"Discovery:RDS/TorIPCaller"},
	200850: {"Backdoor:Lambda/C&CActivity.B"},
	200851: {"CryptoCurrency:Lambda/BitcoinTool.B"},
	200852: {"Trojan:Lambda/BlackholeTraffic"},
	200853: {"Trojan:Lambda/DropPoint"},
	200854: {"UnauthorizedAccess:Lambda/MaliciousIPCaller.Custom"},
	200855: {"UnauthorizedAccess:Lambda/TorClient", "UnauthorizedAccess:Lambda/TorRelay"},
	// 0900 attack sequences
	200900: {"AttackSequence:EC2/CompromisedInstanceGroup"},
	200901: {"AttackSequence:ECS/CompromisedCluster"},
	200902: {"AttackSequence:EKS/CompromisedCluster"},
	200903: {"AttackSequence:IAM/CompromisedCredentials"},
	200904: {"AttackSequence:S3/CompromisedData"},
}

// purposeRules are the grouping rules under the base rule (level 0,
// noalert), one per type purpose, by the purposes whose types they take.
// A family rule hangs under the one of its types' purpose; a family whose
// types span purposes hangs under the base rule.
var purposeRules = map[int][]string{
	200001: {"AttackSequence"}, 200002: {"Backdoor"}, 200003: {"Behavior"}, 200004: {"CredentialAccess"},
	200005: {"CryptoCurrency"}, 200006: {"DefenseEvasion"}, 200007: {"Discovery"}, 200008: {"Execution"},
	200009: {"Exfiltration"}, 200010: {"Impact"}, 200011: {"InitialAccess"}, 200012: {"Object", "S3Object"},
	200013: {"PenTest"}, 200014: {"Persistence"}, 200015: {"Policy"}, 200016: {"PrivilegeEscalation"},
	200017: {"Recon"}, 200018: {"Stealth"}, 200019: {"Trojan"}, 200020: {"UnauthorizedAccess"},
}

// raising lists the children of a family rule that raise its level, by
// the severity band that selects them.
var raising = map[int]map[string]int{
	200110: {"medium": 200111, "high": 200112, "critical": 200113},
	200314: {"critical": 200315},
	200321: {"medium": 200322, "high": 200323, "critical": 200324},
	200512: {"medium": 200513, "high": 200514, "critical": 200515},
	200520: {"high": 200521, "critical": 200522},
	200605: {"medium": 200606, "high": 200607, "critical": 200608},
	200615: {"medium": 200616, "high": 200617, "critical": 200618},
	200620: {"medium": 200621, "high": 200622, "critical": 200623},
	200700: {"medium": 200701, "high": 200702, "critical": 200703},
	200704: {"medium": 200705, "high": 200706, "critical": 200707},
	200708: {"medium": 200709, "high": 200710, "critical": 200711},
	200802: {"medium": 200803, "high": 200804, "critical": 200805},
}

// actorChild is the child of a brute-force rule for an instance that is
// the attacker (resource role ACTOR).
var actorChild = map[int]int{200100: 200101, 200102: 200103, 200104: 200105}

// Correlation, fallback and base rules.
const (
	ruleBase         = 200000
	ruleTwoTypes     = 200950
	ruleThreeTypes   = 200951
	ruleFallback     = 200990
	ruleFallbackLast = 200993
)

// levelOf is the level a band maps to.
var levelOf = map[string]int{"low": 5, "medium": 8, "high": 11, "critical": 14}

var bandRank = map[string]int{"low": 0, "medium": 1, "high": 2, "critical": 3}
