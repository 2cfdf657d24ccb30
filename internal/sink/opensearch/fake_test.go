package opensearch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeCluster acts like an OpenSearch node for the calls Output makes:
// GET / (info), GET /_template, PUT /_index_template/x and /_template/x,
// POST /_bulk. It parses bulk bodies strictly and answers with responses
// shaped like the OpenSearch documentation's. Failures are queued per
// request or per document id.
type fakeCluster struct {
	t   *testing.T
	srv *httptest.Server

	// mu guards the fields below.
	mu           sync.Mutex
	distribution string // "opensearch", or "" for Elasticsearch
	version      string
	wantAuth     string                       // required Authorization header, "" for none
	legacy       map[string][]string          // legacy templates GET /_template lists: name → patterns
	templates    map[string][]byte            // path ("/_index_template/x") → body
	docs         map[string]map[string][]byte // index → _id → source
	bulks        []fakeBulk                   // every well-formed bulk request, in order
	paths        []string                     // "METHOD /path" of every request, in order
	infoStatus   []int                        // statuses for the next GET / calls
	putStatus    []int                        // statuses for the next template PUTs
	bulkStatus   []int                        // statuses for the next bulk requests (0: answer items)
	itemStatus   map[string][]int             // _id → statuses for its next appearances
	// hold, when set, is closed by the bulk handler on arrival, which
	// then waits for release.
	hold, release chan struct{}
}

type fakeBulk struct {
	contentType string
	query       string
	body        []byte
	actions     []fakeAction
}

type fakeAction struct {
	Index, ID string
	Source    []byte
}

