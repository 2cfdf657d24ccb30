package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// view is one page and its API twin: both load the same value; the page
// renders it with its template (and hands it to the page script as JSON),
// the API writes it as JSON.
type view struct {
	name  string // template, nav key, <body data-page>
	title string
	path  string // page route
	api   string // API route
	timed bool   // follows the time range picker
	chart bool   // has charts (loads ECharts)
	load  func(s *Server, r *http.Request, t timeSel) (any, error)
}

// errNotFound makes a page or API answer 404.
var errNotFound = errors.New("not found")

// badRequest makes a page or API answer 400 with its message.
type badRequest struct{ error }

func (s *Server) viewsList() []view {
	return []view{
		{name: "overview", title: "Overview", path: "/{$}", api: "/api/overview", timed: true, chart: true,
			load: (*Server).loadOverview},
		{name: "bruteforce", title: "Brute force", path: "/bruteforce", api: "/api/bruteforce", timed: true,
			chart: true, load: (*Server).loadBruteForce},
		{name: "unusual", title: "Unusual network", path: "/unusual-network", api: "/api/unusual-network",
			timed: true, chart: true, load: (*Server).loadUnusual},
		{name: "instances", title: "Instances", path: "/instances", api: "/api/instances", timed: true,
			load: (*Server).loadInstances},
		{name: "instance", title: "Instance", path: "/instances/{id}", api: "/api/instances/{id}", timed: true,
			chart: true, load: (*Server).loadInstance},
		{name: "alerts", title: "Alerts", path: "/alerts", api: "/api/alerts", timed: true,
			load: (*Server).loadAlerts},
		{name: "alert", title: "Alert", path: "/alerts/{id}", api: "/api/alerts/{id}", load: (*Server).loadAlert},
		{name: "health", title: "Health", path: "/health", api: "/api/health", load: (*Server).loadHealth},
	}
}

func (s *Server) loadOverview(r *http.Request, t timeSel) (any, error) {
	o, err := s.q.Overview(r.Context(), t.storeRange(), topN)
	if err != nil {
		return nil, err
	}
	return overview(t.api(), o), nil
}

func (s *Server) loadBruteForce(r *http.Request, t timeSel) (any, error) {
	b, err := s.q.BruteForce(r.Context(), t.storeRange(), rowLimit)
	if err != nil {
		return nil, err
	}
	return bruteForce(t.api(), b), nil
}

func (s *Server) loadUnusual(r *http.Request, t timeSel) (any, error) {
	u, err := s.q.UnusualNetwork(r.Context(), t.storeRange(), rowLimit)
	if err != nil {
		return nil, err
	}
	return unusual(t.api(), u), nil
}

func (s *Server) loadInstances(r *http.Request, t timeSel) (any, error) {
	c, err := s.q.Instances(r.Context(), t.storeRange(), instanceLimit)
	if err != nil {
		return nil, err
	}
	return instancesView{Time: t.api(), Instances: counts(c)}, nil
}

func (s *Server) loadInstance(r *http.Request, t timeSel) (any, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > 256 {
		return nil, badRequest{errors.New("instance id: want 1 to 256 characters")}
	}
	st, err := s.q.InstanceStory(r.Context(), id, t.storeRange())
	if err != nil {
		return nil, err
	}
	if st.InstanceID == "" {
		st.InstanceID = id
	}
	return instance(t.api(), st), nil
}

// alertsPage is the alerts view plus the links the page shows.
type alertsPage struct {
	alertsView
	Prev, Next string   `json:"-"`
	CSV, JSON  string   `json:"-"`
	Sizes      []int    `json:"-"`
	Bands      []string `json:"-"`
}

func (s *Server) loadAlerts(r *http.Request, t timeSel) (any, error) {
	f, page, size, err := parseAlertQuery(r.URL.Query())
	if err != nil {
		return nil, badRequest{err}
	}
	p, err := s.q.Alerts(r.Context(), f.storeFilter(t, page, size))
	if err != nil {
		return nil, err
	}
	v := alertsView{Time: t.api(), Filter: f, Total: p.Total, Page: page, Size: size,
		Pages: int(math.Ceil(float64(p.Total) / float64(size))), Alerts: make([]apiAlert, 0, len(p.Alerts))}
	for _, a := range p.Alerts {
		v.Alerts = append(v.Alerts, alert(a, false))
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return v, nil
	}
	base := merge(t.values(), f.values())
	withPage := func(n int) string {
		return href("/alerts", merge(base, url.Values{"page": {strconv.Itoa(n)}, "size": {strconv.Itoa(size)}}))
	}
	out := alertsPage{alertsView: v, CSV: href("/alerts.csv", base), JSON: href("/api/alerts",
		merge(base, url.Values{"size": {strconv.Itoa(size)}})), Sizes: pageSizes[:], Bands: bands[:]}
	if page > 1 {
		out.Prev = withPage(page - 1)
	}
	if page < v.Pages {
		out.Next = withPage(page + 1)
	}
	return out, nil
}

