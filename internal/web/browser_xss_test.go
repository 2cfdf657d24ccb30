//go:build e2e

package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserHostileValuesStayText opens every place the hostile alert
// shows up and checks its payloads are text: in the tables, on the detail
// page, on the timeline and in chart tooltips; no dialog opens.
func TestBrowserHostileValuesStayText(t *testing.T) { eachBackend(t, testBrowserHostileValuesStayText) }

func testBrowserHostileValuesStayText(t *testing.T, backend string) {
	now := time.Now().UTC()
	q, ids := browserQueries(t, now, backend)
	base := startServer(t, Config{}, q)
	b := newBrowser(t, base)
	b.backend = backend
	h := ids.hostile

	text := func(sel string) string {
		return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {textContent: "<missing>"}).textContent`, sel))
	}
	wantText := func(where, sel string, payloads ...string) {
		t.Helper()
		got := text(sel)
		for _, p := range payloads {
			if !strings.Contains(got, p) {
				t.Errorf("%s: %s shows %q, want the literal text %q", where, sel, got, p)
			}
		}
	}

	// The alerts table.
	b.open("/alerts?range=7d&rule=100200&band=critical")
	wantText("alerts table", "#alerts-table tbody td.desc a", xssScript, xssImg, xssQuote)
	b.inert("alerts table")
	b.screenshot("xss-alerts")
	b.clean("alerts table")

	// The detail page.
	b.open("/alerts/" + h.ID)
	wantText("detail", "#alert-description", xssScript, xssImg, xssQuote)
	wantText("detail", "#alert-domain", xssScript, xssImg)
	wantText("detail", "#alert-location", xssScript, xssQuote)
	wantText("detail", "#event-json", "evil.example")
	tags := eval[string](b, `[...document.querySelectorAll(".chips .chip")].map(c => c.textContent).join(" ")`)
	if !strings.Contains(tags, "tag"+xssScript) {
		t.Errorf("detail: groups show %q", tags)
	}
	mitre := eval[[]string](b, `[...document.querySelectorAll("a.chip.mitre")].map(a => a.getAttribute("href"))`)
	if len(mitre) != 1 || mitre[0] != "https://attack.mitre.org/techniques/T1071/" {
		t.Errorf("detail: MITRE links %q, want only T1071's", mitre)
	}
	b.inert("detail")
	b.screenshot("xss-alert")
	b.clean("detail")

	// The instance timeline.
	b.open("/instances/" + url.PathEscape(h.InstanceID) + "?range=7d")
	wantText("timeline", "#timeline .tl-title", xssScript, xssImg)
	b.inert("timeline")
	b.clean("timeline")

	// Tooltips: the finding-type pie and the map on the overview, the
	// principals on the unusual-network page.
	b.open("/?range=7d")
	b.tooltip("chart-types", xssScript)
	b.tooltip("chart-map", xssScript)
	b.screenshot("xss-tooltip")
	b.inert("overview")
	b.clean("overview tooltips")

	b.open("/unusual-network?range=7d")
	b.tooltip("chart-un-principals", xssQuote)
	b.tooltip("chart-un-apis", xssScript)
	b.inert("unusual network")
	b.clean("unusual network")
}

// tooltip shows the tooltip of the chart's item whose data or category
// contains payload (through ECharts' showTip action) and checks the
// tooltip shows the payload as text and holds no element it made.
func (b *browser) tooltip(chartID, payload string) {
	b.t.Helper()
	found := eval[bool](b, fmt.Sprintf(`(() => {
  const c = echarts.getInstanceByDom(document.getElementById(%[1]q));
  const opt = c.getOption(), p = %[2]q;
  for (let si = 0; si < opt.series.length; si++) {
    const i = (opt.series[si].data || []).findIndex(d => JSON.stringify(d).includes(p));
    if (i >= 0) { c.dispatchAction({type: "showTip", seriesIndex: si, dataIndex: i}); return true; }
  }
  const cats = (opt.yAxis && opt.yAxis[0] && opt.yAxis[0].data) || [];
  const i = cats.findIndex(l => String(l).includes(p));
  if (i >= 0) { c.dispatchAction({type: "showTip", seriesIndex: 0, dataIndex: i}); return true; }
  return false;
})()`, chartID, payload))
	if !found {
		b.t.Errorf("%s: no item carries %q", chartID, payload)
		return
	}

	b.do(chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => {
  const tt = document.querySelector("#%s .dw-tooltip");
  return tt && tt.textContent.includes(%q);
})()`, chartID, payload), chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	n := eval[int](b, fmt.Sprintf(`document.querySelector("#%s .dw-tooltip").querySelectorAll("img,script,iframe,svg,[onerror],[onmouseover]").length`, chartID))
	if n != 0 {
		b.t.Errorf("%s: the tooltip holds %d elements made from data", chartID, n)
	}
}

func TestBrowserAuth(t *testing.T) {
	t.Run("refuses an open bind without credentials", func(t *testing.T) {
		_, err := New(Config{Addr: "0.0.0.0:8080"}, &fakeQueries{}, nil)
		want := "refusing to listen on 0.0.0.0:8080 without --token or basic auth"
		if err == nil || err.Error() != want {
			t.Fatalf("New = %v, want %q", err, want)
		}
	})

	const token = "browser-test-token-4f1d2c"
	now := time.Now().UTC()
	q, _ := browserQueries(t, now, "sqlite")
	base := startServer(t, Config{Token: token}, q)

	t.Run("API answers 401 without the token and 200 with it", func(t *testing.T) {
		for _, c := range []struct {
			auth string
			want int
		}{{"", 401}, {"Bearer wrong", 401}, {"Bearer " + token, 200}} {
			req, _ := http.NewRequest("GET", base+"/api/overview?range=7d", nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("%q: status %d, want %d", c.auth, resp.StatusCode, c.want)
			}
		}
	})

	t.Run("browser signs in with the token", func(t *testing.T) {
		b := newBrowser(t, base)
		b.open("/bruteforce?range=7d")
		b.do(chromedp.WaitVisible(chromedp.CSS("form.login-box input[name=token]")))
		b.screenshot("login")
		// The 401 of the page itself is logged as a failed load.
		b.reset()
		b.do(chromedp.SendKeys(chromedp.CSS("input[name=token]"), token))
		b.follow("/bruteforce", chromedp.Click(chromedp.CSS("form.login-box button[type=submit]")))
		b.do(chromedp.WaitVisible(chromedp.CSS("#bf-table")))
		b.clean("after sign-in")
	})
}
