package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// summary is what messages show of an alert, read from its alerts.json
// line. Every string in it is attacker-influenced text from a finding.
type summary struct {
	ID          string
	DocTime     time.Time // timestamp; zero when absent or malformed
	Description string    // rule.description
	RuleLevel   int       // rule.level
	RuleNum     int       // rule.id
	FindingType string    // data.aws.type
	Severity    float64   // 0 when absent
	Account     string
	Region      string
	Title       string
	Finding     string // data.aws.description
	InstanceID  string
	RemoteIP    string
	Country     string
}

// text reads a JSON string or number as text (Wazuh writes every value of
// "data" as a string; dutywatch keeps numbers as numbers).
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
		return nil
	}
	if len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9') {
		*t = text(b)
	}
	return nil // null, booleans, objects and arrays read as ""
}

// remoteIP is a remoteIpDetails block.
type remoteIP struct {
	V4      text `json:"ipAddressV4"`
	V6      text `json:"ipAddressV6"`
	Country struct {
		Name text `json:"countryName"`
	} `json:"country"`
}

type withRemoteIP struct {
	RemoteIP *remoteIP `json:"remoteIpDetails"`
}

// probeDetails is portProbeDetails: a list, or its one element after
// Wazuh's one-element-list flattening and the port-probe split.
type probeDetails struct{ first withRemoteIP }

func (p *probeDetails) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var list []json.RawMessage
		if json.Unmarshal(b, &list) != nil || len(list) == 0 {
			return nil
		}
		b = bytes.TrimSpace(list[0])
	}
	if len(b) > 0 && b[0] == '{' {
		// A member of the wrong kind is a type error after which the rest
		// is still read; an error here would stop the whole alert's.
		_ = json.Unmarshal(b, &p.first)
	}
	return nil
}

type alertLine struct {
	Timestamp text `json:"timestamp"`
	ID        text `json:"id"`
	Rule      struct {
		Level       text `json:"level"`
		Description text `json:"description"`
		ID          text `json:"id"`
	} `json:"rule"`
	Data struct {
		AWS struct {
			Type        text `json:"type"`
			Severity    text `json:"severity"`
			AccountID   text `json:"accountId"`
			Region      text `json:"region"`
			Title       text `json:"title"`
			Description text `json:"description"`
			SourceIP    text `json:"source_ip_address"`
			Resource    struct {
				InstanceDetails struct {
					InstanceID text `json:"instanceId"`
				} `json:"instanceDetails"`
			} `json:"resource"`
			Service struct {
				Action struct {
					Network    withRemoteIP `json:"networkConnectionAction"`
					APICall    withRemoteIP `json:"awsApiCallAction"`
					Kubernetes withRemoteIP `json:"kubernetesApiCallAction"`
					RDSLogin   withRemoteIP `json:"rdsLoginAttemptAction"`
					PortProbe  struct {
						Details probeDetails `json:"portProbeDetails"`
					} `json:"portProbeAction"`
				} `json:"action"`
			} `json:"service"`
		} `json:"aws"`
	} `json:"data"`
}

// alertTimeLayout is the layout of an alert's "timestamp", as Wazuh writes it.
const alertTimeLayout = "2006-01-02T15:04:05.000-0700"

// extract reads the summary of an alerts.json line. Fields of the wrong
// JSON kind read as empty; only a line that is not a JSON object is an
// error.
func extract(doc []byte) (summary, error) {
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 || doc[0] != '{' {
		return summary{}, errors.New("alert is not a JSON object")
	}
	if !json.Valid(doc) {
		return summary{}, errors.New("alert is not valid JSON")
	}
	var a alertLine
	if err := json.Unmarshal(doc, &a); err != nil {
		// A member of an unexpected kind (rule: 3): keep what was read.
		var ute *json.UnmarshalTypeError
		if !errors.As(err, &ute) {
			return summary{}, fmt.Errorf("decode alert: %w", err)
		}
	}
	aws := &a.Data.AWS
	s := summary{
		ID:          string(a.ID),
		Description: string(a.Rule.Description),
		FindingType: string(aws.Type),
		Account:     string(aws.AccountID),
		Region:      string(aws.Region),
		Title:       string(aws.Title),
		Finding:     string(aws.Description),
		InstanceID:  string(aws.Resource.InstanceDetails.InstanceID),
	}
	if t, err := time.Parse(alertTimeLayout, string(a.Timestamp)); err == nil {
		s.DocTime = t.UTC()
	}
	s.RuleLevel, _ = strconv.Atoi(string(a.Rule.Level))
	s.RuleNum, _ = strconv.Atoi(string(a.Rule.ID))
	if f, err := strconv.ParseFloat(string(aws.Severity), 64); err == nil && f >= 0 && f <= 100 {
		s.Severity = f
	}
	act := &aws.Service.Action
	for _, r := range []*remoteIP{act.Network.RemoteIP, act.APICall.RemoteIP, act.Kubernetes.RemoteIP,
		act.RDSLogin.RemoteIP, act.PortProbe.Details.first.RemoteIP} {
		if r == nil {
			continue
		}
		s.RemoteIP = string(r.V4)
		if s.RemoteIP == "" {
			s.RemoteIP = string(r.V6)
		}
		s.Country = string(r.Country.Name)
		break
	}
	if s.RemoteIP == "" {
		s.RemoteIP = string(aws.SourceIP)
	}
	return s, nil
}

// severityLabel is GuardDuty's name for a severity value.
func severityLabel(v float64) string {
	switch {
	case v <= 0:
		return ""
	case v < 4:
		return "Low"
	case v < 7:
		return "Medium"
	case v < 9:
		return "High"
	default:
		return "Critical"
	}
}
