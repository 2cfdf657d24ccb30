package rules

import (
	"strings"
)

// Rule is one loaded rule. Exported fields describe it for alerts and
// tools; they must not be modified. A Rule is shared by every Match it
// produces and is safe to read from any goroutine.
type Rule struct {
	ID    int
	Level int
	// File and Line locate the rule's <rule> element.
	File string
	Line int
	// Description is the <description> template; Match.Description holds
	// it expanded for one event.
	Description string
	// GroupString is analysisd's group string: the enclosing <group name>
	// followed by each <group> element, newlines removed
	// ("amazon,aws,aws_guardduty,").
	GroupString string
	// Groups are GroupString's comma-separated groups, compliance tags
	// removed, in order.
	Groups []string
	// Compliance holds the compliance tags split out of GroupString by
	// family, in the order each family first appears (as alerts list them).
	Compliance []Compliance
	MITRE      MITRE
	Info       []Info
	CVE        string
	// NoAlert is the noalert attribute: the rule only passes events on to
	// its children.
	NoAlert bool
	Options Options
	// Frequency and Timeframe are the correlation attributes; Frequency is
	// 0 unless set.
	Frequency int
	Timeframe int
	// IgnoreTime is the ignore="N" attribute, in seconds.
	IgnoreTime int
	// Parents as written: if_sid, if_group, if_level, if_matched_sid,
	// if_matched_group.
	IfSID          string
	IfGroup        string
	IfLevel        string
	IfMatchedSID   int
	IfMatchedGroup string

	index     int // position in Ruleset.rules
	sortLevel int // analysisd's internal level: ×100, level 0 as 9900
	accuracy  bool
	category  string
	conds     []cond
	corr      *correlation // nil unless the rule has if_matched_* context
	noCounter bool
	opts      uint32 // analysisd alert_opts bits
	fts       bool   // if_fts
	ignoreKey []string
	w         wiring
	desc      *template // Description, cut for expansion (set by Loader.Ruleset)
}

// Compliance is one compliance family of a rule ("pci_dss", "gdpr",
// "hipaa", "nist_800_53", "tsc", "cis", "gpg13") with its controls.
type Compliance struct {
	Framework string
	Controls  []string
}

// MITRE holds a rule's ATT&CK references: technique IDs from <mitre><id>,
// or tactic/technique pairs from <tacticID>/<techniqueID> (same length).
type MITRE struct {
	IDs          []string
	TacticIDs    []string
	TechniqueIDs []string
}

// Info is one <info type="..."> element: type is text, link, cve or osvdb.
type Info struct {
	Type string
	Text string
}

// Options are the rule's <options> and derived alert flags.
type Options struct {
	NoFullLog bool // no_full_log: alerts carry no full_log
	NoCounter bool // no_counter: alerts carry no firedtimes
	NoAR      bool // no_ar
	// LogAlert is analysisd's DO_LOGALERT: a match is written as an alert.
	// It is level >= log_alert_level, changed by the log_alert and no_log
	// options.
	LogAlert bool
	// EmailAlert is DO_MAILALERT (the alert's "mail"): level >=
	// email_alert_level, changed by alert_by_email and no_email_alert.
	EmailAlert bool
}

// analysisd alert_opts bits (rules.h).
const (
	optMail      = 0x0002
	optLog       = 0x0004
	optNoAR      = 0x0008
	optNoAlert   = 0x0010
	optOverwrite = 0x0020
	optPacket    = 0x0040
	optExtra     = 0x0100
	optSameExtra = 0x0200
	optNoFullLog = 0x0400
	optNoCounter = 0x1000
)

// wiring is what ties a rule into the tree and the correlation lists; an
// overwrite="yes" rule keeps the original's wiring, as analysisd does.
type wiring struct {
	ifSID, ifGroup, ifLevel string
	ifMatchedSID            int
	ifMatchedGroup          Matcher
	search                  searchKind
	searchList              int   // list searched, when search is sid or group
	sidList                 int   // list this rule feeds as an if_matched_sid target, or -1
	groupLists              []int // if_matched_group lists this rule feeds
}

type searchKind uint8

const (
	searchNone   searchKind = iota
	searchSID               // Search_LastSids
	searchGroup             // Search_LastGroups
	searchEvents            // Search_LastEvents (if_matched_regex)
)

// correlation is a rule's context configuration.
type correlation struct {
	freq       int // frequency - 2, as analysisd stores it
	timeframe  int64
	global     bool
	sameMask   uint32   // FIELD_* bits of same_* options
	diffMask   uint32   // FIELD_* bits of different_* options
	sameFields []string // lowercase
	diffFields []string
	sameIdx    []int // positions of sameFields in Ruleset.corrFields
	diffIdx    []int
	sameFids   []int // memo slots of sameFields (Ruleset.fieldNames)
	diffFids   []int
	regex      Matcher // if_matched_regex
}

// FIELD_* bits (rules.h), in field_offset order.
const (
	fieldSrcIP      = 0x01
	fieldID         = 0x02
	fieldDstIP      = 0x04
	fieldSrcPort    = 0x08
	fieldDstPort    = 0x10
	fieldSrcUser    = 0x20
	fieldUser       = 0x40
	fieldProtocol   = 0x80
	fieldAction     = 0x100
	fieldURL        = 0x200
	fieldData       = 0x400
	fieldExtraData  = 0x800
	fieldStatus     = 0x1000
	fieldSystemName = 0x2000
	fieldSrcGeoIP   = 0x4000
	fieldDstGeoIP   = 0x8000
	fieldLocation   = 0x10000
	numFieldBits    = 17
)

// fieldBitSlot maps FIELD_* bit i to the event slot compared (-1 for
// location, which is Event.Location).
var fieldBitSlot = [numFieldBits]int{
	int(fSrcIP), int(fID), int(fDstIP), int(fSrcPort), int(fDstPort),
	int(fSrcUser), int(fDstUser), int(fProtocol), int(fAction), int(fURL),
	int(fData), int(fExtraData), int(fStatus), int(fSystemName),
	int(fSrcGeoIP), int(fDstGeoIP), -1,
}

// splitGroups is W_JSON_ParseGroups: GroupString split on ',' (empty
// pieces dropped, no trimming), compliance tags moved to their family with
// the prefix cut.
func splitGroups(gs string) ([]string, []Compliance) {
	prefixes := []struct{ prefix, name string }{
		{"pci_dss_", "pci_dss"}, {"cis_", "cis"}, {"gdpr_", "gdpr"},
		{"gpg13_", "gpg13"}, {"hipaa_", "hipaa"}, {"nist_800_53_", "nist_800_53"},
		{"tsc_", "tsc"},
	}
	var groups []string
	var comp []Compliance
	for _, tok := range strings.Split(gs, ",") {
		if tok == "" {
			continue
		}
		placed := false
		for _, p := range prefixes {
			if !strings.HasPrefix(tok, p.prefix) {
				continue
			}
			i := 0
			for i < len(comp) && comp[i].Framework != p.name {
				i++
			}
			if i == len(comp) {
				comp = append(comp, Compliance{Framework: p.name})
			}
			comp[i].Controls = append(comp[i].Controls, tok[len(p.prefix):])
			placed = true
			break
		}
		if !placed {
			groups = append(groups, tok)
		}
	}
	return groups, comp
}

// commentMax is OS_COMMENT_MAX.
const commentMax = 1024
