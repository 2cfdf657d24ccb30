package finding

import (
	"cmp"
	"strconv"
	"strings"
)

// Band is the AWS severity band of a severity number: Low 1.0–3.9, Medium
// 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0.
func Band(severity float64) string {
	switch {
	case severity >= 9:
		return "critical"
	case severity >= 7:
		return "high"
	case severity >= 4:
		return "medium"
	}
	return "low"
}

// TypeParts splits a finding type by GuardDuty's naming grammar
// Purpose:ResourceType/Family.Mechanism!Artifact, e.g.
// "CryptoCurrency:EC2/BitcoinTool.B!DNS" → CryptoCurrency, EC2,
// BitcoinTool.B, DNS. Parts that are missing come back empty.
func TypeParts(typ string) (purpose, resource, family, artifact string) {
	purpose, rest, ok := strings.Cut(typ, ":")
	if !ok {
		return "", "", typ, ""
	}
	resource, rest, _ = strings.Cut(rest, "/")
	family, artifact, _ = strings.Cut(rest, "!")
	return purpose, resource, family, artifact
}

// AppendDerived appends to dst the members of the "dutywatch" object that
// dutywatch's own ruleset reads beside the Wazuh event: the severity band,
// the parts of the type, and the actor of the index-th event of the
// finding (port probes give one event per probe detail). dst gets
// `"dutywatch":{...}` with no surrounding braces or comma.
func (f *Finding) AppendDerived(dst []byte, index int) []byte {
	purpose, resource, family, artifact := TypeParts(f.Type)
	dst = append(dst, `"dutywatch":{"severity":`...)
	dst = strconv.AppendFloat(dst, f.Severity, 'f', 1, 64)
	dst = appendMember(dst, "severity_band", Band(f.Severity))
	dst = appendMember(dst, "type_purpose", purpose)
	dst = appendMember(dst, "type_resource", resource)
	dst = appendMember(dst, "type_family", family)
	dst = appendMember(dst, "type_artifact", artifact)
	dst = appendMember(dst, "finding_id", f.ID)
	dst = appendMember(dst, "account", f.AccountID)
	dst = appendMember(dst, "region", f.Region)
	dst = appendMember(dst, "resource_type", f.ResourceType)
	dst = appendMember(dst, "resource_role", f.ResourceRole)
	dst = appendMember(dst, "instance_id", f.InstanceID)
	principal := f.UserName
	if principal == "" {
		principal = f.PrincipalID
	}
	dst = appendMember(dst, "principal", principal)
	dst = appendMember(dst, "action_type", f.ActionType)
	if ip, ok := f.Actor(index); ok {
		dst = appendMember(dst, "remote_ip", ip.IP)
		dst = appendMember(dst, "remote_country", ip.Country)
		dst = appendMember(dst, "remote_city", ip.City)
		dst = appendMember(dst, "remote_asn", ip.ASN)
		dst = appendMember(dst, "remote_org", cmp.Or(ip.ASNOrg, ip.Org, ip.ISP))
		if ip.LocalPort != 0 {
			dst = append(dst, `,"local_port":`...)
			dst = strconv.AppendInt(dst, int64(ip.LocalPort), 10)
		}
	}
	dst = append(dst, `,"count":`...)
	dst = strconv.AppendInt(dst, f.Count, 10)
	dst = append(dst, `,"sample":`...)
	dst = strconv.AppendBool(dst, f.Sample)
	dst = append(dst, `,"archived":`...)
	dst = strconv.AppendBool(dst, f.Archived)
	return append(dst, '}')
}

// Actor is the remote party of the index-th event of f: the index-th probe
// detail of a split port probe, else the first remote IP.
func (f *Finding) Actor(index int) (RemoteIP, bool) {
	if len(f.RemoteIPs) == 0 {
		return RemoteIP{}, false
	}
	if f.ActionType == "PORT_PROBE" && index < len(f.RemoteIPs) {
		return f.RemoteIPs[index], true
	}
	return f.RemoteIPs[0], true
}

// WithDerived returns event (a JSON object) with f's derived members for
// the index-th event added as its last member, appended to dst.
func (f *Finding) WithDerived(dst, event []byte, index int) []byte {
	end := len(event) - 1
	for end > 0 && event[end] != '}' {
		end--
	}
	dst = append(dst, event[:end]...)
	dst = append(dst, ',')
	dst = f.AppendDerived(dst, index)
	return append(dst, '}')
}

func appendMember(dst []byte, name, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendString(dst, value)
}
