package doctor

import (
	"context"
	"errors"
	"fmt"

	"github.com/dutywatch/dutywatch/internal/decode"
	"github.com/dutywatch/dutywatch/internal/finding"
)

// fixDamaged is the fix for an object that cannot be read as findings.
const fixDamaged = "replace or remove the object; until then the source quarantines it (skip_on_error: yes) or stops at it (skip_on_error: no)"

// read reads o end to end as the pipeline would: the body, decompressed
// by sniffing, split into records, each parsed as a finding. It reports
// the first failure with the object's name and byte offset.
func (c contents) read(ctx context.Context, o object) Check {
	uri := c.tree.uri(o.key)
	body, err := c.tree.open(ctx, o.key)
	if err != nil {
		detail, fix := c.explain(opGet, err)
		return Check{Name: "read", Result: Fail, Detail: uri + ": " + detail, Fix: fix}
	}
	defer body.Close()
	r := decode.NewReader(uri, body, decode.Options{})
	defer r.Close()
	var records, findings int
	var first *finding.Finding
	for r.Next() {
		rec := r.Record()
		records++
		fr, err := finding.Parse(rec.Data)
		if err != nil {
			return Check{Name: "read", Result: Fail,
				Detail: fmt.Sprintf("%s: byte %d: record %d is not a GuardDuty finding: %v", uri, rec.Offset, records, err),
				Fix:    fixDamaged}
		}
		if fr.Finding != nil {
			findings++
			if first == nil {
				first = fr.Finding
			}
		}
	}
	if err := r.Err(); err != nil {
		return c.readFailure(uri, err)
	}
	what := fmt.Sprintf("%s (%s, %s): %s, %s", uri, r.Compression(), size(r.BytesRead()),
		plural(records, "record"), plural(findings, "finding"))
	switch {
	case records == 0:
		return Check{Name: "read", Result: Warn, Detail: what + ": the object is empty",
			Fix: "check what writes to the path: GuardDuty never writes empty objects"}
	case first == nil:
		return Check{Name: "read", Result: Warn, Detail: what + ": only events of other detail types",
			Fix: "check the EventBridge rule feeding the stream: it should match detail-type \"GuardDuty Finding\""}
	}
	return Check{Name: "read", Result: OK, Detail: what + "; first: " + describe(first)}
}

// readFailure is the row of an object that failed to decode.
func (c contents) readFailure(uri string, err error) Check {
	row := Check{Name: "read", Result: Fail, Detail: err.Error(), Fix: fixDamaged}
	var de *decode.Error
	switch {
	case errors.Is(err, decode.ErrFormat):
		row.Fix = "dutywatch reads gzip, zip, Snappy, Hadoop-Snappy and plain JSON: turn off Firehose record format conversion (Parquet/ORC) and check what else writes to the path"
	case errors.As(err, &de) && de.Offset == 0 && !errors.Is(err, decode.ErrSyntax):
		// Nothing decoded: the body itself failed (network, KMS mid-stream).
		if detail, fix := c.explain(opGet, de.Err); fix != "" {
			row.Detail, row.Fix = uri+": "+detail, fix
		}
	}
	return row
}

// describe summarizes a finding in one line.
func describe(f *finding.Finding) string {
	s := fmt.Sprintf("%s, severity %g", f.Type, f.Severity)
	if f.AccountID != "" {
		s += ", account " + f.AccountID
	}
	if f.Region != "" {
		s += ", " + f.Region
	}
	if !f.UpdatedAt.IsZero() {
		s += ", updated " + stamp(f.UpdatedAt)
	}
	return s
}

// size formats a byte count.
func size(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
