package generator

import (
	"bytes"
	"encoding/json"
)

// The structs below mirror GuardDuty's wire format: field order is the
// order GuardDuty writes, omitempty marks blocks that are absent when
// unused, and pointer fields without omitempty are the keys GuardDuty
// writes as null (platform, outpostArn, evidence, …).

type gdFinding struct {
	SchemaVersion string      `json:"schemaVersion"`
	AccountID     string      `json:"accountId"`
	Region        string      `json:"region"`
	Partition     string      `json:"partition"`
	ID            string      `json:"id"`
	ARN           string      `json:"arn"`
	Type          string      `json:"type"`
	Resource      resource    `json:"resource"`
	Service       service     `json:"service"`
	Severity      json.Number `json:"severity"`
	CreatedAt     string      `json:"createdAt"`
	UpdatedAt     string      `json:"updatedAt"`
	Title         string      `json:"title"`
	Description   string      `json:"description"`
}

type resource struct {
	ResourceType         string           `json:"resourceType"`
	AccessKeyDetails     *accessKey       `json:"accessKeyDetails,omitempty"`
	S3BucketDetails      []s3Bucket       `json:"s3BucketDetails,omitempty"`
	InstanceDetails      *instanceDetails `json:"instanceDetails,omitempty"`
	EKSClusterDetails    *eksCluster      `json:"eksClusterDetails,omitempty"`
	KubernetesDetails    *kubernetes      `json:"kubernetesDetails,omitempty"`
	ECSClusterDetails    *ecsCluster      `json:"ecsClusterDetails,omitempty"`
	ContainerDetails     *container       `json:"containerDetails,omitempty"`
	EBSVolumeDetails     *ebsVolumes      `json:"ebsVolumeDetails,omitempty"`
	RDSDBInstanceDetails *rdsInstance     `json:"rdsDbInstanceDetails,omitempty"`
	RDSDBUserDetails     *rdsUser         `json:"rdsDbUserDetails,omitempty"`
	LambdaDetails        *lambdaDetails   `json:"lambdaDetails,omitempty"`
	EBSSnapshotDetails   *snapshotDetails `json:"ebsSnapshotDetails,omitempty"`
	EC2ImageDetails      *imageDetails    `json:"ec2ImageDetails,omitempty"`
	RecoveryPointDetails *recoveryPoint   `json:"recoveryPointDetails,omitempty"`
}

type accessKey struct {
	AccessKeyID string `json:"accessKeyId"`
	PrincipalID string `json:"principalId"`
	UserType    string `json:"userType"`
	UserName    string `json:"userName"`
}

type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type instanceDetails struct {
	InstanceID         string     `json:"instanceId"`
	InstanceType       string     `json:"instanceType"`
	OutpostARN         *string    `json:"outpostArn"`
	LaunchTime         string     `json:"launchTime"`
	Platform           *string    `json:"platform"`
	ProductCodes       []any      `json:"productCodes"`
	IAMInstanceProfile *profile   `json:"iamInstanceProfile"`
	NetworkInterfaces  []netIface `json:"networkInterfaces"`
	Tags               []tag      `json:"tags"`
	InstanceState      string     `json:"instanceState"`
	AvailabilityZone   string     `json:"availabilityZone"`
	ImageID            string     `json:"imageId"`
	ImageDescription   string     `json:"imageDescription"`
}

type profile struct {
	ARN string `json:"arn"`
	ID  string `json:"id"`
}

type netIface struct {
	IPv6Addresses      []string    `json:"ipv6Addresses"`
	NetworkInterfaceID string      `json:"networkInterfaceId"`
	PrivateDNSName     string      `json:"privateDnsName"`
	PrivateIPAddress   string      `json:"privateIpAddress"`
	PrivateIPAddresses []privateIP `json:"privateIpAddresses"`
	SubnetID           string      `json:"subnetId"`
	VPCID              string      `json:"vpcId"`
	SecurityGroups     []secGroup  `json:"securityGroups"`
	PublicDNSName      string      `json:"publicDnsName"`
	PublicIP           string      `json:"publicIp"`
}

