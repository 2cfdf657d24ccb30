package finding

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// full is a compact finding that sets every typed field.
const full = `{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","partition":"aws",` +
	`"id":"9f8e7d6c5b4a39281706f5e4d3c2b1a0","arn":"arn:aws:guardduty:us-east-1:111122223333:detector/0a1b2c/finding/9f8e7d6c5b4a39281706f5e4d3c2b1a0",` +
	`"type":"UnauthorizedAccess:IAMUser/TorIPCaller","resource":{"resourceType":"AccessKey",` +
	`"accessKeyDetails":{"accessKeyId":"ASIAEXAMPLEKEY000001","principalId":"AROAEXAMPLE:session","userType":"AssumedRole","userName":"deploy-role"},` +
	`"instanceDetails":{"instanceId":"i-0123456789abcdef0"}},` +
	`"service":{"serviceName":"guardduty","detectorId":"0a1b2c","action":{"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"GetObject",` +
	`"remoteIpDetails":{"ipAddressV4":"192.0.2.10","organization":{"asn":"64496","asnOrg":"Onion Exit","isp":"Onion ISP","org":"Onion Org"},` +
	`"country":{"countryName":"Iceland"},"city":{"cityName":"Reykjavík"},"geoLocation":{"lat":64.1355,"lon":-21.8954}}}},` +
	`"resourceRole":"TARGET","additionalInfo":{"sample":true},"eventFirstSeen":"2025-02-01T00:00:00Z","eventLastSeen":"2025-02-01T01:00:00.5Z",` +
	`"archived":true,"count":12},"severity":5.5,"createdAt":"2025-02-01T00:01:02.345Z","updatedAt":"2025-02-01T01:02:03Z",` +
	`"title":"Tor caller","description":"An API was invoked from a Tor exit node."}`

func TestParseTypedCore(t *testing.T) {
	r, err := Parse([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	f := r.Finding
	want := Finding{
		ID:          "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
		ARN:         "arn:aws:guardduty:us-east-1:111122223333:detector/0a1b2c/finding/9f8e7d6c5b4a39281706f5e4d3c2b1a0",
		Type:        "UnauthorizedAccess:IAMUser/TorIPCaller",
		Severity:    5.5,
		Title:       "Tor caller",
		Description: "An API was invoked from a Tor exit node.",
		AccountID:   "111122223333",
		Region:      "us-east-1",
		Partition:   "aws",
		DetectorID:  "0a1b2c",
		CreatedAt:   time.Date(2025, 2, 1, 0, 1, 2, 345e6, time.UTC),
		UpdatedAt:   time.Date(2025, 2, 1, 1, 2, 3, 0, time.UTC),
		FirstSeen:   time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC),
		LastSeen:    time.Date(2025, 2, 1, 1, 0, 0, 5e8, time.UTC),
		Count:       12, Archived: true, Sample: true,
		ResourceType: "AccessKey", ResourceRole: "TARGET", InstanceID: "i-0123456789abcdef0",
		AccessKeyID: "ASIAEXAMPLEKEY000001", PrincipalID: "AROAEXAMPLE:session", UserName: "deploy-role",
		ActionType: "AWS_API_CALL",
		RemoteIPs: []RemoteIP{{IP: "192.0.2.10", Country: "Iceland", City: "Reykjavík", Lat: 64.1355, Lon: -21.8954,
			ASN: "64496", ASNOrg: "Onion Exit", ISP: "Onion ISP", Org: "Onion Org"}},
		Source: "guardduty",
		Raw:    []byte(full),
	}
	if !reflect.DeepEqual(*f, want) {
		t.Errorf("got  %+v\nwant %+v", *f, want)
	}
	if r.Envelope != (Envelope{}) || r.Skipped != "" {
		t.Errorf("bare finding got envelope %+v skipped %q", r.Envelope, r.Skipped)
	}
}

func TestParseRawIsCopy(t *testing.T) {
	data := []byte(full)
	r, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'x'
	}
	if string(r.Finding.Raw) != full {
		t.Error("Raw shares memory with the input")
	}
}

// remoteIPCases wraps one action block into a finding.
func withAction(action string) string {
	return `{"schemaVersion":"2.0","id":"a","type":"T","service":{"serviceName":"guardduty","action":` + action + `}}`
}

