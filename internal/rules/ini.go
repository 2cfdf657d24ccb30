package rules

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// TestCase is one [section] of a Wazuh rule-test file
// (ruleset/testing/tests/*.ini).
type TestCase struct {
	Name string
	Line int
	// Rule, Alert and Decoder are the expected rule id, level and decoder
	// name, as written.
	Rule    string
	Alert   string
	Decoder string
	Logs    []TestLog
}

// TestLog is one "log N pass|fail = ..." entry. Log may hold several
// lines (continuation lines or repeated keys); they are fed as successive
// events of one wazuh-logtest session and the last one is checked.
type TestLog struct {
	Name string // "log 1 pass"
	Line int
	Log  string
	// Pass is false for a "fail" entry: the expectation must not hold.
	Pass bool
}

// ParseTestFile reads a rule-test file the way runtests.py's configparser
// does: "[name]" sections (the name runs to the last ']'), "key = value"
// or "key: value" (the first '=' or ':' splits, keys are lowercased,
// values trimmed), full-line '#' and ';' comments, indented continuation
// lines, and repeated sections and keys merged. Every section needs rule,
// alert and decoder keys.
func ParseTestFile(r io.Reader) ([]TestCase, error) {
	type section struct {
		tc   *TestCase
		keys map[string]int // key -> index in Logs (for log keys)
		has  map[string]bool
	}
	var order []*section
	byName := map[string]*section{}
	var cur *section
	var lastLog *TestLog
	var lastVal *string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for n := 1; sc.Scan(); n++ {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			if line == "" {
				lastVal, lastLog = nil, nil
			}
			continue
		}
		if raw[0] == ' ' || raw[0] == '\t' {
			if lastVal == nil {
				return nil, fmt.Errorf("line %d: continuation line without a key", n)
			}
			*lastVal += "\n" + line
			continue
		}
		if line[0] == '[' {
			end := strings.LastIndexByte(line, ']')
			if end < 2 {
				return nil, fmt.Errorf("line %d: bad section header %q", n, line)
			}
			name := line[1:end]
			if cur = byName[name]; cur == nil {
				cur = &section{tc: &TestCase{Name: name, Line: n}, keys: map[string]int{}, has: map[string]bool{}}
				byName[name] = cur
				order = append(order, cur)
			}
			lastVal, lastLog = nil, nil
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("line %d: key outside a section", n)
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			return nil, fmt.Errorf("line %d: expected key = value", n)
		}
		key := strings.ToLower(strings.TrimSpace(line[:i]))
		val := strings.TrimSpace(line[i+1:])
		tc := cur.tc
		cur.has[key] = true
		switch {
		case strings.HasPrefix(key, "log "):
			if j, ok := cur.keys[key]; ok {
				tc.Logs[j].Log += "\n" + val
				lastLog = &tc.Logs[j]
			} else {
				cur.keys[key] = len(tc.Logs)
				tc.Logs = append(tc.Logs, TestLog{Name: key, Line: n, Log: val, Pass: !strings.HasSuffix(key, "fail")})
				lastLog = &tc.Logs[len(tc.Logs)-1]
			}
			lastVal = &lastLog.Log
		case key == "rule":
			lastVal = mergeValue(&tc.Rule, val)
		case key == "alert":
			lastVal = mergeValue(&tc.Alert, val)
		case key == "decoder":
			lastVal = mergeValue(&tc.Decoder, val)
		default:
			lastVal = nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read tests: %w", err)
	}
	out := make([]TestCase, 0, len(order))
	for _, s := range order {
		tc := s.tc
		if !s.has["rule"] || !s.has["alert"] || !s.has["decoder"] {
			return nil, fmt.Errorf("line %d: section [%s] needs rule, alert and decoder", tc.Line, tc.Name)
		}
		out = append(out, *tc)
	}
	return out, nil
}

func mergeValue(at *string, v string) *string {
	if *at != "" {
		*at += "\n" + v
	} else {
		*at = v
	}
	return at
}

// TestResult is the outcome of one TestLog.
type TestResult struct {
	Case *TestCase
	Log  *TestLog
	// Match is the result for the last line of the log (nil: no rule).
	Match *Match
	// Decoder is the decoder of the last line's event.
	Decoder string
	Passed  bool
	// Got is what wazuh-logtest -U compares: "rule:level:decoder".
	Got string
}

// RunTest checks one test case as runtests.py does with wazuh-logtest -U:
// each log runs in a fresh State, its lines are fed as events with
// location "stdin", and the last line's rule id, level and decoder must
// equal the expected ones (or must not, for a "fail" log). As with
// wazuh-logtest, whose exit code is then the number of empty expected
// values, a match on an expectation with an empty part counts as a
// mismatch.
func (rs *Ruleset) RunTest(tc *TestCase, now time.Time) []TestResult {
	want := tc.Rule + ":" + tc.Alert + ":" + tc.Decoder
	out := make([]TestResult, 0, len(tc.Logs))
	for i := range tc.Logs {
		tl := &tc.Logs[i]
		st := rs.NewState()
		res := TestResult{Case: tc, Log: tl}
		for _, line := range strings.Split(tl.Log, "\n") {
			if line == "" {
				continue
			}
			ev := DecodeLog("stdin", line)
			res.Match = st.Eval(ev, now, nil)
			res.Decoder = ev.Decoder
		}
		id, level := "", ""
		if res.Match != nil {
			id, level = strconv.Itoa(res.Match.Rule.ID), strconv.Itoa(res.Match.Rule.Level)
		}
		res.Got = id + ":" + level + ":" + res.Decoder
		ok := res.Got == want && tc.Rule != "" && tc.Alert != "" && tc.Decoder != ""
		res.Passed = ok == tl.Pass
		out = append(out, res)
	}
	return out
}
