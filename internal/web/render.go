package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pageTemplate is one page: the layout plus the page's "content".
type pageTemplate = template.Template

// templateNames are the page templates besides the views: error and login.
var templateNames = [...]string{"overview", "bruteforce", "unusual", "instances", "instance", "alerts", "alert",
	"health", "error", "login"}

func parsePages(fsys fs.FS) (map[string]*pageTemplate, error) {
	out := make(map[string]*pageTemplate, len(templateNames))
	for _, name := range templateNames {
		t, err := template.New(name).Funcs(funcs()).ParseFS(fsys, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

func funcs() template.FuncMap {
	return template.FuncMap{
		"band":  bandOf,
		"ts":    ts,
		"num":   num,
		"pct":   pct,
		"short": short,
		"join":  strings.Join,
		"mitre": mitreURL,
		// link is path with the page's time range and the key/value
		// pairs as query parameters.
		"link": func(path string, t timeSel, kv ...string) string {
			v := t.values()
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return href(path, v)
		},
		"pathEscape": url.PathEscape,
		"desc": func(in []apiCount) []apiCount {
			out := slices.Clone(in)
			slices.Reverse(out)
			return out
		},
		"maxCount": maxCount,
		"top":      newTopList,
		"levels": func() []int {
			out := make([]int, 0, 15)
			for l := 1; l <= 15; l++ {
				out = append(out, l)
			}
			return out
		},
		"bandLabel": func(b string) string {
			if b == "" {
				return ""
			}
			return strings.ToUpper(b[:1]) + b[1:]
		},
	}
}

// ts formats a time.Time or *time.Time in UTC to the second.
func ts(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	default:
		return ""
	}
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func maxCount(in []apiCount) int64 {
	var m int64
	for _, c := range in {
		m = max(m, c.Count)
	}
	return m
}

// topList is one "top N" table of the overview.
type topList struct {
	Title, Column string
	Rows          []apiCount
	// Param is the alerts-page parameter a row links to ("instance"
	// links to the instance page instead); empty for no link.
	Param string
	Time  timeSel
	Max   int64
	Mono  bool
}

func newTopList(title, column string, rows []apiCount, param string, t timeSel) topList {
	return topList{Title: title, Column: column, Rows: rows, Param: param, Time: t, Max: maxCount(rows),
		Mono: param != ""}
}

// num writes n with thousands separators.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func pct(n, total int64) string {
	if total <= 0 {
		return "0%"
	}
	return strconv.FormatFloat(100*float64(n)/float64(total), 'f', 1, 64) + "%"
}

// short cuts s to n runes with an ellipsis; the page shows the whole value
// in the title attribute.
func short(n int, s string) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// pageData is what the layout renders.
type pageData struct {
	Name, Title string
	Time        timeSel
	Timed       bool
	Ranges      []rangeLink
	Keep        []field // query parameters the custom range form keeps
	Nav         []navItem
	View        any
	Charts      bool
	Logout      bool
	Status      int
	Message     string
	Next        string // login: where to go after
}

type rangeLink struct {
	Label, Href string
	Active      bool
}

type field struct{ Name, Value string }

type navItem struct {
	Label, Href string
	Active      bool
}

func (s *Server) newPage(v view, r *http.Request, t timeSel, data any) pageData {
	p := pageData{Name: v.name, Title: v.title, Time: t, Timed: v.timed, View: data, Charts: v.chart,
		Logout: len(s.auth.token) > 0, Status: http.StatusOK}
	// The picker keeps the page's other parameters (the alerts filter)
	// but starts again from its first page.
	rest := r.URL.Query()
	for _, k := range []string{"range", "from", "to", "page"} {
		rest.Del(k)
	}
	for _, k := range rangeKeys {
		p.Ranges = append(p.Ranges, rangeLink{Label: rangeLabel(k), Href: href(r.URL.Path,
			merge(rest, url.Values{"range": {k}})), Active: t.Key == k})
	}
	for k, vs := range rest {
		for _, x := range vs {
			p.Keep = append(p.Keep, field{k, x})
		}
	}
	p.Nav = s.nav(v.name, t)
	switch d := data.(type) {
	case instanceView:
		p.Title = "Instance " + d.InstanceID
	case alertDetail:
		p.Title = "Alert " + d.ID
	}
	return p
}

func rangeLabel(k string) string {
	if k == "all" {
		return "All"
	}
	return k
}

func (s *Server) nav(active string, t timeSel) []navItem {
	items := []struct{ name, label, path string }{
		{"overview", "Overview", "/"}, {"bruteforce", "Brute force", "/bruteforce"},
		{"unusual", "Unusual network", "/unusual-network"}, {"instances", "Instances", "/instances"},
		{"alerts", "Alerts", "/alerts"}, {"health", "Health", "/health"},
	}
	if active == "instance" {
		active = "instances"
	}
	if active == "alert" {
		active = "alerts"
	}
	out := make([]navItem, 0, len(items))
	for _, it := range items {
		q := t.values()
		if it.name == "health" {
			q = nil
		}
		out = append(out, navItem{Label: it.label, Href: href(it.path, q), Active: it.name == active})
	}
	return out
}

// render executes the page's template into a buffer first, so a template
// error becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, p pageData) {
	t, ok := s.pages[p.Name]
	if !ok {
		t = s.pages["error"]
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("web render", "page", p.Name, "err", err)
		http.Error(w, "dutywatch: the page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	t, _ := parseTimeSel(url.Values{}, s.now(), s.cfg.DefaultRange)
	p := pageData{Name: "error", Title: http.StatusText(status), Time: t, Nav: s.nav("", t), Status: status,
		Message: msg, Logout: len(s.auth.token) > 0 && s.auth.ok(r)}
	s.render(w, r, status, p)
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	next := r.URL.RequestURI()
	if r.URL.Path == "/login" {
		next = localPath(r.FormValue("next"))
	}
	s.render(w, r, status, pageData{Name: "login", Title: "Sign in", Status: status, Message: msg, Next: next})
}
