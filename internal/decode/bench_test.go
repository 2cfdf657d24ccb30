package decode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// findingTemplate is an EventBridge envelope around a GuardDuty-like
// finding, about 3 KB once filled in. The verbs vary per record so that
// compression ratios stay realistic.
const findingTemplate = `{"version":"0","id":"%[1]s","detail-type":"GuardDuty Finding","source":"aws.guardduty",` +
	`"account":"%[2]s","time":"2024-05-%02[3]dT%02[4]d:%02[5]d:12Z","region":"%[6]s","resources":[],` +
	`"detail":{"schemaVersion":"2.0","accountId":"%[2]s","region":"%[6]s","partition":"aws","id":"%[7]s",` +
	`"arn":"arn:aws:guardduty:%[6]s:%[2]s:detector/%[8]s/finding/%[7]s","type":"%[9]s",` +
	`"resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-%[10]x","instanceType":"m5.large",` +
	`"launchTime":"2024-04-%02[3]dT08:15:00.000Z","platform":null,"productCodes":[],` +
	`"iamInstanceProfile":{"arn":"arn:aws:iam::%[2]s:instance-profile/app-%[11]d","id":"AIPA%[10]X"},` +
	`"networkInterfaces":[{"networkInterfaceId":"eni-%[12]x","privateIpAddresses":[{"privateDnsName":` +
	`"ip-10-0-%[13]d-%[14]d.ec2.internal","privateIpAddress":"10.0.%[13]d.%[14]d"}],"subnetId":"subnet-%[12]x",` +
	`"vpcId":"vpc-%[11]x","privateDnsName":"ip-10-0-%[13]d-%[14]d.ec2.internal","securityGroups":[{"groupName":` +
	`"web-%[11]d","groupId":"sg-%[12]x"}],"publicIp":"203.0.113.%[14]d","ipv6Addresses":[],"publicDnsName":` +
	`"ec2-203-0-113-%[14]d.compute-1.amazonaws.com","privateIpAddress":"10.0.%[13]d.%[14]d"}],` +
	`"tags":[{"key":"Name","value":"web-%[11]d"},{"key":"team","value":"platform \"core\""},{"key":"env","value":"prod"}],` +
	`"instanceState":"running","availabilityZone":"%[6]sa","imageId":"ami-%[10]x","imageDescription":"Amazon Linux 2023"}},` +
	`"service":{"serviceName":"guardduty","detectorId":"%[8]s","action":{"actionType":"NETWORK_CONNECTION",` +
	`"networkConnectionAction":{"connectionDirection":"INBOUND","localIpDetails":{"ipAddressV4":"10.0.%[13]d.%[14]d"},` +
	`"remoteIpDetails":{"ipAddressV4":"198.51.%[13]d.%[15]d","organization":{"asn":"%[16]d","asnOrg":"Example Transit AS%[16]d",` +
	`"isp":"Example ISP %[11]d","org":"Example Org"},"country":{"countryName":"Netherlands"},"city":{"cityName":"Amsterdam"},` +
	`"geoLocation":{"lat":52.37%[14]d,"lon":4.89%[13]d}},"protocol":"TCP","blocked":false,` +
	`"remotePortDetails":{"port":%[17]d,"portName":"Unknown"},"localPortDetails":{"port":%[18]d,"portName":"WinRM"}}},` +
	`"resourceRole":"TARGET","additionalInfo":{"value":"{\"unusualProtocol\":\"TCP\",\"threatListName\":\"ProofPoint\"}",` +
	`"type":"default"},"evidence":{"threatIntelligenceDetails":[{"threatListName":"ProofPoint","threatNames":["scanner"]}]},` +
	`"eventFirstSeen":"2024-05-%02[3]dT%02[4]d:00:05.000Z","eventLastSeen":"2024-05-%02[3]dT%02[4]d:%02[5]d:05.000Z",` +
	`"archived":false,"count":%[19]d},"severity":%[20]d,"createdAt":"2024-05-%02[3]dT%02[4]d:00:11.512Z",` +
	`"updatedAt":"2024-05-%02[3]dT%02[4]d:%02[5]d:11.512Z","title":"%[9]s activity seen on EC2 instance i-%[10]x.",` +
	`"description":"198.51.%[13]d.%[15]d is performing %[9]s against i-%[10]x. Brute force attacks are used to gain ` +
	`unauthorized access to your instance by guessing the WinRM password; this finding was generated from VPC flow ` +
	`logs and may be a false positive if the remote address belongs to a known scanner or to your own tooling."}}`

