package opensearch

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/source"
)

func TestBasicAuthAndSecrets(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("dutywatch:"+secret))
	for _, tc := range []struct {
		name    string
		edit    func(c *Config, url string)
		wantErr bool
	}{
		{"fields", func(c *Config, _ string) { c.Username, c.Password = "dutywatch", secret }, false},
		{"in the URL", func(c *Config, u string) {
			c.URLs = []string{strings.Replace(u, "http://", "http://dutywatch:"+secret+"@", 1)}
		}, false},
		{"wrong password", func(c *Config, _ string) { c.Username, c.Password = "dutywatch", secret+"x" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCluster(t)
			f.set(func(f *fakeCluster) { f.wantAuth = basic })
			h, err := newHarness(t, f, func(c *Config) { tc.edit(c, f.URL()) })
			if err == nil {
				err = h.out.Deliver(t.Context(), []Item{alertItem("a", day1)})
			}
			if tc.wantErr != (err != nil) {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "401")) {
				t.Errorf("error %q leaks the password or hides the status", err)
			}
			if h != nil && strings.Contains(h.logs.String(), secret) {
				t.Errorf("logs leak the password:\n%s", h.logs)
			}
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		f := newFakeCluster(t)
		url := strings.Replace(f.URL(), "http://", "http://dutywatch:"+secret+"@", 1)
		f.srv.Close()
		h, err := newHarness(t, f, func(c *Config) { c.URLs = []string{url}; c.Template = false; c.MaxRetries = 1 })
		if err != nil {
			t.Fatal(err)
		}
		err = h.out.Deliver(t.Context(), []Item{alertItem("a", day1)})
		if err == nil || !errors.Is(err, source.ErrTransient) {
			t.Fatalf("got %v, want a transient error", err)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(h.logs.String(), secret) {
			t.Errorf("password leaked: %v\n%s", err, h.logs)
		}
	})
}

func TestAPIKeyHeader(t *testing.T) {
	f := newFakeCluster(t)
	f.set(func(f *fakeCluster) { f.wantAuth = "ApiKey aWQ6a2V5" })
	h := mustHarness(t, f, func(c *Config) { c.APIKey = "aWQ6a2V5" })
	if err := h.out.Deliver(t.Context(), []Item{alertItem("a", day1)}); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no URLs", func(c *Config) { c.URLs = nil }, "no URLs"},
		{"bad scheme", func(c *Config) { c.URLs = []string{"ftp://x:9200"} }, "http://"},
		{"uppercase prefix", func(c *Config) { c.IndexPrefix = "Wazuh-" }, "lowercase"},
		{"prefix with a star", func(c *Config) { c.IndexPrefix = "alerts-*" }, "may not hold"},
		{"prefix starting with _", func(c *Config) { c.IndexPrefix = "_alerts" }, "may not start"},
		{"key and user", func(c *Config) { c.APIKey, c.Username = "k", "u" }, "choose one"},
		{"missing CA file", func(c *Config) { c.CACert = "/nonexistent/ca.pem" }, "read CA certificates"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.URLs = []string{"http://127.0.0.1:1"}
			cfg.Template = false
			tc.edit(&cfg)
			_, err := New(t.Context(), cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.IndexPrefix != "wazuh-alerts-4.x-" || !c.Template || c.Shards != 1 || c.Replicas != 0 || c.AutoExpandReplicas != "0-1" ||
		c.MaxRetries != 5 || c.Backoff != 500*time.Millisecond || c.Timeout != 30*time.Second || c.MaxBulkBytes != 5<<20 {
		t.Errorf("defaults changed: %+v", c)
	}
	if got := (Config{MaxRetries: -1}).withDefaults(); got.MaxRetries != 0 || got.IndexPrefix != c.IndexPrefix || got.Template {
		t.Errorf("withDefaults: %+v", got)
	}
}