// alertDetail is one alert with what its page shows.
type alertDetail struct {
	apiAlert
	Pretty     string      `json:"-"`
	Techniques []technique `json:"-"`
}

type technique struct{ ID, URL string }

func (s *Server) loadAlert(r *http.Request, _ timeSel) (any, error) {
	id := r.PathValue("id")
	a, ok, err := s.q.Alert(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNotFound
	}
	v := alert(a, true)
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return v, nil
	}
	d := alertDetail{apiAlert: v}
	var buf bytes.Buffer
	if json.Indent(&buf, v.Event, "", "  ") == nil {
		d.Pretty = string(unescapeHTML(buf.Bytes()))
	} else {
		d.Pretty = string(a.Data)
	}
	for _, m := range v.MITRE {
		d.Techniques = append(d.Techniques, technique{ID: m, URL: mitreURL(m)})
	}
	return d, nil
}

func (s *Server) loadHealth(r *http.Request, _ timeSel) (any, error) {
	h, err := s.q.Health(r.Context())
	if err != nil {
		return nil, err
	}
	return health(h), nil
}

// unescapeHTML undoes encoding/json's \u003c, \u003e and \u0026 in
// valid JSON, so the event reads as it was written; the template escapes
// it for HTML. An escaped backslash before "u003c" is left alone.
func unescapeHTML(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		if i+5 < len(b) && b[i+1] == 'u' && b[i+2] == '0' && b[i+3] == '0' {
			switch string(b[i+4 : i+6]) {
			case "3c":
				out, i = append(out, '<'), i+5
				continue
			case "3e":
				out, i = append(out, '>'), i+5
				continue
			case "26":
				out, i = append(out, '&'), i+5
				continue
			}
		}
		// Any other escape: copy it whole, so "\\u003c" stays.
		out, i = append(out, b[i], b[i+1]), i+1
	}
	return out
}

// mitreURL links a technique id (T1110, T1110.001) to attack.mitre.org,
// or returns "" for anything else.
func mitreURL(id string) string {
	tech, sub, hasSub := strings.Cut(id, ".")
	if len(tech) != 5 || tech[0] != 'T' || !digits(tech[1:]) || hasSub && (len(sub) != 3 || !digits(sub)) {
		return ""
	}
	if hasSub {
		return "https://attack.mitre.org/techniques/" + tech + "/" + sub + "/"
	}
	return "https://attack.mitre.org/techniques/" + tech + "/"
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// page serves v as HTML.
func (s *Server) page(v view) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, err := parseTimeSel(r.URL.Query(), s.now(), s.cfg.DefaultRange)
		if err != nil {
			s.fail(w, r, http.StatusBadRequest, err.Error())
			return
		}
		data, err := v.load(s, r, t)
		if err != nil {
			s.loadFailed(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, s.newPage(v, r, t, data))
	}
}

// apiHandler serves v as JSON.
func (s *Server) apiHandler(v view) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, err := parseTimeSel(r.URL.Query(), s.now(), s.cfg.DefaultRange)
		if err != nil {
			writeError(w, r, http.StatusBadRequest, err.Error())
			return
		}
		data, err := v.load(s, r, t)
		if err != nil {
			s.loadFailed(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, data)
	}
}

// loadFailed answers a view's error: 400, 404 or, logged, 500.
func (s *Server) loadFailed(w http.ResponseWriter, r *http.Request, err error) {
	var bad badRequest
	switch {
	case errors.As(err, &bad):
		s.fail(w, r, http.StatusBadRequest, bad.Error())
	case errors.Is(err, errNotFound):
		s.fail(w, r, http.StatusNotFound, "Nothing with this id is stored.")
	case r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
	default:
		s.log.Error("web query", "path", r.URL.Path, "err", err)
		s.fail(w, r, http.StatusInternalServerError, "The query failed; the server log has the details.")
	}
}

// fail answers an error as JSON for the API, as a page otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if wantsJSON(r) {
		writeError(w, r, status, msg)
		return
	}
	s.renderError(w, r, status, msg)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, fmt.Sprintf("encode answer: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
	}{msg})
}