var findingTypes = []string{
	"Impact:EC2/WinRMBruteForce", "Recon:EC2/PortProbeUnprotectedPort", "UnauthorizedAccess:EC2/SSHBruteForce",
	"CryptoCurrency:EC2/BitcoinTool.B!DNS", "Backdoor:EC2/C&CActivity.B", "Trojan:EC2/BlackholeTraffic",
}

// genRecords returns n GuardDuty-like records concatenated without a
// delimiter, as Firehose writes them.
func genRecords(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	hex := func(n int) string {
		b := make([]byte, n/2)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return fmt.Sprintf("%x", b)
	}
	regions := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}
	accounts := []string{"111122223333", "444455556666", "777788889999"}
	detector := hex(32)
	var out []byte
	for range n {
		out = fmt.Appendf(out, findingTemplate,
			hex(8)+"-"+hex(4)+"-"+hex(4)+"-"+hex(4)+"-"+hex(12), accounts[rng.IntN(3)], 1+rng.IntN(28), rng.IntN(24),
			rng.IntN(60), regions[rng.IntN(3)], hex(32), detector, findingTypes[rng.IntN(len(findingTypes))],
			rng.Uint64()>>8, rng.IntN(100), rng.Uint32(), rng.IntN(256), rng.IntN(256), rng.IntN(256),
			1000+rng.IntN(60000), 1024+rng.IntN(60000), 5985+rng.IntN(2), 1+rng.IntN(5000), 1+rng.IntN(8))
	}
	return out
}

// benchData is ~8 MB of records, a little above Firehose's default 5 MB.
func benchData(b *testing.B) []byte {
	b.Helper()
	return genRecords(2700, 1)
}

func BenchmarkSplit(b *testing.B) {
	data := benchData(b)
	s := NewSplitter(nil, Options{})
	br := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		br.Reset(data)
		s.Reset(br, 0)
		n := 0
		for s.Next() {
			n++
		}
		if s.Err() != nil || n != 2700 {
			b.Fatalf("%d records, %v", n, s.Err())
		}
	}
}

func BenchmarkGunzip(b *testing.B) {
	data := benchData(b)
	gz := gzipMembers(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data))/float64(len(gz)), "ratio")
}

// benchReader runs the Reader over body; MB/s are of decompressed bytes.
func benchReader(b *testing.B, plain, body []byte) {
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader("k", bytes.NewReader(body), Options{})
		n := 0
		for r.Next() {
			n++
		}
		if r.Err() != nil || n != 2700 {
			b.Fatalf("%d records, %v", n, r.Err())
		}
		must(0, r.Close())
	}
}

func BenchmarkPlainReader(b *testing.B) {
	data := benchData(b)
	benchReader(b, data, data)
}

func BenchmarkGzipSplit(b *testing.B) {
	data := benchData(b)
	benchReader(b, data, gzipMembers(data))
}

func BenchmarkSnappy(b *testing.B) {
	data := benchData(b)
	benchReader(b, data, snappyFramed(data))
}

func BenchmarkHadoopSnappy(b *testing.B) {
	data := benchData(b)
	benchReader(b, data, hadoopSnappy(data, 256<<10, 256<<10))
}

func TestGenRecords(t *testing.T) {
	data := genRecords(50, 3)
	res := drain(NewSplitter(bytes.NewReader(data), Options{}))
	if res.err != nil || len(res.records) != 50 {
		t.Fatalf("%d records, %v", len(res.records), res.err)
	}
	for _, rec := range res.records {
		if !json.Valid(rec.Data) || len(rec.Data) < 2500 || len(rec.Data) > 3500 {
			t.Fatalf("record of %d bytes, valid %v: %s", len(rec.Data), json.Valid(rec.Data), rec.Data)
		}
	}
}