type privateIP struct {
	PrivateDNSName   string `json:"privateDnsName"`
	PrivateIPAddress string `json:"privateIpAddress"`
}

type secGroup struct {
	GroupName string `json:"groupName"`
	GroupID   string `json:"groupId"`
}

type s3Bucket struct {
	ARN       string      `json:"arn"`
	Name      string      `json:"name"`
	Type      string      `json:"type"`
	CreatedAt json.Number `json:"createdAt"`
	Owner     struct {
		ID string `json:"id"`
	} `json:"owner"`
	Tags                        []tag      `json:"tags"`
	DefaultServerSideEncryption *sse       `json:"defaultServerSideEncryption"`
	PublicAccess                *publicAcc `json:"publicAccess,omitempty"`
	S3ObjectDetails             []s3Object `json:"s3ObjectDetails,omitempty"`
}

type sse struct {
	EncryptionType  string  `json:"encryptionType"`
	KMSMasterKeyARN *string `json:"kmsMasterKeyArn"`
}

type publicAcc struct {
	EffectivePermission string `json:"effectivePermission"`
}

type s3Object struct {
	ObjectARN string `json:"objectArn"`
	Key       string `json:"key"`
	ETag      string `json:"eTag"`
	Hash      string `json:"hash"`
	VersionID string `json:"versionId"`
}

type eksCluster struct {
	Name      string      `json:"name"`
	ARN       string      `json:"arn"`
	CreatedAt json.Number `json:"createdAt"`
	VPCID     string      `json:"vpcId"`
	Status    string      `json:"status"`
	Tags      []tag       `json:"tags"`
}

type kubernetes struct {
	KubernetesWorkloadDetails *k8sWorkload `json:"kubernetesWorkloadDetails"`
	KubernetesUserDetails     k8sUser      `json:"kubernetesUserDetails"`
}

type k8sWorkload struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	UID       string `json:"uid"`
	Namespace string `json:"namespace"`
}

type k8sUser struct {
	Username string   `json:"username"`
	UID      string   `json:"uid"`
	Groups   []string `json:"groups"`
}

type ecsCluster struct {
	Name        string `json:"name"`
	ARN         string `json:"arn"`
	Status      string `json:"status"`
	TaskDetails *struct {
		ARN           string      `json:"arn"`
		DefinitionARN string      `json:"definitionArn"`
		Version       string      `json:"version"`
		CreatedAt     json.Number `json:"createdAt"`
		StartedAt     json.Number `json:"startedAt"`
		LaunchType    string      `json:"launchType"`
	} `json:"taskDetails,omitempty"`
}

type container struct {
	ContainerRuntime string `json:"containerRuntime"`
	ID               string `json:"id"`
	Name             string `json:"name"`
	Image            string `json:"image"`
}

type ebsVolumes struct {
	ScannedVolumeDetails []ebsVolume `json:"scannedVolumeDetails"`
	SkippedVolumeDetails []ebsVolume `json:"skippedVolumeDetails"`
}

type ebsVolume struct {
	VolumeARN      string  `json:"volumeArn"`
	VolumeType     string  `json:"volumeType"`
	DeviceName     string  `json:"deviceName"`
	VolumeSizeInGB int     `json:"volumeSizeInGB"`
	EncryptionType string  `json:"encryptionType"`
	SnapshotARN    string  `json:"snapshotArn"`
	KMSKeyARN      *string `json:"kmsKeyArn"`
}

type rdsInstance struct {
	DBInstanceIdentifier string `json:"dbInstanceIdentifier"`
	Engine               string `json:"engine"`
	EngineVersion        string `json:"engineVersion"`
	DBClusterIdentifier  string `json:"dbClusterIdentifier"`
	DBInstanceARN        string `json:"dbInstanceArn"`
}

type rdsUser struct {
	User        string `json:"user"`
	Application string `json:"application"`
	Database    string `json:"database"`
	SSL         string `json:"ssl"`
	AuthMethod  string `json:"authMethod"`
}

