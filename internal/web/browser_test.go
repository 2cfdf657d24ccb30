//go:build e2e

package web

// The browser suite drives Debian's Chromium (headless, through chromedp)
// against a real server on a real store filled with demo-like alerts:
//
//	go test -tags e2e -run Browser -count=1 ./internal/web/
//
// It needs /usr/bin/chromium (apt-get install -y chromium), or the path in
// DUTYWATCH_CHROMIUM; without it the suite skips, and fails under CI=true.
// Screenshots (1440×900) of every page land in screenshots/ at the root of
// the repository.

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// cspProbe reports Content-Security-Policy violations to the console,
// where the listener sees them. It is injected by the protocol, so the
// policy does not apply to it.
const cspProbe = `document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI + " at " + e.sourceFile + ":" + e.lineNumber);
});`

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("DUTYWATCH_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found (apt-get install -y chromium, or set DUTYWATCH_CHROMIUM)")
	}
	t.Skip("chromium not found: apt-get install -y chromium, or set DUTYWATCH_CHROMIUM")
	return ""
}

// startServer serves cfg over q on a loopback port until the test ends.
func startServer(t *testing.T, cfg Config, q Queries) string {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	s, err := New(cfg, q, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// browser is one headless Chromium tab and what it reported.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	// backend is the store under the server; the screenshots in the
	// repository are SQLite's, and PostgreSQL's overview beside them.
	backend string

	// mu guards the fields below; the listener appends from the
	// protocol's reader goroutine.
	mu       sync.Mutex
	problems []string
	dialogs  []string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		chromedp.Cancel(cctx)
		cancel()
		acancel()
	})
	b := &browser{t: t, ctx: ctx, base: base}
	// The first call starts the browser; it must not carry a deadline.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if err := chromedp.Listen(ctx, b.listen); err != nil {
		t.Fatal(err)
	}
	b.call(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, runtime.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe})
		return err
	})
	return b
}

// listen records console errors and warnings, uncaught exceptions, browser
// log errors (CSP, failed loads) and dialogs. It runs on the protocol's
// reader goroutine, so it only appends, and answers a dialog from another
// goroutine.
func (b *browser) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning ||
			e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			b.problems = append(b.problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(parts, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.problems = append(b.problems, fmt.Sprintf("exception: %s (%s:%d)", msg, d.URL, d.LineNumber))
	case *cdplog.EventEntryAdded:
		if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
			b.problems = append(b.problems, fmt.Sprintf("log %s %s: %s %s", e.Entry.Source, e.Entry.Level, e.Entry.Text, e.Entry.URL))
		}
	case *page.EventJavascriptDialogOpening:
		b.dialogs = append(b.dialogs, fmt.Sprintf("%s: %q on %s", e.Type, e.Message, e.URL))
		go chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
	}
}

// reset forgets what was reported so far.
func (b *browser) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems, b.dialogs = nil, nil
}

// clean fails the test for every problem and dialog reported since reset.
func (b *browser) clean(where string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("%s: %s", where, p)
	}
	for _, d := range b.dialogs {
		b.t.Errorf("%s: a dialog opened: %s", where, d)
	}
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) call(f func(ctx context.Context, tg *chromedp.Target) error) {
	b.t.Helper()
	b.do(chromedp.Func(f))
}

// eval evaluates expr (promises awaited) into T.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// open loads path and waits until the page script has drawn everything.
func (b *browser) open(path string) {
	b.t.Helper()
	b.reset()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`)))
}

// follow runs steps that load another page (a click, a submit) and waits
// until that page's script has drawn everything; the URL must then
// contain urlPart.
func (b *browser) follow(urlPart string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.reset()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`)))
	if loc := eval[string](b, `location.href`); !strings.Contains(loc, urlPart) {
		b.t.Fatalf("now at %s, want a URL with %q", loc, urlPart)
	}
}

// screenshot saves the viewport as screenshots/name.png at the repository
// root.
func (b *browser) screenshot(name string) { b.capture(name, chromedp.CaptureScreenshot()) }

// fullScreenshot saves the whole page, 1440 px wide.
func (b *browser) fullScreenshot(name string) { b.capture(name, chromedp.FullScreenshot(100)) }

