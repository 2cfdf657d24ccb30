package guardduty

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGuardDuty is an httptest server speaking the REST JSON of the three
// GuardDuty calls the source makes, over in-memory findings per (region,
// detector). Like the service it pages with opaque offset tokens, so a
// finding updated between pages can move across them.
type fakeGuardDuty struct {
	srv *httptest.Server

	// mu guards the fields below.
	mu        sync.Mutex
	detectors map[string][]string                // region → detector ids
	findings  map[string]map[string]*fakeFinding // "region/detector" → id → finding
	// throttle, when set, answers a request with 429 when it returns true.
	throttle func(n int) bool
	// afterListPage, when set, runs (without mu) after each ListFindings
	// page is answered.
	afterListPage func(page int)
	// afterGet, when set, runs (without mu) after each GetFindings.
	afterGet      func(n int)
	requests      int
	listPages     int
	listBodies    []listRequest
	getSizes      []int
	detectorCalls int
}

// fakeFinding is one finding's current version. raw, when set, is served
// as is (its updatedAt must agree with updatedAt).
type fakeFinding struct {
	id        string
	updatedAt time.Time
	count     int
	archived  bool
	account   string
	raw       json.RawMessage
}

// listRequest is a ListFindings body as the client sent it.
type listRequest struct {
	Detector        string
	FindingCriteria struct {
		Criterion map[string]map[string]json.RawMessage `json:"criterion"`
	} `json:"findingCriteria"`
	SortCriteria struct {
		AttributeName string `json:"attributeName"`
		OrderBy       string `json:"orderBy"`
	} `json:"sortCriteria"`
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

func newFakeGuardDuty(t *testing.T) *fakeGuardDuty {
	t.Helper()
	f := &fakeGuardDuty{
		detectors: make(map[string][]string),
		findings:  make(map[string]map[string]*fakeFinding),
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGuardDuty) addDetector(region, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.detectors[region] = append(f.detectors[region], id)
	f.findings[region+"/"+id] = make(map[string]*fakeFinding)
}

// put adds or replaces a finding and returns its version.
func (f *fakeGuardDuty) put(region, detector string, ff fakeFinding) version {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := ff
	f.findings[region+"/"+detector][ff.id] = &c
	return version{ID: ff.id, UpdatedAt: ff.updatedAt}
}

// update moves a finding to updatedAt with one more occurrence.
func (f *fakeGuardDuty) update(region, detector, id string, updatedAt time.Time) version {
	f.mu.Lock()
	defer f.mu.Unlock()
	ff := f.findings[region+"/"+detector][id]
	ff.updatedAt = updatedAt
	ff.count++
	return version{ID: id, UpdatedAt: updatedAt}
}

func (f *fakeGuardDuty) setArchived(region, detector, id string, archived bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.findings[region+"/"+detector][id].archived = archived
}

// current returns the current versions of the findings not archived.
func (f *fakeGuardDuty) current(region, detector string) map[version]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[version]bool)
	for _, ff := range f.findings[region+"/"+detector] {
		if !ff.archived {
			out[version{ID: ff.id, UpdatedAt: ff.updatedAt}] = true
		}
	}
	return out
}

func (f *fakeGuardDuty) lastList() listRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.listBodies[len(f.listBodies)-1]
}