const rip = `"remoteIpDetails":{"ipAddressV4":"198.51.100.1","organization":{"asn":"64497","asnOrg":"AO","isp":"I","org":"O"},` +
	`"country":{"countryName":"Chile"},"city":{"cityName":"Santiago"},"geoLocation":{"lat":-33.45,"lon":-70.66}}`

func TestRemoteIPsEveryAction(t *testing.T) {
	base := RemoteIP{IP: "198.51.100.1", Country: "Chile", City: "Santiago", Lat: -33.45, Lon: -70.66, ASN: "64497", ASNOrg: "AO", ISP: "I", Org: "O"}
	port := func(p int) RemoteIP { r := base; r.LocalPort = p; return r }
	tests := []struct {
		name       string
		action     string
		actionType string
		want       []RemoteIP
	}{
		{"aws api call", `{"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"ListUsers",` + rip + `}}`, "AWS_API_CALL", []RemoteIP{base}},
		{"network connection", `{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"connectionDirection":"INBOUND",` + rip +
			`,"localPortDetails":{"port":22,"portName":"SSH"}}}`, "NETWORK_CONNECTION", []RemoteIP{port(22)}},
		{"port probe three", `{"actionType":"PORT_PROBE","portProbeAction":{"blocked":false,"portProbeDetails":[` +
			`{"localPortDetails":{"port":22}, ` + rip + `},{"localPortDetails":{"port":80},` + rip + `},{"localPortDetails":{"port":443},` + rip + `}]}}`,
			"PORT_PROBE", []RemoteIP{port(22), port(80), port(443)}},
		{"port probe detail without ip", `{"actionType":"PORT_PROBE","portProbeAction":{"portProbeDetails":[{"localPortDetails":{"port":22}}]}}`,
			"PORT_PROBE", nil},
		{"kubernetes", `{"actionType":"KUBERNETES_API_CALL","kubernetesApiCallAction":{"verb":"get","sourceIPs":["198.51.100.1"],` + rip + `}}`,
			"KUBERNETES_API_CALL", []RemoteIP{base}},
		{"rds login", `{"actionType":"RDS_LOGIN_ATTEMPT","rdsLoginAttemptAction":{` + rip + `,"LoginAttributes":[]}}`,
			"RDS_LOGIN_ATTEMPT", []RemoteIP{base}},
		{"dns has none", `{"actionType":"DNS_REQUEST","dnsRequestAction":{"domain":"x.example"}}`, "DNS_REQUEST", nil},
		{"runtime empty action", `{}`, "", nil},
		{"ipv6 and numeric asn", `{"actionType":"AWS_API_CALL","awsApiCallAction":{"remoteIpDetails":{"ipAddressV6":"2001:db8::1","organization":{"asn":9318}}}}`,
			"AWS_API_CALL", []RemoteIP{{IP: "2001:db8::1", ASN: "9318"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse([]byte(withAction(tt.action)))
			if err != nil {
				t.Fatal(err)
			}
			if r.Finding.ActionType != tt.actionType {
				t.Errorf("ActionType %q, want %q", r.Finding.ActionType, tt.actionType)
			}
			if !reflect.DeepEqual(r.Finding.RemoteIPs, tt.want) {
				t.Errorf("RemoteIPs\n got %+v\nwant %+v", r.Finding.RemoteIPs, tt.want)
			}
		})
	}
}

func TestParseEnvelope(t *testing.T) {
	env := func(dt, detail string) string {
		return `{"version":"0","id":"e1","detail-type":"` + dt + `","source":"aws.guardduty","account":"111122223333",` +
			`"time":"2025-03-04T05:06:07Z","region":"eu-central-1","resources":[],"detail":` + detail + `}`
	}
	meta := Envelope{EventID: "e1", DetailType: "GuardDuty Finding", Source: "aws.guardduty", Account: "111122223333",
		Region: "eu-central-1", Time: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)}
	tests := []struct {
		name    string
		in      string
		skipped string
		source  string
		err     string
	}{
		{name: "finding", in: env("GuardDuty Finding", full), source: "guardduty"},
		{name: "runtime health", in: env("GuardDuty Runtime Protection Unhealthy", `{"instanceId":"i-1"}`), skipped: "GuardDuty Runtime Protection Unhealthy"},
		{name: "malware scan result", in: env("GuardDuty Malware Protection Object Scan Result", `{}`), skipped: "GuardDuty Malware Protection Object Scan Result"},
		{name: "empty detail", in: env("GuardDuty Finding", `{}`), err: "envelope detail: not a GuardDuty finding"},
		{name: "empty detail-type", in: `{"detail-type":"","detail":{}}`, err: ErrNotFinding.Error()},
		{name: "numeric detail-type", in: `{"detail-type":7,"detail":` + full + `}`, err: ErrNotFinding.Error()},
		{name: "null detail", in: env("GuardDuty Finding", `null`), err: "envelope detail"},
		{name: "detail without detail-type", in: `{"region":"us-east-1","detail":` + full + `}`, source: "guardduty"},
		{name: "other source", in: strings.Replace(env("GuardDuty Finding", full), "aws.guardduty", "aws.securityhub", 1), source: "securityhub"},
		{name: "array", in: `[` + full + `]`, err: ErrNotFinding.Error()},
		{name: "string", in: `"GuardDuty Finding"`, err: ErrNotFinding.Error()},
		{name: "unrelated object", in: `{"Records":[]}`, err: ErrNotFinding.Error()},
		{name: "getfindings page", in: `{"findings":[]}`, err: ErrNotFinding.Error()},
		{name: "two values", in: full + full, err: "after the value"},
		{name: "empty", in: ``, err: "unexpected end of input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Skipped != tt.skipped {
				t.Errorf("Skipped %q, want %q", r.Skipped, tt.skipped)
			}
			if tt.skipped != "" {
				if r.Finding != nil {
					t.Error("skipped record has a finding")
				}
				return
			}
			if r.Finding.Source != tt.source {
				t.Errorf("Source %q, want %q", r.Finding.Source, tt.source)
			}
			if tt.name == "finding" && r.Envelope != meta {
				t.Errorf("Envelope %+v, want %+v", r.Envelope, meta)
			}
			if string(r.Finding.Raw) != full {
				t.Errorf("Raw is not the detail's bytes")
			}
		})
	}
}