func newFakeCluster(t *testing.T) *fakeCluster {
	f := &fakeCluster{
		t:            t,
		distribution: "opensearch",
		version:      "2.19.1",
		legacy:       map[string][]string{},
		templates:    map[string][]byte{},
		docs:         map[string]map[string][]byte{},
		itemStatus:   map[string][]int{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCluster) URL() string { return f.srv.URL }

func (f *fakeCluster) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.paths = append(f.paths, r.Method+" "+r.URL.Path)
	wantAuth := f.wantAuth
	f.mu.Unlock()
	if wantAuth != "" && r.Header.Get("Authorization") != wantAuth {
		writeJSON(w, http.StatusUnauthorized, `{"error":{"root_cause":[{"type":"security_exception","reason":"missing authentication credentials"}],"type":"security_exception","reason":"missing authentication credentials"},"status":401}`)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/":
		f.info(w)
	case r.Method == http.MethodGet && r.URL.Path == "/_template":
		f.listLegacy(w)
	case r.Method == http.MethodPut && (strings.HasPrefix(r.URL.Path, "/_index_template/") || strings.HasPrefix(r.URL.Path, "/_template/")):
		f.putTemplate(w, r.URL.Path, body)
	case r.Method == http.MethodPost && r.URL.Path == "/_bulk":
		f.bulk(w, r, body)
	default:
		writeJSON(w, http.StatusNotFound, `{"error":"no handler found for uri [`+r.URL.Path+`]","status":404}`)
	}
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// next pops the first status of q, 0 when q is empty. f.mu is held.
func next(q *[]int) int {
	if len(*q) == 0 {
		return 0
	}
	s := (*q)[0]
	*q = (*q)[1:]
	return s
}

func (f *fakeCluster) info(w http.ResponseWriter) {
	f.mu.Lock()
	status := next(&f.infoStatus)
	dist, ver := f.distribution, f.version
	f.mu.Unlock()
	if status != 0 {
		writeError(w, status)
		return
	}
	v := map[string]any{"number": ver, "build_type": "tar", "build_hash": "0123abc", "build_date": "2025-02-27T01:22:24.665339607Z",
		"build_snapshot": false, "lucene_version": "9.12.1", "minimum_wire_compatibility_version": "7.10.0",
		"minimum_index_compatibility_version": "7.0.0"}
	tagline := "You Know, for Search"
	if dist != "" {
		v["distribution"] = dist
		tagline = "The OpenSearch Project: https://opensearch.org/"
	}
	b, _ := json.Marshal(map[string]any{"name": "node-1", "cluster_name": "wazuh-cluster", "cluster_uuid": "3n0D6oSnQzW3bJzZ9Vf6Lw", "version": v, "tagline": tagline})
	writeJSON(w, http.StatusOK, string(b))
}

func (f *fakeCluster) listLegacy(w http.ResponseWriter) {
	f.mu.Lock()
	out := map[string]any{}
	for name, patterns := range f.legacy {
		out[name] = map[string]any{"order": 0, "index_patterns": patterns, "settings": map[string]any{}, "mappings": map[string]any{}, "aliases": map[string]any{}}
	}
	f.mu.Unlock()
	b, _ := json.Marshal(out)
	writeJSON(w, http.StatusOK, string(b))
}

func (f *fakeCluster) putTemplate(w http.ResponseWriter, path string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := next(&f.putStatus); s != 0 {
		writeError(w, s)
		return
	}
	if !json.Valid(body) {
		f.t.Errorf("template body is not JSON: %.200s", body)
		writeJSON(w, http.StatusBadRequest, `{"error":{"root_cause":[{"type":"parse_exception","reason":"not JSON"}],"type":"parse_exception","reason":"not JSON"},"status":400}`)
		return
	}
	f.templates[path] = body
	writeJSON(w, http.StatusOK, `{"acknowledged":true}`)
}

// writeError answers a whole request with status, as OpenSearch or a
// proxy in front of it would.
func writeError(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusTooManyRequests:
		writeJSON(w, status, `{"error":{"root_cause":[{"type":"rejected_execution_exception","reason":"rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=10, max_coordinating_and_primary_bytes=0]"}],"type":"rejected_execution_exception","reason":"rejected execution of coordinating operation"},"status":429}`)
	case http.StatusBadGateway:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>\n")
	case http.StatusForbidden:
		writeJSON(w, status, `{"error":{"root_cause":[{"type":"security_exception","reason":"no permissions for [indices:admin/index_template/put] and User [name=dutywatch, backend_roles=[], requestedTenant=null]"}],"type":"security_exception","reason":"no permissions for [indices:admin/index_template/put] and User [name=dutywatch, backend_roles=[], requestedTenant=null]"},"status":403}`)
	default:
		writeJSON(w, status, fmt.Sprintf(`{"error":{"root_cause":[{"type":"cluster_manager_not_discovered_exception","reason":null}],"type":"cluster_manager_not_discovered_exception","reason":null},"status":%d}`, status))
	}
}

// parseBulk reads a _bulk body strictly: index action line, then source
// line, each ending in '\n'.
func parseBulk(body []byte) ([]fakeAction, error) {
	if len(body) == 0 || body[len(body)-1] != '\n' {
		return nil, fmt.Errorf("body does not end with a newline")
	}
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	if len(lines)%2 != 0 {
		return nil, fmt.Errorf("%d lines: want action and source pairs", len(lines))
	}
	var out []fakeAction
	for i := 0; i < len(lines); i += 2 {
		var action map[string]json.RawMessage
		if err := json.Unmarshal(lines[i], &action); err != nil {
			return nil, fmt.Errorf("action line %d: %w", i+1, err)
		}
		meta, ok := action["index"]
		if !ok || len(action) != 1 {
			return nil, fmt.Errorf("action line %d is not a lone index action: %s", i+1, lines[i])
		}
		var m struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		d := json.NewDecoder(bytes.NewReader(meta))
		d.DisallowUnknownFields()
		if err := d.Decode(&m); err != nil || m.Index == "" || m.ID == "" {
			return nil, fmt.Errorf("action line %d: want _index and _id only: %s", i+1, lines[i])
		}
		src := lines[i+1]
		if len(src) == 0 || src[0] != '{' || !json.Valid(src) {
			return nil, fmt.Errorf("source line %d is not a JSON object", i+2)
		}
		out = append(out, fakeAction{Index: m.Index, ID: m.ID, Source: src})
	}
	return out, nil
}

func (f *fakeCluster) bulk(w http.ResponseWriter, r *http.Request, body []byte) {
	f.mu.Lock()
	hold, release := f.hold, f.release
	f.hold = nil
	f.mu.Unlock()
	if hold != nil {
		close(hold)
		<-release
	}
	actions, err := parseBulk(body)
	if err != nil {
		f.t.Errorf("bad bulk body: %v", err)
		writeJSON(w, http.StatusBadRequest, `{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"Malformed action/metadata line"}],"type":"illegal_argument_exception","reason":"Malformed action/metadata line"},"status":400}`)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bulks = append(f.bulks, fakeBulk{contentType: r.Header.Get("Content-Type"), query: r.URL.RawQuery, body: body, actions: actions})
	if s := next(&f.bulkStatus); s != 0 {
		writeError(w, s)
		return
	}
	items := make([]map[string]any, len(actions))
	errs := false
	for i, a := range actions {
		q := f.itemStatus[a.ID]
		status := next(&q)
		f.itemStatus[a.ID] = q
		if status != 0 {
			errs = true
			items[i] = map[string]any{"index": itemError(a, status)}
			continue
		}
		if f.docs[a.Index] == nil {
			f.docs[a.Index] = map[string][]byte{}
		}
		result, code, version := "created", http.StatusCreated, 1
		if _, ok := f.docs[a.Index][a.ID]; ok {
			result, code, version = "updated", http.StatusOK, 2
		}
		f.docs[a.Index][a.ID] = a.Source
		items[i] = map[string]any{"index": map[string]any{"_index": a.Index, "_id": a.ID, "_version": version, "result": result,
			"_shards": map[string]int{"total": 2, "successful": 1, "failed": 0}, "_seq_no": i, "_primary_term": 1, "status": code}}
	}
	b, _ := json.Marshal(map[string]any{"took": 11, "errors": errs, "items": items})
	writeJSON(w, http.StatusOK, string(b))
}

func itemError(a fakeAction, status int) map[string]any {
	var e map[string]any
	switch {
	case status == http.StatusTooManyRequests:
		e = map[string]any{"type": "rejected_execution_exception", "reason": "rejected execution of primary operation [shard_detail=[" + a.Index + "][0]]"}
	case status >= 500:
		e = map[string]any{"type": "unavailable_shards_exception", "reason": "[" + a.Index + "][0] primary shard is not active Timeout: [1m]"}
	case status == http.StatusForbidden:
		e = map[string]any{"type": "cluster_block_exception", "reason": "index [" + a.Index + "] blocked by: [FORBIDDEN/8/index write (api)];"}
	default:
		e = map[string]any{"type": "mapper_parsing_exception",
			"reason":    "failed to parse field [data.aws.service.count] of type [long] in document with id '" + a.ID + "'. Preview of field's value: 'many'",
			"caused_by": map[string]any{"type": "illegal_argument_exception", "reason": `For input string: "many"`}}
	}
	return map[string]any{"_index": a.Index, "_id": a.ID, "status": status, "error": e}
}

// snapshot returns copies of what the fake recorded.
func (f *fakeCluster) snapshot() (bulks []fakeBulk, docs map[string]map[string][]byte, templates map[string][]byte, paths []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	docs = map[string]map[string][]byte{}
	for idx, m := range f.docs {
		docs[idx] = map[string][]byte{}
		for id, src := range m {
			docs[idx][id] = src
		}
	}
	templates = map[string][]byte{}
	for k, v := range f.templates {
		templates[k] = v
	}
	return append([]fakeBulk(nil), f.bulks...), docs, templates, append([]string(nil), f.paths...)
}

// set runs fn with f.mu held, to change the fake's behaviour.
func (f *fakeCluster) set(fn func(f *fakeCluster)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}