var (
	findingsPath = regexp.MustCompile(`^/detector/([^/]+)/findings(/get)?$`)
	credRegion   = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/guardduty/aws4_request`)
)

func (f *fakeGuardDuty) serve(w http.ResponseWriter, r *http.Request) {
	m := credRegion.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		writeError(w, http.StatusForbidden, "UnrecognizedClientException", "not signed for guardduty")
		return
	}
	region := m[1]
	f.mu.Lock()
	f.requests++
	throttled := f.throttle != nil && f.throttle(f.requests)
	f.mu.Unlock()
	if throttled {
		writeError(w, http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded")
		return
	}
	switch p := findingsPath.FindStringSubmatch(r.URL.Path); {
	case r.Method == http.MethodGet && r.URL.Path == "/detector":
		f.listDetectors(w, r, region)
	case r.Method == http.MethodPost && p != nil && p[2] == "":
		f.listFindings(w, r, region, p[1])
	case r.Method == http.MethodPost && p != nil:
		f.getFindings(w, r, region, p[1])
	default:
		writeError(w, http.StatusNotFound, "BadRequestException", "no route "+r.Method+" "+r.URL.Path)
	}
}

func (f *fakeGuardDuty) listDetectors(w http.ResponseWriter, r *http.Request, region string) {
	f.mu.Lock()
	f.detectorCalls++
	ids := slices.Clone(f.detectors[region])
	f.mu.Unlock()
	// One id per page, to exercise paging.
	off, _ := strconv.Atoi(r.URL.Query().Get("nextToken"))
	out := map[string]any{"detectorIds": []string{}}
	if off < len(ids) {
		out["detectorIds"] = ids[off : off+1]
		if off+1 < len(ids) {
			out["nextToken"] = strconv.Itoa(off + 1)
		}
	}
	writeJSON(w, out)
}

func (f *fakeGuardDuty) listFindings(w http.ResponseWriter, r *http.Request, region, detector string) {
	var req listRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestException", err.Error())
		return
	}
	req.Detector = detector
	if req.MaxResults < 1 || req.MaxResults > 50 {
		writeError(w, http.StatusBadRequest, "BadRequestException", "maxResults out of range")
		return
	}
	var gte int64
	if c, ok := req.FindingCriteria.Criterion["updatedAt"]; ok {
		gte, _ = strconv.ParseInt(string(c["greaterThanOrEqual"]), 10, 64)
	}
	activeOnly := false
	if c, ok := req.FindingCriteria.Criterion["service.archived"]; ok {
		activeOnly = string(c["equals"]) == `["false"]`
	}
	f.mu.Lock()
	f.listPages++
	page := f.listPages
	f.listBodies = append(f.listBodies, req)
	all, ok := f.findings[region+"/"+detector]
	var match []*fakeFinding
	for _, ff := range all {
		if ff.updatedAt.UnixMilli() >= gte && !(activeOnly && ff.archived) {
			c := *ff
			match = append(match, &c)
		}
	}
	after := f.afterListPage
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, "BadRequestException", "The request is rejected because the input detectorId is not owned by the current account.")
		return
	}
	slices.SortFunc(match, func(a, b *fakeFinding) int {
		if c := a.updatedAt.Compare(b.updatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	off, _ := strconv.Atoi(strings.TrimPrefix(req.NextToken, "off-"))
	end := min(off+req.MaxResults, len(match))
	out := map[string]any{"findingIds": []string{}}
	if off < end {
		ids := make([]string, 0, end-off)
		for _, ff := range match[off:end] {
			ids = append(ids, ff.id)
		}
		out["findingIds"] = ids
	}
	if end < len(match) {
		out["nextToken"] = "off-" + strconv.Itoa(end)
	}
	writeJSON(w, out)
	if after != nil {
		after(page)
	}
}

func (f *fakeGuardDuty) getFindings(w http.ResponseWriter, r *http.Request, region, detector string) {
	var req struct {
		FindingIDs []string `json:"findingIds"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.FindingIDs) > 50 {
		writeError(w, http.StatusBadRequest, "BadRequestException", "bad findingIds")
		return
	}
	f.mu.Lock()
	f.getSizes = append(f.getSizes, len(req.FindingIDs))
	n, after := len(f.getSizes), f.afterGet
	var parts []string
	for _, id := range req.FindingIDs {
		if ff, ok := f.findings[region+"/"+detector][id]; ok {
			parts = append(parts, renderFinding(region, detector, ff))
		}
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"findings":[%s]}`, strings.Join(parts, ","))
	if after != nil {
		after(n)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q}`, msg)
}

// renderFinding writes ff as GetFindings does: compact lowerCamelCase
// JSON with an SSH brute-force shape.
func renderFinding(region, detector string, ff *fakeFinding) string {
	if ff.raw != nil {
		return string(ff.raw)
	}
	account := ff.account
	if account == "" {
		account = "123456789012"
	}
	ts := ff.updatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	return fmt.Sprintf(`{"accountId":"%[1]s","arn":"arn:aws:guardduty:%[2]s:%[1]s:detector/%[3]s/finding/%[4]s",`+
		`"createdAt":"2024-05-01T00:00:00.000Z","description":"203.0.113.7 is performing SSH brute force attacks against i-0abc.",`+
		`"id":"%[4]s","partition":"aws","region":"%[2]s","resource":{"instanceDetails":{"instanceId":"i-0abc%[4]s"},"resourceType":"Instance"},`+
		`"schemaVersion":"2.0","service":{"action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"blocked":false,`+
		`"connectionDirection":"INBOUND","localPortDetails":{"port":22,"portName":"SSH"},"protocol":"TCP",`+
		`"remoteIpDetails":{"ipAddressV4":"203.0.113.7","organization":{"asn":"64500","asnOrg":"Example"}}}},`+
		`"archived":%[7]t,"count":%[6]d,"detectorId":"%[3]s","eventFirstSeen":"2024-05-01T00:00:00.000Z","eventLastSeen":"%[5]s",`+
		`"resourceRole":"TARGET","serviceName":"guardduty","additionalInfo":{"value":"{}","type":"default"}},`+
		`"severity":2,"title":"203.0.113.7 is performing SSH brute force attacks against i-0abc.","type":"UnauthorizedAccess:EC2/SSHBruteForce",`+
		`"updatedAt":"%[5]s"}`, account, region, detector, ff.id, ts, ff.count, ff.archived)
}