func (b *browser) capture(name string, shot chromedp.Action[[]byte]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		b.t.Fatal(err)
	}
	if b.backend == "postgres" {
		if name != "overview" {
			return
		}
		name += "-postgres"
	}
	dir := filepath.Join("..", "..", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// inert fails when the page holds anything a payload could have made:
// an element with an event-handler attribute, the payload's image, or a
// script that is not ours.
func (b *browser) inert(where string) {
	b.t.Helper()
	bad := eval[[]string](b, `(() => {
  const out = [];
  document.querySelectorAll("*").forEach(el => {
    for (const a of el.attributes) if (a.name.startsWith("on")) out.push(el.tagName + "[" + a.name + "]");
  });
  document.querySelectorAll('img[src="x"]').forEach(() => out.push("img[src=x]"));
  document.querySelectorAll("script").forEach(s => {
    if (s.type === "application/json") return;
    if (!s.src || !(s.src.endsWith("/assets/app.js") || s.src.endsWith("/assets/vendor/echarts/echarts.min.js"))) out.push("script " + (s.src || s.textContent.slice(0, 60)));
  });
  return out;
})()`)
	for _, x := range bad {
		b.t.Errorf("%s: payload became markup: %s", where, x)
	}
}

// chartData returns, per chart element on the page, the number of data
// items in its series (or -1 for an empty placeholder, -2 for nothing),
// and whether its canvas has any non-background pixel.
type chartState struct {
	Items  int  `json:"items"`
	Inked  bool `json:"inked"`
	Canvas bool `json:"canvas"`
}

func (b *browser) charts() map[string]chartState {
	b.t.Helper()
	return eval[map[string]chartState](b, `(() => {
  const out = {};
  document.querySelectorAll(".chart").forEach(el => {
    const c = window.echarts && echarts.getInstanceByDom(el);
    if (!c) { out[el.id] = {items: el.classList.contains("is-empty") ? -1 : -2, inked: false, canvas: false}; return; }
    const items = (c.getOption().series || []).reduce((n, s) => n + (s.data ? s.data.length : 0), 0);
    const cv = el.querySelector("canvas");
    let inked = false;
    if (cv) {
      const px = cv.getContext("2d").getImageData(0, 0, cv.width, cv.height).data;
      for (let i = 3; i < px.length; i += 4 * 7) if (px[i] !== 0) { inked = true; break; }
    }
    out[el.id] = {items, inked, canvas: !!cv};
  });
  return out;
})()`)
}

func TestBrowserPages(t *testing.T) { eachBackend(t, testBrowserPages) }

func testBrowserPages(t *testing.T, backend string) {
	now := time.Now().UTC()
	q, ids := browserQueries(t, now, backend)
	base := startServer(t, Config{DefaultRange: "24h"}, q)
	b := newBrowser(t, base)
	b.backend = backend

	cases := []struct {
		name, path string
		charts     []string
		ready      string // an element the page must show
		full       bool   // also save the whole page
	}{
		{"overview", "/?range=7d", []string{"chart-types", "chart-bands", "chart-map", "chart-groups"}, ".cards .card.total", true},
		{"bruteforce", "/bruteforce?range=7d", []string{"chart-bf-time", "chart-bf-ports"}, "#bf-table tbody tr td.mono a", false},
		{"unusual-network", "/unusual-network?range=7d", []string{"chart-un-map", "chart-un-countries", "chart-un-principals", "chart-un-apis"}, "#un-table tbody tr td.mono a", true},
		{"instances", "/instances?range=7d", nil, "#instances-table tbody tr td.mono a", false},
		{"instance", "/instances/" + ids.instance + "?range=7d", []string{"chart-timeline"}, "#timeline li.tl", false},
		{"alerts", "/alerts?range=7d", nil, "#alerts-table tbody tr td.mono a", false},
		{"alert", "/alerts/" + ids.alert, nil, "#event-json", false},
		{"health", "/health", nil, ".source .cards", false},
		{"overview-24h", "/", []string{"chart-types", "chart-bands", "chart-map", "chart-groups"}, ".cards .card.total", false},
		{"not-found", "/alerts/ffffffffffffffff", nil, ".error-page", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b.t = t
			b.open(c.path)
			b.do(chromedp.WaitVisible(chromedp.CSS(c.ready)))
			state := b.charts()
			for _, id := range c.charts {
				s, ok := state[id]
				switch {
				case !ok:
					t.Errorf("chart #%s missing", id)
				case s.Items <= 0:
					t.Errorf("chart #%s has no data (%d)", id, s.Items)
				case !s.Canvas || !s.Inked:
					t.Errorf("chart #%s drew nothing: %+v", id, s)
				}
			}
			b.inert(c.name)
			b.screenshot(c.name)
			if c.full {
				b.fullScreenshot(c.name + "-full")
			}
			if c.name == "not-found" {
				// The 404 itself is logged by the browser as a failed load.
				b.reset()
			}
			b.clean(c.name)
		})
	}
}

