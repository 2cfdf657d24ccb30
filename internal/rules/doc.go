// Package rules is a Wazuh-compatible rule engine: it loads Wazuh rule XML
// files, decodes JSON events the way analysisd's JSON decoder does, and
// evaluates events against the rule tree exactly as wazuh-analysisd 4.x
// does, so the stock AWS rules (0350-amazon_rules.xml and friends) give the
// same rule, level and description as Wazuh.
//
// # Loading
//
// A Loader reads rule files in order (Load, LoadFiles, Loader.LoadFile).
// Files are read with a port of Wazuh's own XML reader (see xml.go: several
// top-level <group>s, no entities, "\<" escapes, <var> substitution). Each
// rule's group string is the <group name> followed by its <group> elements;
// compliance tags (pci_dss_, gdpr_, hipaa_, nist_800_53_, tsc_, cis_,
// gpg13_) are split out as alerts show them. Fatal problems (bad XML, an
// unknown element, a bad regex) fail the file with a *LoadError naming the
// file, line and rule id. Rules analysisd would skip with a warning (a
// missing if_sid parent, a missing CDB list, a duplicate id) are skipped
// and listed in Loader.Warnings, or fail the load when Loader.Strict is
// set. overwrite="yes" replaces a rule's content in place.
//
// Matchers: OS_Match and OS_Regex patterns are translated to literal
// matchers or to Go regexps (RE2, linear time) and pcre2 patterns to Go
// regexps; osregex.go, osmatch.go and pcre.go document each translation
// and the known differences. Matching is on bytes and ignores ASCII case
// for OS_Match and OS_Regex, as in analysisd.
//
// # The tree
//
// Rules with an id below 10 are roots, one per decoder category (Wazuh's
// 0010-rules_config.xml, or Loader.AddCategoryRoots). Every other rule is
// placed when it is loaded, under:
//
//   - each rule named in if_sid (the first place that rule sits in the
//     tree; a trailing separator also puts it under its category root, as
//     analysisd does);
//   - else every loaded rule with a level at least if_level;
//   - else every loaded rule whose group string contains the if_group word;
//   - else its category root.
//
// A rule can therefore sit in several places, each with its own children.
// Siblings are ordered when inserted: level-0 rules first, then by level,
// highest first, ties in load order. Only rules loaded earlier can be
// parents, so load order matters as in analysisd.
//
// # The walk
//
// Eval tries the roots of the event's category (all events here are
// syslog-category, the JSON decoder's). Trying a rule runs its tests in
// analysisd's order (decoded_as, program_name, id, system_name, protocol,
// match, regex, action, url, location, each <field>, srcip, dstip,
// srcport, dstport, user, geoip, maxsize, data, extra_data, hostname,
// status, if_fts, each <list>, then the correlation search). A test on a
// field the event lacks fails, negate="yes" or not. When a rule passes, its
// children are tried in order and the first that matches (itself or a
// descendant) is the result: there is no "highest level wins" across
// branches, and a child overrides its parent's level even when lower. When
// no child matches the rule itself is the result, unless it is noalert, in
// which case it counts as not matching and the walk goes on with its next
// sibling. The result's firedtimes counter is incremented.
//
// Two shortcuts make the walk cheaper without changing its result. Field
// lookups are memoized for the event (rules of one level often test the
// same field; descriptions and correlation read them again). And a node
// whose children mostly test one field against exact literals
// ("^a$|^b$") gets a dispatch table (dispatch.go): for the event's value
// of that field it lists only the children that can match, in their
// order, plus every child the table cannot rule out. Skipped children
// would have failed a test, which has no effect besides failing, so the
// first match is the same. Traced evaluations walk every child, so a
// trace lists every rule analysisd would try.
//
// Then, as analysisd's event loop does: a level-0 result ends the event
// (returned with Alert false; it is not kept for correlation). A rule with
// ignore="N" that fired less than N seconds ago reports its immediate parent
// instead (or drops the event when it has none). The description's $(field)
// templates are expanded. Match.Alert is the rule's log flag: level at least
// log_alert_level (default 3), changed by the log_alert and no_log
// options. Finally the event is kept for correlation.
//
// # Correlation
//
// A rule with if_matched_sid, if_matched_group or if_matched_regex is a
// correlation rule (frequency N, default 2; timeframe T, default 360 s). It
// is tried like any child (if_matched_sid implies if_sid), and after its own
// tests it searches a list of earlier events, newest first: the events whose
// final rule was the if_matched_sid rule, the events whose final rule's
// group matched if_matched_group (rules loaded before it), or all events
// (if_matched_regex, tested on each event's log). Events older than T
// seconds end the search. Events from another agent are skipped unless
// global_frequency is set, and so are those failing same_field,
// different_field, same_* or different_* comparisons. An event already
// consumed by a correlation rule of this level or higher stops the search.
// The rule fires when N-1 earlier events qualify (N counting this one);
// this event and the first counted one are then marked as consumed. Time is
// the now passed to Eval (analysisd uses the manager clock, not event
// time).
//
// # State
//
// Correlation lists, firedtimes counters (reset at every hour boundary of
// now) and ignore windows live in a State, not in the Ruleset. A Ruleset is
// immutable after loading and safe for concurrent use; Ruleset.Eval uses a
// built-in State, and Ruleset.NewState gives more. Memory is bounded: each
// correlation list keeps at most Loader.MaxEventsPerList events (default
// 1024) and drops events older than the longest timeframe that searches
// it; a stored event keeps only its time, agent, location, static fields,
// the fields same_field/different_field name, and its log.
//
// A State outlives the process through snapshots (snapshot.go):
// State.MarshalBinary encodes the counters, ignore windows and lists (each
// stored event once, so events shared by lists stay shared) in a compact,
// versioned, deterministic form, and Ruleset.RestoreState reads it back
// into a new State, rebuilding the same_field indexes. A snapshot carries
// a fingerprint of the ruleset's layout; restoring it on other rules
// fails with ErrStateMismatch, and the caller starts with an empty State.
// State.Changed reports whether an Eval changed what a snapshot holds
// since the State was made or restored, or State.ClearChanged was called.
// Stored logs are left out when no rule can read them.
//
// # Concurrency
//
// A Ruleset, its Rules and Events may be shared between goroutines. A
// State (and so Ruleset.Eval) must be used by one goroutine at a time.
// Correlation needs every related event to go through one State.
//
// # Differences from analysisd
//
// Deliberate, documented where they are implemented: OS_Regex runs on RE2
// (osregex.go); PCRE2 lookarounds are supported only as leading lookaheads
// and backreferences are refused (pcre.go); <time>, <weekday>, <check_diff>
// and <compiled_rule> are refused at load; <ignore>/<check_if_ignored> have
// no effect (as in analysisd, whose ignore store never matches); geoip
// fields are never set; an element longer than 2048 bytes fails the load
// instead of being dropped; if_matched_group lists are fed once per rule
// even when the rule sits in several places; firedtimes resets on UTC hour
// boundaries.
//
// Rule tests in Wazuh's .ini format are read by ParseTestFile and run by
// Ruleset.RunTest, each log in a fresh State as runtests.py does with
// wazuh-logtest.
package rules