func TestParseErrorsAreTyped(t *testing.T) {
	_, err := Parse([]byte(`{"a":tru}`))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 5 {
		t.Fatalf("got %v, want *SyntaxError at 5", err)
	}
	if _, err := Parse([]byte(`{"a":1}`)); !errors.Is(err, ErrNotFinding) {
		t.Fatalf("got %v, want ErrNotFinding", err)
	}
}

func TestParseSyntax(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"numbers", `{"id":"a","type":"b","n":[0,-0,1.5,-2e10,3E+2,4e-3]}`, true},
		{"leading zero", `{"id":"a","type":"b","n":01}`, false},
		{"bare dot", `{"id":"a","type":"b","n":1.}`, false},
		{"plus", `{"id":"a","type":"b","n":+1}`, false},
		{"nan", `{"id":"a","type":"b","n":NaN}`, false},
		{"escapes", `{"id":"a\"\\\/\b\f\n\r\t\u00e9","type":"b"}`, true},
		{"bad escape", `{"id":"\x","type":"b"}`, false},
		{"short unicode", `{"id":"\u12","type":"b"}`, false},
		{"control char", "{\"id\":\"a\x01\",\"type\":\"b\"}", false},
		{"trailing comma", `{"id":"a","type":"b",}`, false},
		{"missing colon", `{"id" "a"}`, false},
		{"unclosed", `{"id":"a","type":"b"`, false},
		{"unclosed list", `{"id":"a","type":"b","l":[1,2}`, false},
		{"whitespace everywhere", " \t\n{ \"id\" : \"a\" ,\r\n \"type\" : [ 1 , { } ] } \n", true},
		{"deep", strings.Repeat(`[`, maxDepth+5) + strings.Repeat(`]`, maxDepth+5), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var se *SyntaxError
			if tt.ok && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if !tt.ok && !errors.As(err, &se) {
				t.Fatalf("got %v, want a syntax error", err)
			}
		})
	}
}