// TestBrowserAlertsFilterAndPaging uses the filter form and the pager as
// a user would.
func TestBrowserAlertsFilterAndPaging(t *testing.T) { eachBackend(t, testBrowserAlertsFilterAndPaging) }

func testBrowserAlertsFilterAndPaging(t *testing.T, backend string) {
	now := time.Now().UTC()
	q, _ := browserQueries(t, now, backend)
	base := startServer(t, Config{}, q)
	b := newBrowser(t, base)
	b.backend = backend

	b.open("/alerts?range=7d&size=25")
	rows := func() int { return eval[int](b, `document.querySelectorAll("#alerts-table tbody tr").length`) }
	count := func() string { return eval[string](b, `document.getElementById("alerts-count").textContent`) }
	firstID := func() string {
		return eval[string](b, `document.querySelector("#alerts-table tbody tr td a").getAttribute("href")`)
	}
	all := count()
	if n := rows(); n != 25 {
		t.Fatalf("first page has %d rows, want 25", n)
	}
	page1 := firstID()

	b.follow("page=2", chromedp.Click(chromedp.CSS("#next")))
	if got := firstID(); got == page1 {
		t.Errorf("page 2 starts with the same alert as page 1: %s", got)
	}
	b.follow("page=1", chromedp.Click(chromedp.CSS("#prev")))
	if got := firstID(); got != page1 {
		t.Errorf("back on page 1, first alert %s, want %s", got, page1)
	}
	b.screenshot("alerts-page1")

	b.do(chromedp.SetValue(chromedp.CSS(`#alert-filter select[name=band]`), "critical"))
	b.follow("band=critical", chromedp.Click(chromedp.CSS(`#alert-filter button[type=submit]`)))
	if got := count(); got == all {
		t.Errorf("band filter left the count at %s", got)
	}
	bandsShown := eval[[]string](b, `[...document.querySelectorAll("#alerts-table tbody .pill")].map(p => p.className)`)
	if len(bandsShown) == 0 {
		t.Fatal("no critical alerts listed")
	}
	for _, c := range bandsShown {
		if !strings.Contains(c, "band-critical") {
			t.Errorf("band filter shows %q", c)
		}
	}

	b.open("/alerts?range=7d")
	b.do(chromedp.SetValue(chromedp.CSS(`#alert-filter input[name=type]`), "UnauthorizedAccess:EC2/SSHBruteForce"))
	b.follow("type=", chromedp.Click(chromedp.CSS(`#alert-filter button[type=submit]`)))
	types := eval[[]string](b, `[...document.querySelectorAll("#alerts-table tbody tr td.type")].map(td => td.textContent)`)
	if len(types) == 0 {
		t.Fatal("type filter lists nothing")
	}
	for _, ty := range types {
		if ty != "UnauthorizedAccess:EC2/SSHBruteForce" {
			t.Errorf("type filter shows %q", ty)
		}
	}
	b.screenshot("alerts-filtered")
	b.clean("alerts filter")
}

// TestBrowserHarnessSeesProblems makes sure the checks above can fail: a
// CSP violation and a dialog are both reported.
func TestBrowserHarnessSeesProblems(t *testing.T) {
	now := time.Now().UTC()
	q, _ := browserQueries(t, now, "sqlite")
	b := newBrowser(t, startServer(t, Config{}, q))
	b.open("/health")
	eval[bool](b, `new Promise(resolve => {
  document.addEventListener("securitypolicyviolation", () => setTimeout(() => resolve(true), 0), {once: true});
  document.body.setAttribute("style", "color: red");
})`)
	eval[bool](b, `(alert("probe"), true)`)
	b.mu.Lock()
	defer b.mu.Unlock()
	if !strings.Contains(strings.Join(b.problems, "\n"), "CSP violation: style-src-attr") {
		t.Errorf("an inline style went unreported: %q", b.problems)
	}
	if len(b.dialogs) != 1 || !strings.Contains(b.dialogs[0], "probe") {
		t.Errorf("dialogs %q, want the probe", b.dialogs)
	}
}
