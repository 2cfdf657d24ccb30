package rules

import "strings"

// Field is one dynamic field of an event: a dotted JSON path and its value
// formatted as analysisd's JSON decoder formats it.
type Field struct {
	Key   string
	Value string
}

// Static field slots: the fields analysisd keeps outside the dynamic list.
// The JSON decoder fills some of them from top-level keys; the others
// (hostname, program_name, geoip) come from stages dutywatch does not run
// and stay unset.
type staticField uint8

const (
	fSrcIP staticField = iota
	fID
	fDstIP
	fSrcPort
	fDstPort
	fSrcUser
	fDstUser
	fProtocol
	fAction
	fURL
	fData
	fExtraData
	fStatus
	fSystemName
	fSrcGeoIP
	fDstGeoIP
	fHostname
	fProgramName
	numStatic
)

// staticNames are the names Event.Static accepts. "systemname" is the JSON
// key, "system_name" the rule element and alert key; both name one slot.
var staticNames = map[string]staticField{
	"srcip": fSrcIP, "id": fID, "dstip": fDstIP, "srcport": fSrcPort,
	"dstport": fDstPort, "srcuser": fSrcUser, "dstuser": fDstUser,
	"protocol": fProtocol, "action": fAction, "url": fURL, "data": fData,
	"extra_data": fExtraData, "status": fStatus, "system_name": fSystemName,
	"systemname": fSystemName, "srcgeoip": fSrcGeoIP, "dstgeoip": fDstGeoIP,
	"hostname": fHostname, "program_name": fProgramName,
}

// Event is one log event as analysisd sees it after decoding: the raw log,
// where it came from, the static fields and the ordered dynamic fields.
// An Event is not modified by evaluation and may be shared between
// goroutines once built.
type Event struct {
	// Location is the event's location: "Wazuh-AWS" for the aws-s3 wodle,
	// "stdin" for wazuh-logtest.
	Location string
	// AgentID is the agent that sent the event: "000" is the manager.
	// Correlation only counts events of the same agent.
	AgentID string
	// Log is the full log line: <match> and <regex> test it, and it is the
	// alert's full_log.
	Log string
	// Decoder is the name of the decoder that decoded the event ("json"),
	// or "" when no decoder matched.
	Decoder string
	// Dropped counts dynamic fields discarded because the event already had
	// MaxFields of them ("Too many fields for JSON decoder").
	Dropped int

	static  [numStatic]string
	present uint32 // bit i set: static slot i is set (possibly to "")
	fields  []Field
	index   fieldIndex // first field of each name
}

// NewEvent returns an event with no fields for a raw log line.
func NewEvent(location, log string) *Event {
	return &Event{Location: location, AgentID: "000", Log: log}
}

// Get returns the value of the first dynamic field named name, compared
// without ASCII case, as analysisd's FindField does. Static fields are not
// dynamic fields: use Static for them.
func (e *Event) Get(name string) (string, bool) {
	if len(e.index) == 0 {
		return "", false
	}
	return e.getHashed(name, keyHash(name))
}

// getLower is Get for a name already in lowercase.
func (e *Event) getLower(name string) (string, bool) {
	return e.getHashed(name, keyHash(name))
}

// getHashed is Get for a name whose keyHash is h.
func (e *Event) getHashed(name string, h uint64) (string, bool) {
	i := e.index.find(e.fields, name, h)
	if i < 0 {
		return "", false
	}
	return e.fields[i].Value, true
}

// Fields returns the dynamic fields in decoding order. The slice must not
// be modified.
func (e *Event) Fields() []Field { return e.fields }

// NumFields returns the number of dynamic fields.
func (e *Event) NumFields() int { return len(e.fields) }

// AddField appends a dynamic field. A later field with the same name (in
// any case) is kept but never returned by Get, as in analysisd.
func (e *Event) AddField(key, value string) {
	h := keyHash(key)
	first := e.index.find(e.fields, key, h) < 0
	e.fields = append(e.fields, Field{Key: key, Value: value})
	if first {
		e.index = e.index.add(len(e.fields)-1, h)
	}
}

// Static returns a static field: srcip, dstip, srcport, dstport, protocol,
// action, srcuser, dstuser, id, status, url, data, extra_data,
// system_name (or systemname), hostname, program_name, srcgeoip, dstgeoip.
func (e *Event) Static(name string) (string, bool) {
	f, ok := staticNames[strings.ToLower(name)]
	if !ok {
		return "", false
	}
	return e.staticValue(f)
}

// SetStatic sets a static field; it reports false for an unknown name.
func (e *Event) SetStatic(name, value string) bool {
	f, ok := staticNames[strings.ToLower(name)]
	if !ok {
		return false
	}
	e.setStatic(f, value)
	return true
}

func (e *Event) staticValue(f staticField) (string, bool) {
	if e.present&(1<<f) == 0 {
		return "", false
	}
	return e.static[f], true
}

func (e *Event) setStatic(f staticField, v string) {
	e.static[f] = v
	e.present |= 1 << f
}

// user is the value <user> tests: dstuser, else srcuser.
func (e *Event) user() (string, bool) {
	if v, ok := e.staticValue(fDstUser); ok {
		return v, true
	}
	return e.staticValue(fSrcUser)
}