type lambdaDetails struct {
	FunctionARN     string      `json:"functionArn"`
	FunctionName    string      `json:"functionName"`
	Description     string      `json:"description"`
	LastModifiedAt  json.Number `json:"lastModifiedAt"`
	RevisionID      string      `json:"revisionId"`
	FunctionVersion string      `json:"functionVersion"`
	Role            string      `json:"role"`
	VPCConfig       struct {
		SubnetIDs      []string   `json:"subnetIds"`
		VPCID          string     `json:"vpcId"`
		SecurityGroups []secGroup `json:"securityGroups"`
	} `json:"vpcConfig"`
	Tags []tag `json:"tags"`
}

type snapshotDetails struct {
	SnapshotARN string `json:"snapshotArn"`
	VolumeARN   string `json:"volumeArn"`
}

type imageDetails struct {
	ImageARN string `json:"imageArn"`
}

type recoveryPoint struct {
	RecoveryPointARN string `json:"recoveryPointArn"`
	BackupVaultName  string `json:"backupVaultName"`
}

type service struct {
	ServiceName          string          `json:"serviceName"`
	DetectorID           string          `json:"detectorId"`
	FeatureName          string          `json:"featureName,omitempty"`
	Action               action          `json:"action"`
	ResourceRole         string          `json:"resourceRole,omitempty"`
	RuntimeDetails       *runtimeDetails `json:"runtimeDetails,omitempty"`
	EBSVolumeScanDetails *ebsScan        `json:"ebsVolumeScanDetails,omitempty"`
	MalwareScanDetails   *malwareScan    `json:"malwareScanDetails,omitempty"`
	Detection            *detection      `json:"detection,omitempty"`
	AdditionalInfo       object          `json:"additionalInfo"`
	Evidence             *evidence       `json:"evidence"`
	EventFirstSeen       string          `json:"eventFirstSeen"`
	EventLastSeen        string          `json:"eventLastSeen"`
	Archived             bool            `json:"archived"`
	Count                int64           `json:"count"`
}

type action struct {
	ActionType              string      `json:"actionType,omitempty"`
	AWSAPICallAction        *apiCall    `json:"awsApiCallAction,omitempty"`
	NetworkConnectionAction *netConn    `json:"networkConnectionAction,omitempty"`
	PortProbeAction         *portProbe  `json:"portProbeAction,omitempty"`
	DNSRequestAction        *dnsRequest `json:"dnsRequestAction,omitempty"`
	KubernetesAPICallAction *k8sAPICall `json:"kubernetesApiCallAction,omitempty"`
	RDSLoginAttemptAction   *rdsLogin   `json:"rdsLoginAttemptAction,omitempty"`
}

type remoteIP struct {
	IPAddressV4  string `json:"ipAddressV4"`
	Organization struct {
		ASN    string `json:"asn"`
		ASNOrg string `json:"asnOrg"`
		ISP    string `json:"isp"`
		Org    string `json:"org"`
	} `json:"organization"`
	Country struct {
		CountryName string `json:"countryName"`
	} `json:"country"`
	City struct {
		CityName string `json:"cityName"`
	} `json:"city"`
	GeoLocation struct {
		Lat float64 `json:"lat"`
		Lon float64 `json:"lon"`
	} `json:"geoLocation"`
}

type port struct {
	Port     int    `json:"port"`
	PortName string `json:"portName"`
}

type localIP struct {
	IPAddressV4 string `json:"ipAddressV4"`
}

type apiCall struct {
	API               string            `json:"api"`
	ServiceName       string            `json:"serviceName"`
	CallerType        string            `json:"callerType"`
	ErrorCode         string            `json:"errorCode,omitempty"`
	UserAgent         string            `json:"userAgent,omitempty"`
	RemoteIPDetails   *remoteIP         `json:"remoteIpDetails,omitempty"`
	DomainDetails     *domain           `json:"domainDetails,omitempty"`
	AffectedResources map[string]string `json:"affectedResources"`
}

type domain struct {
	Domain string `json:"domain"`
}