func TestParseFieldQuirks(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check func(*Finding) bool
	}{
		{"severity int", `{"id":"a","type":"b","severity":8}`, func(f *Finding) bool { return f.Severity == 8 }},
		{"severity decimal", `{"id":"a","type":"b","severity":8.0}`, func(f *Finding) bool { return f.Severity == 8 }},
		{"severity string", `{"id":"a","type":"b","severity":"2.5"}`, func(f *Finding) bool { return f.Severity == 2.5 }},
		{"count float", `{"id":"a","type":"b","service":{"count":5.0}}`, func(f *Finding) bool { return f.Count == 5 }},
		{"count huge", `{"id":"a","type":"b","service":{"count":123456789012345678901234567890}}`, func(f *Finding) bool { return f.Count == 0 }},
		{"archived false", `{"id":"a","type":"b","service":{"archived":false}}`, func(f *Finding) bool { return !f.Archived }},
		{"sample string is not true", `{"id":"a","type":"b","service":{"additionalInfo":{"sample":"true"}}}`, func(f *Finding) bool { return !f.Sample }},
		{"service not object", `{"id":"a","type":"b","service":"x"}`, func(f *Finding) bool { return f.Count == 0 }},
		{"duplicate keys last wins", `{"id":"a","type":"b","id":"c"}`, func(f *Finding) bool { return f.ID == "c" }},
		{"escaped key", `{"i\u0064":"a","type":"b"}`, func(f *Finding) bool { return f.ID == "a" }},
		{"escaped value", `{"id":"a\u00e9","type":"b"}`, func(f *Finding) bool { return f.ID == "aé" }},
		{"bare source default", `{"id":"a","type":"b"}`, func(f *Finding) bool { return f.Source == "guardduty" }},
		{"bare source from service", `{"id":"a","type":"b","service":{"serviceName":"gd"}}`, func(f *Finding) bool { return f.Source == "gd" }},
		{"epoch floats elsewhere", `{"id":"a","type":"b","resource":{"eksClusterDetails":{"createdAt":1.636625755218E9}},"service":{"runtimeDetails":{"process":{"euid":"0"}}}}`,
			func(f *Finding) bool { return f.ID == "a" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(r.Finding) {
				t.Errorf("check failed: %+v", *r.Finding)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	ms := time.Date(2017, 11, 1, 21, 31, 5, 542e6, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{`"2022-11-17T09:33:19.224Z"`, time.Date(2022, 11, 17, 9, 33, 19, 224e6, time.UTC)},
		{`"2019-10-24T19:23:57Z"`, time.Date(2019, 10, 24, 19, 23, 57, 0, time.UTC)},
		{`"2016-08-02T02:05:06.000Z"`, time.Date(2016, 8, 2, 2, 5, 6, 0, time.UTC)},
		{`"2017-11-01T21:31:05.542+0000"`, ms},
		{`"2017-11-01T23:31:05.542+02:00"`, ms},
		{`"2017-11-01T23:31:05.542+0200"`, ms},
		{`"2017-11-01 21:31:05.542"`, ms},
		{`1509571865542`, ms},
		{`"1509571865542"`, ms},
		{`1509571865.542`, ms},
		{`1.509571865542E9`, ms},
		{`1509571865`, time.Date(2017, 11, 1, 21, 31, 5, 0, time.UTC)},
		{`"yesterday"`, time.Time{}},
		{`""`, time.Time{}},
		{`true`, time.Time{}},
		{`null`, time.Time{}},
		{`1e300`, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := Parse([]byte(`{"id":"a","type":"b","createdAt":` + tt.in + `}`))
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Finding.CreatedAt; !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestConcurrentUse runs Parse, WazuhEvents and Discard.Match from many
// goroutines (meaningful under -race: they share pools).
func TestConcurrentUse(t *testing.T) {
	d, err := NewDiscard("type", "Recon")
	if err != nil {
		t.Fatal(err)
	}
	want := events(t, full)
	done := make(chan error)
	for range 8 {
		go func() {
			for range 50 {
				r, err := Parse([]byte(full))
				if err != nil {
					done <- err
					return
				}
				d.Match(r.Finding)
				var got []string
				err = r.Finding.WazuhEvents(LogInfo{LogFile: "k", S3Bucket: "b"}, func(ev []byte) error {
					got = append(got, string(ev))
					return nil
				})
				if err == nil && !reflect.DeepEqual(got, want) {
					err = errors.New("events differ under concurrency")
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
