package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"
)

var csvHeader = []string{"event_time", "time", "id", "rule_id", "level", "severity", "band", "description", "type",
	"title", "account", "region", "instance_id", "principal", "remote_ip", "remote_country", "remote_city",
	"remote_asn", "remote_org", "local_port", "api", "domain", "count", "groups", "mitre", "finding_id", "source",
	"object"}

// exportCSV streams every alert the filter matches (up to exportLimit),
// newest first, page by page so memory stays flat.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request) {
	t, err := parseTimeSel(r.URL.Query(), s.now(), s.cfg.DefaultRange)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	f, _, _, err := parseAlertQuery(r.URL.Query())
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	// The first page is read before the header goes out, so a failing
	// query still gets a proper error status.
	filter := f.storeFilter(t, 1, exportPage)
	p, err := s.q.Alerts(r.Context(), filter)
	if err != nil {
		s.loadFailed(w, r, err)
		return
	}
	name := "dutywatch-alerts-" + s.now().UTC().Format("20060102-150405") + ".csv"
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	written := 0
	for {
		for _, a := range p.Alerts {
			if written >= exportLimit {
				break
			}
			cw.Write(csvRow(alert(a, false)))
			written++
		}
		if written >= exportLimit || len(p.Alerts) < filter.Limit {
			break
		}
		filter.Offset += filter.Limit
		if p, err = s.q.Alerts(r.Context(), filter); err != nil {
			// The status is sent; the truncated file is all we can do.
			s.log.Error("web export", "err", err, "rows", written)
			break
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil && r.Context().Err() == nil {
		s.log.Warn("web export write", "err", err)
	}
}

func csvRow(a apiAlert) []string {
	return []string{
		a.EventTime.Format(time.RFC3339), a.Time.Format(time.RFC3339), cell(a.ID), strconv.Itoa(a.RuleID),
		strconv.Itoa(a.Level), strconv.FormatFloat(a.Severity, 'f', -1, 64), a.Band, cell(a.Description),
		cell(a.Type), cell(a.Title), cell(a.Account), cell(a.Region), cell(a.InstanceID), cell(a.Principal),
		cell(a.Remote.IP), cell(a.Remote.Country), cell(a.Remote.City), cell(a.Remote.ASN), cell(a.Remote.Org),
		strconv.Itoa(a.LocalPort), cell(a.API), cell(a.Domain), strconv.FormatInt(a.Count, 10),
		cell(strings.Join(a.Groups, ",")), cell(strings.Join(a.MITRE, ",")), cell(a.FindingID), cell(a.Source),
		cell(a.Object),
	}
}

// cell defuses CSV injection: a spreadsheet runs a cell that starts with
// = + - @ (or a tab or carriage return that hides one) as a formula, so
// such text cells get a leading apostrophe. Numeric columns are written
// by the code above and never pass here.
func cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