type netConn struct {
	ConnectionDirection string    `json:"connectionDirection"`
	RemoteIPDetails     *remoteIP `json:"remoteIpDetails"`
	RemotePortDetails   port      `json:"remotePortDetails"`
	LocalPortDetails    port      `json:"localPortDetails"`
	Protocol            string    `json:"protocol"`
	Blocked             bool      `json:"blocked"`
	LocalIPDetails      localIP   `json:"localIpDetails"`
}

type portProbe struct {
	PortProbeDetails []probeDetail `json:"portProbeDetails"`
	Blocked          bool          `json:"blocked"`
}

type probeDetail struct {
	LocalPortDetails port      `json:"localPortDetails"`
	LocalIPDetails   localIP   `json:"localIpDetails"`
	RemoteIPDetails  *remoteIP `json:"remoteIpDetails"`
}

type dnsRequest struct {
	Domain           string `json:"domain"`
	Protocol         string `json:"protocol"`
	Blocked          bool   `json:"blocked"`
	DomainWithSuffix string `json:"domainWithSuffix,omitempty"`
}

type k8sAPICall struct {
	RequestURI      string    `json:"requestUri"`
	Verb            string    `json:"verb"`
	SourceIPs       []string  `json:"sourceIPs"`
	UserAgent       string    `json:"userAgent"`
	RemoteIPDetails *remoteIP `json:"remoteIpDetails"`
	StatusCode      int       `json:"statusCode"`
	Parameters      string    `json:"parameters,omitempty"`
}

type rdsLogin struct {
	RemoteIPDetails *remoteIP    `json:"remoteIpDetails"`
	LoginAttributes []loginAttrs `json:"LoginAttributes"`
}

type loginAttrs struct {
	User                    string `json:"user"`
	Application             string `json:"application"`
	FailedLoginAttempts     int    `json:"failedLoginAttempts"`
	SuccessfulLoginAttempts int    `json:"successfulLoginAttempts"`
}

type runtimeDetails struct {
	Process struct {
		Name             string      `json:"name"`
		ExecutablePath   string      `json:"executablePath"`
		ExecutableSha256 string      `json:"executableSha256"`
		Pid              int         `json:"pid"`
		NamespacePid     int         `json:"namespacePid"`
		Pwd              string      `json:"pwd"`
		StartTime        json.Number `json:"startTime"`
		UUID             string      `json:"uuid"`
		ParentUUID       string      `json:"parentUuid"`
		User             string      `json:"user"`
		UserID           int         `json:"userId"`
		Euid             int         `json:"euid"`
	} `json:"process"`
	Context object `json:"context,omitempty"`
}

type ebsScan struct {
	ScanID           string      `json:"scanId"`
	ScanStartedAt    json.Number `json:"scanStartedAt"`
	ScanCompletedAt  json.Number `json:"scanCompletedAt"`
	TriggerFindingID string      `json:"triggerFindingId"`
	Sources          []string    `json:"sources"`
	ScanDetections   object      `json:"scanDetections"`
	ScanType         string      `json:"scanType"`
}

type malwareScan struct {
	Threats []struct {
		Name      string   `json:"name"`
		Source    string   `json:"source"`
		Count     int      `json:"count"`
		Hash      string   `json:"hash"`
		ItemPaths []object `json:"itemPaths"`
	} `json:"threats"`
	ScanID            string `json:"scanId"`
	ScanType          string `json:"scanType"`
	UniqueThreatCount int    `json:"uniqueThreatCount"`
}

type detection struct {
	Sequence object `json:"sequence"`
}

type evidence struct {
	ThreatIntelligenceDetails []threatIntel `json:"threatIntelligenceDetails"`
}

type threatIntel struct {
	ThreatListName string   `json:"threatListName"`
	ThreatNames    []string `json:"threatNames"`
}

// object is a JSON object that keeps its key order (additionalInfo and
// other free-form blocks).
type object []kv

type kv struct {
	K string
	V any
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := encodeTo(&b, e.K); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := encodeTo(&b, e.V); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// encodeTo writes v as compact JSON without HTML escaping and without the
// encoder's trailing newline.
func encodeTo(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1)
	return nil
}

// marshal is json.Marshal without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := encodeTo(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
