package opensearch

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// TemplateName names the index template dutywatch installs, composable
// (_index_template) or legacy (_template).
const TemplateName = "wazuh-alerts-dutywatch"

const (
	// templateVersion is the template's "version"; raise it when
	// template/alerts.json changes.
	templateVersion = 1
	// templatePriority ranks the composable template above catch-all
	// templates (priority 0).
	templatePriority = 100
	// legacyOrder merges the legacy template over Wazuh's (order 0):
	// its mappings win where both map a field, Wazuh's stay for the rest.
	legacyOrder = 1
)

// templateFile is our template's settings and mappings: Wazuh's types for
// every field dutywatch's alerts have, strings as keyword, and data.*
// numbers and booleans as keyword too, since analysisd writes them as
// strings and Wazuh's alerts and ours may share an index.
//
//go:embed template/alerts.json
var templateFile []byte

// templateKind is the API a server gets our template through.
type templateKind int

const (
	composable templateKind = iota // _index_template: OpenSearch, Elasticsearch 7.8+
	legacy                         // _template: older Elasticsearch 7, or beside Wazuh's
)

func (k templateKind) String() string {
	if k == legacy {
		return "legacy"
	}
	return "composable"
}

// EnsureTemplate installs the index template for IndexPrefix+"*",
// replacing an earlier version. It picks the API from the server's
// version: composable templates on OpenSearch and Elasticsearch 7.8 and
// later, legacy ones on older Elasticsearch 7. When a legacy template
// already covers the prefix (Wazuh's Filebeat installs one named
// "wazuh"), it installs a legacy template too, ordered after it: a
// composable template would hide Wazuh's from every new daily index,
// dropping its mappings for Wazuh's own alerts. Transient failures are
// retried as deliveries are.
func (o *Output) EnsureTemplate(ctx context.Context) error {
	o.tmplMu.Lock()
	defer o.tmplMu.Unlock()
	return o.installTemplateLocked(ctx)
}

// ensureTemplate installs the template unless that is done or disabled.
func (o *Output) ensureTemplate(ctx context.Context) error {
	o.tmplMu.Lock()
	defer o.tmplMu.Unlock()
	if o.tmplDone {
		return nil
	}
	return o.installTemplateLocked(ctx)
}

func (o *Output) installTemplateLocked(ctx context.Context) error {
	err := o.retry(ctx, "install index template", o.installTemplate)
	if err != nil {
		return err
	}
	o.tmplDone = true
	return nil
}

// installTemplate makes one attempt.
func (o *Output) installTemplate(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	o.requests.Add(1)
	info, err := o.client.Info(rctx, nil)
	if err != nil {
		return fmt.Errorf("get server info: %w", classify(ctx, statusOf(info.Inspect()), err))
	}
	kind, err := kindFor(info.Version.Distribution, info.Version.Number)
	if err != nil {
		return err
	}
	pattern := o.cfg.IndexPrefix + "*"
	if kind == composable {
		o.requests.Add(1)
		got, err := o.client.Template.Get(rctx, nil) //nolint:staticcheck // the legacy API on purpose
		if err != nil {
			return fmt.Errorf("list legacy templates: %w", classify(ctx, statusOf(got.Inspect()), err))
		}
		if name := overlapping(got.Templates, o.cfg.IndexPrefix); name != "" {
			o.log.Info("legacy template covers the index prefix; installing ours as legacy to merge with it", "template", name)
			kind = legacy
		}
	}
	b, err := templateBody(kind, pattern, o.cfg)
	if err != nil {
		return err
	}
	o.requests.Add(1)
	if kind == composable {
		resp, err := o.client.IndexTemplate.Create(rctx, opensearchapi.IndexTemplateCreateReq{IndexTemplate: TemplateName, Body: bytes.NewReader(b)})
		if err != nil {
			return fmt.Errorf("put index template %s: %w%s", TemplateName, classify(ctx, statusOf(resp.Inspect()), err), permissionHint(resp.Inspect()))
		}
	} else {
		resp, err := o.client.Template.Create(rctx, opensearchapi.TemplateCreateReq{Template: TemplateName, Body: bytes.NewReader(b)}) //nolint:staticcheck // the legacy API on purpose
		if err != nil {
			return fmt.Errorf("put legacy template %s: %w%s", TemplateName, classify(ctx, statusOf(resp.Inspect()), err), permissionHint(resp.Inspect()))
		}
	}
	o.log.Info("index template installed", "template", TemplateName, "kind", kind.String(), "pattern", pattern,
		"server", info.Version.Distribution, "version", info.Version.Number)
	return nil
}

func permissionHint(in opensearchapi.Inspect) string {
	if s := statusOf(in); s == 401 || s == 403 {
		return " (if this user may not manage templates, install it another way and set template: false)"
	}
	return ""
}

// kindFor picks the template API from GET /'s version: OpenSearch
// reports distribution "opensearch" and has composable templates since
// 1.0; Elasticsearch has them since 7.8. Elasticsearch before 7 needs
// mapping types, which dutywatch does not write.
func kindFor(distribution, number string) (templateKind, error) {
	if distribution == "opensearch" {
		return composable, nil
	}
	major, minor, ok := parseVersion(number)
	switch {
	case !ok:
		return 0, fmt.Errorf("server version %q: want major.minor", number)
	case major < 7:
		return 0, fmt.Errorf("elasticsearch %s is not supported: use 7.x or later, or OpenSearch", number)
	case major == 7 && minor < 8:
		return legacy, nil
	}
	return composable, nil
}

func parseVersion(s string) (major, minor int, ok bool) {
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}

// overlapping names a legacy template other than ours whose patterns can
// match an index named prefix+"...", or returns "".
func overlapping(templates map[string]opensearchapi.TemplateGetDetails, prefix string) string {
	for name, t := range templates {
		if name == TemplateName {
			continue
		}
		for _, p := range t.IndexPatterns {
			lit, _, _ := strings.Cut(p, "*")
			if strings.HasPrefix(prefix, lit) || strings.HasPrefix(lit, prefix) {
				return name
			}
		}
	}
	return ""
}

// templateBody is the request body installing our template as kind.
func templateBody(kind templateKind, pattern string, cfg Config) ([]byte, error) {
	var t struct {
		Settings map[string]any  `json:"settings"`
		Mappings json.RawMessage `json:"mappings"`
	}
	if err := json.Unmarshal(templateFile, &t); err != nil {
		return nil, fmt.Errorf("read embedded template: %w", err)
	}
	t.Settings["index.number_of_shards"] = cfg.Shards
	t.Settings["index.number_of_replicas"] = cfg.Replicas
	if cfg.AutoExpandReplicas != "" {
		t.Settings["index.auto_expand_replicas"] = cfg.AutoExpandReplicas
	}
	if kind == legacy {
		return json.Marshal(map[string]any{
			"index_patterns": []string{pattern},
			"order":          legacyOrder,
			"version":        templateVersion,
			"settings":       t.Settings,
			"mappings":       t.Mappings,
		})
	}
	return json.Marshal(map[string]any{
		"index_patterns": []string{pattern},
		"priority":       templatePriority,
		"version":        templateVersion,
		"_meta":          map[string]string{"managed_by": "dutywatch"},
		"template": map[string]any{
			"settings": t.Settings,
			"mappings": t.Mappings,
		},
	})
}
