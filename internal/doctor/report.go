package doctor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is the outcome of one check.
type Result string

// The outcomes of a check. Only Fail makes a report fail.
const (
	OK   Result = "ok"
	Warn Result = "warn"
	Fail Result = "FAIL"
	// Skip marks a check that could not run because an earlier one
	// failed (no listing, no object to read, no response to time).
	Skip Result = "skip"
)

// Check is one row of a report.
type Check struct {
	Name   string `json:"check"`
	Result Result `json:"result"`
	Detail string `json:"detail"`
	// Fix says what to change when Result is Fail or Warn; it may be
	// empty when nothing concrete can be said.
	Fix string `json:"fix,omitempty"`
}

// Report holds the checks of one source, in the order they ran.
type Report struct {
	Source string `json:"source"`
	Type   string `json:"type"` // "s3" or "dir"
	// Location is "s3://bucket/path/" or the folder (and path) read.
	Location string  `json:"location"`
	Checks   []Check `json:"checks"`
}

// Failed reports whether any check of r failed.
func (r Report) Failed() bool { return r.count(Fail) > 0 }

func (r Report) count(res Result) int {
	n := 0
	for _, c := range r.Checks {
		if c.Result == res {
			n++
		}
	}
	return n
}

func (r *Report) add(c ...Check) { r.Checks = append(r.Checks, c...) }

// Failures counts the failed checks of all reports; a non-zero count
// should make the command exit with a non-zero status.
func Failures(reports []Report) int {
	n := 0
	for _, r := range reports {
		n += r.count(Fail)
	}
	return n
}

// Options tune the checks. The zero value is ready to use.
type Options struct {
	// RequestTimeout bounds each request to S3 or STS, retries included,
	// and the wait for an object's response (not the body). Default 30s.
	RequestTimeout time.Duration
	// MaxAttempts is the SDK's attempts per request. Default 3: a doctor
	// should answer quickly rather than ride out long outages.
	MaxAttempts int
	// StaleAfter is the age of the newest object past which the objects
	// check warns. Default 7 days.
	StaleAfter time.Duration
	// Now returns the local time, for the clock check and ages. Default
	// time.Now.
	Now func() time.Time
	// Log receives debug lines; nil discards them.
	Log *slog.Logger
}

const (
	defaultRequestTimeout = 30 * time.Second
	defaultMaxAttempts    = 3
	defaultStaleAfter     = 7 * 24 * time.Hour
)

func (o Options) withDefaults() Options {
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = defaultRequestTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = defaultMaxAttempts
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = defaultStaleAfter
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// WriteText writes each report as a heading and a CHECK | RESULT | DETAIL
// | FIX table, then a one-line summary.
func WriteText(w io.Writer, reports []Report) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintf(tw, "%s source %s: %s\n", r.Type, clean(r.Source), clean(r.Location))
		fmt.Fprintln(tw, "CHECK\tRESULT\tDETAIL\tFIX")
		for _, c := range r.Checks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", clean(c.Name), c.Result, clean(c.Detail), clean(c.Fix))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// tabwriter pads the DETAIL cell of rows without a FIX.
	var out bytes.Buffer
	for line := range bytes.Lines(b.Bytes()) {
		out.Write(bytes.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	out.WriteString("\n" + summary(reports) + "\n")
	_, err := w.Write(out.Bytes())
	return err
}

// summary is the last line of the text output.
func summary(reports []Report) string {
	fails, warns := 0, 0
	for _, r := range reports {
		fails += r.count(Fail)
		warns += r.count(Warn)
	}
	s := fmt.Sprintf("%d source(s): ", len(reports))
	switch {
	case fails > 0:
		s += plural(fails, "check") + " failed"
	default:
		s += "all checks passed"
	}
	if warns > 0 {
		s += ", " + plural(warns, "warning")
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// WriteJSON writes {"ok": bool, "sources": [reports]} on one line.
func WriteJSON(w io.Writer, reports []Report) error {
	if reports == nil {
		reports = []Report{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		OK      bool     `json:"ok"`
		Sources []Report `json:"sources"`
	}{Failures(reports) == 0, reports})
}

// clean keeps a table cell on one line: tabs, newlines and other control
// characters (object keys and server messages may hold any) become
// spaces.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
