package opensearch

import (
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/alert"
	"github.com/dutywatch/dutywatch/internal/rules"
	"github.com/dutywatch/dutywatch/internal/source"
)

// mapping is the "mappings" object of template/alerts.json.
func mapping(t *testing.T) map[string]any {
	t.Helper()
	var tf struct {
		Mappings map[string]any `json:"mappings"`
	}
	if err := json.Unmarshal(templateFile, &tf); err != nil {
		t.Fatal(err)
	}
	return tf.Mappings
}

// fieldMapping finds the mapping of a dotted path, or nil.
func fieldMapping(m map[string]any, path string) map[string]any {
	cur := m
	for _, part := range strings.Split(path, ".") {
		props, _ := cur["properties"].(map[string]any)
		next, _ := props[part].(map[string]any)
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}

// leafPaths lists the dotted paths of v's non-object values under prefix.
func leafPaths(prefix string, v any) []string {
	obj, ok := v.(map[string]any)
	if !ok {
		return []string{prefix}
	}
	var out []string
	for k, child := range obj {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		out = append(out, leafPaths(p, child)...)
	}
	return out
}

func TestTemplateCoversFormatterFields(t *testing.T) {
	r := &rules.Rule{ID: 100210, Level: 12, Groups: []string{"amazon", "aws", "aws_guardduty"}, CVE: "CVE-2024-0001",
		MITRE: rules.MITRE{IDs: []string{"T1046"}}}
	for _, fw := range []string{"pci_dss", "cis", "gdpr", "gpg13", "hipaa", "nist_800_53", "tsc"} {
		r.Compliance = append(r.Compliance, rules.Compliance{Framework: fw, Controls: []string{"1.1"}})
	}
	m := &rules.Match{Rule: r, Description: "GuardDuty: port scan", FiredTimes: 2, Mail: true, Frequency: 4,
		PreviousOutput: []string{"one", "two"}}
	line := alert.NewFormatter("mgr").Append(nil, "0123abcd", time.Date(2025, 3, 9, 10, 0, 0, 0, time.UTC), m,
		[]byte(`{"integration":"aws","aws":{"severity":8}}`))
	var doc map[string]any
	if err := json.Unmarshal(line, &doc); err != nil {
		t.Fatal(err)
	}
	mp := mapping(t)
	var paths []string
	for k, v := range doc {
		if k == "data" { // dynamic below data; its typed fields are checked below
			paths = append(paths, k)
			continue
		}
		paths = append(paths, leafPaths(k, v)...)
	}
	for _, want := range []string{"rule.mitre.id", "rule.tsc", "rule.cve", "rule.frequency", "previous_output"} {
		if !slices.Contains(paths, want) {
			t.Fatalf("formatter did not emit %s; the test's alert needs updating: %v", want, paths)
		}
	}
	for _, p := range paths {
		if fieldMapping(mp, p) == nil {
			t.Errorf("template does not map %s, which alerts have", p)
		}
	}
}

func TestTemplateFieldTypes(t *testing.T) {
	mp := mapping(t)
	for path, want := range map[string]string{
		"timestamp":                  "date",
		"@timestamp":                 "date",
		"rule.level":                 "long",
		"rule.id":                    "keyword",
		"rule.description":           "keyword",
		"rule.groups":                "keyword",
		"rule.mitre.id":              "keyword",
		"rule.mitre.tactic":          "keyword",
		"rule.mitre.technique":       "keyword",
		"rule.firedtimes":            "long",
		"rule.mail":                  "boolean",
		"agent.id":                   "keyword",
		"agent.name":                 "keyword",
		"agent.ip":                   "keyword",
		"manager.name":               "keyword",
		"id":                         "keyword",
		"location":                   "keyword",
		"decoder.name":               "keyword",
		"GeoLocation.location":       "geo_point",
		"data.integration":           "keyword",
		"data.aws.severity":          "keyword",
		"data.aws.type":              "keyword",
		"data.aws.accountId":         "keyword",
		"data.aws.region":            "keyword",
		"data.aws.source":            "keyword",
		"data.aws.createdAt":         "date",
		"data.aws.updatedAt":         "date",
		"data.aws.service.count":     "long",
		"data.aws.log_info.s3bucket": "keyword",
		"data.aws.resource.instanceDetails.instanceId":                                "keyword",
		"data.aws.resource.instanceDetails.networkInterfaces.publicIp":                "ip",
		"data.aws.service.action.actionType":                                          "keyword",
		"data.aws.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4": "ip",
		"data.aws.service.action.networkConnectionAction.remoteIpDetails.geoLocation": "geo_point",
	} {
		f := fieldMapping(mp, path)
		if f == nil {
			t.Errorf("%s: not mapped", path)
			continue
		}
		if got := f["type"]; got != want {
			t.Errorf("%s: type %v, want %s", path, got, want)
		}
	}
	if mp["date_detection"] != false {
		t.Error("date_detection is not false: strings that look like dates would become dates")
	}
	found := false
	dts, _ := mp["dynamic_templates"].([]any)
	for _, d := range dts {
		for _, v := range d.(map[string]any) {
			dt := v.(map[string]any)
			mapping, _ := dt["mapping"].(map[string]any)
			if dt["match_mapping_type"] == "string" && dt["path_match"] == nil && mapping["type"] == "keyword" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no strings-as-keyword dynamic template: %v", dts)
	}
}

func TestTemplateInstall(t *testing.T) {
	for _, tc := range []struct {
		name         string
		distribution string
		version      string
		legacy       map[string][]string
		prefix       string
		wantPath     string // "" when no template may be installed
		wantErr      string
	}{
		{name: "opensearch", distribution: "opensearch", version: "2.19.1", wantPath: "/_index_template/wazuh-alerts-dutywatch"},
		{name: "wazuh indexer beside wazuh's legacy template", distribution: "opensearch", version: "2.19.1",
			legacy: map[string][]string{"wazuh": {"wazuh-alerts-4.x-*", "wazuh-archives-4.x-*"}}, wantPath: "/_template/wazuh-alerts-dutywatch"},
		{name: "unrelated legacy template", distribution: "opensearch", version: "1.3.20",
			legacy: map[string][]string{"logs": {"logs-*"}, TemplateName: {"wazuh-alerts-4.x-*"}}, wantPath: "/_index_template/wazuh-alerts-dutywatch"},
		{name: "elasticsearch 8", version: "8.15.3", wantPath: "/_index_template/wazuh-alerts-dutywatch"},
		{name: "elasticsearch 7.10", version: "7.10.2", wantPath: "/_index_template/wazuh-alerts-dutywatch"},
		{name: "elasticsearch 7.7", version: "7.7.1", wantPath: "/_template/wazuh-alerts-dutywatch"},
		{name: "own prefix", distribution: "opensearch", version: "2.19.1", prefix: "dutywatch-alerts-",
			legacy: map[string][]string{"wazuh": {"wazuh-alerts-4.x-*"}}, wantPath: "/_index_template/wazuh-alerts-dutywatch"},
		{name: "elasticsearch 6", version: "6.8.23", wantErr: "not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCluster(t)
			f.set(func(f *fakeCluster) {
				f.distribution, f.version = tc.distribution, tc.version
				if tc.legacy != nil {
					f.legacy = tc.legacy
				}
			})
			h, err := newHarness(t, f, func(c *Config) {
				c.Shards, c.Replicas = 2, 1
				if tc.prefix != "" {
					c.IndexPrefix = tc.prefix
				}
			})
			_, _, templates, _ := f.snapshot()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tc.wantErr)
				}
				if len(templates) != 0 {
					t.Errorf("installed %v", templates)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(templates) != 1 || templates[tc.wantPath] == nil {
				t.Fatalf("installed %v, want %s", keys(templates), tc.wantPath)
			}
			prefix := h.out.cfg.IndexPrefix
			checkTemplateBody(t, templates[tc.wantPath], strings.HasPrefix(tc.wantPath, "/_index_template/"), prefix+"*")
			if err := h.out.Deliver(t.Context(), []Item{alertItem("a", day1)}); err != nil {
				t.Fatal(err)
			}
			if _, docs, _, _ := f.snapshot(); docs[prefix+"2025.03.09"]["a"] == nil {
				t.Errorf("alert not in %s2025.03.09", prefix)
			}
		})
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// checkTemplateBody checks the PUT body has the right shape for its API.
func checkTemplateBody(t *testing.T, body []byte, composable bool, pattern string) {
	t.Helper()
	var b struct {
		IndexPatterns []string       `json:"index_patterns"`
		Priority      *int           `json:"priority"`
		Order         *int           `json:"order"`
		Version       int            `json:"version"`
		Settings      map[string]any `json:"settings"`
		Mappings      map[string]any `json:"mappings"`
		Template      *struct {
			Settings map[string]any `json:"settings"`
			Mappings map[string]any `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.IndexPatterns, []string{pattern}) {
		t.Errorf("index_patterns %v, want [%s]", b.IndexPatterns, pattern)
	}
	settings, mappings := b.Settings, b.Mappings
	if composable {
		if b.Template == nil || b.Priority == nil || b.Order != nil || b.Settings != nil {
			t.Fatalf("not a composable template body: %.300s", body)
		}
		settings, mappings = b.Template.Settings, b.Template.Mappings
	} else if b.Order == nil || b.Template != nil || b.Priority != nil {
		t.Fatalf("not a legacy template body: %.300s", body)
	}
	if settings["index.number_of_shards"] != 2.0 || settings["index.number_of_replicas"] != 1.0 || settings["index.auto_expand_replicas"] != "0-1" {
		t.Errorf("settings %v", settings)
	}
	if f := fieldMapping(mappings, "rule.level"); f == nil || f["type"] != "long" {
		t.Errorf("rule.level mapped as %v", f)
	}
}

func TestTemplateDeferredWhileClusterIsDown(t *testing.T) {
	f := newFakeCluster(t)
	f.set(func(f *fakeCluster) { f.infoStatus = []int{503} })
	cfg := DefaultConfig()
	cfg.URLs = []string{f.URL()}
	cfg.MaxRetries = -1 // no waits in New
	logs := &logBuffer{}
	out, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if !strings.Contains(logs.String(), "index template not installed yet") {
		t.Errorf("no warning logged:\n%s", logs)
	}
	if err := out.Deliver(t.Context(), []Item{alertItem("a", day1)}); err != nil {
		t.Fatal(err)
	}
	_, _, _, paths := f.snapshot()
	put := slices.Index(paths, "PUT /_index_template/wazuh-alerts-dutywatch")
	bulk := slices.Index(paths, "POST /_bulk")
	if put < 0 || bulk < put {
		t.Errorf("requests %v: want the template before the first bulk", paths)
	}
}

func TestTemplateNotRetriedOnPermissionError(t *testing.T) {
	f := newFakeCluster(t)
	f.set(func(f *fakeCluster) { f.putStatus = []int{403} })
	cfg := DefaultConfig()
	cfg.URLs = []string{f.URL()}
	_, err := New(t.Context(), cfg, nil)
	if err == nil || errors.Is(err, source.ErrTransient) {
		t.Fatalf("got %v, want a permanent error", err)
	}
	if !strings.Contains(err.Error(), "template: false") || !strings.Contains(err.Error(), "403") {
		t.Errorf("error %q gives no hint", err)
	}
}
