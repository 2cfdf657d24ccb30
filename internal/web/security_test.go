package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestCheckListen(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		err  string
	}{
		{"loopback v4", Config{Addr: "127.0.0.1:8080"}, ""},
		{"loopback v6", Config{Addr: "[::1]:8080"}, ""},
		{"localhost", Config{Addr: "localhost:8080"}, ""},
		{"any v4", Config{Addr: "0.0.0.0:8080"}, "refusing to listen on 0.0.0.0:8080 without --token or basic auth"},
		{"any, no host", Config{Addr: ":8080"}, "refusing to listen on 0.0.0.0:8080 without --token or basic auth"},
		{"any v6", Config{Addr: "[::]:8080"}, "refusing to listen on [::]:8080 without --token or basic auth"},
		{"lan", Config{Addr: "10.1.2.3:8080"}, "refusing to listen on 10.1.2.3:8080"},
		{"hostname", Config{Addr: "dashboard.internal:8080"}, "refusing to listen"},
		{"any with token", Config{Addr: "0.0.0.0:8080", Token: "t0ken-t0ken-t0ken"}, ""},
		{"any with basic", Config{Addr: "0.0.0.0:8080", BasicUser: "soc", BasicPassword: "pw"}, ""},
		{"user without password", Config{Addr: "127.0.0.1:8080", BasicUser: "soc"}, "needs both"},
		{"password without user", Config{Addr: "127.0.0.1:8080", BasicPassword: "pw"}, "needs both"},
		{"no port", Config{Addr: "127.0.0.1"}, "listen address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg, &fakeQueries{}, nil)
			if c.err == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("New = %v, want %q", err, c.err)
			}
		})
	}
}

func TestTokenAuth(t *testing.T) {
	const token = "tok-3b9f0c1e-secret"
	s, logs := newTestServer(t, Config{Addr: "0.0.0.0:8080", Token: token}, demoQueries())
	h := s.Handler()
	cases := []struct {
		name, target string
		header       []string
		status       int
	}{
		{"api without", "/api/overview", nil, 401},
		{"api wrong", "/api/overview", []string{"Authorization", "Bearer nope"}, 401},
		{"api prefix of token", "/api/overview", []string{"Authorization", "Bearer " + token[:5]}, 401},
		{"api right", "/api/overview", []string{"Authorization", "Bearer " + token}, 200},
		{"api lowercase scheme", "/api/overview", []string{"Authorization", "bearer " + token}, 200},
		{"csv without", "/alerts.csv", nil, 401},
		{"page without shows login", "/alerts", nil, 401},
		{"page with", "/alerts", []string{"Authorization", "Bearer " + token}, 200},
		{"basic is not a token", "/api/health", []string{"Authorization", "Basic dXNlcjp0b2tlbg=="}, 401},
		{"healthz is public", "/healthz", nil, 200},
		{"assets are public", "/assets/app.css", nil, 200},
		{"login form is public", "/login", nil, 200},
		{"foreign host is fine with auth", "/api/overview", []string{"Authorization", "Bearer " + token, "Host", "soc.example.com"}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := get(t, h, "GET", c.target, c.header...)
			if w.Code != c.status {
				t.Errorf("status %d, want %d", w.Code, c.status)
			}
			if strings.Contains(w.Body.String(), token) {
				t.Error("the answer shows the token")
			}
			if w.Code == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			checkSecurityHeaders(t, c.target, w.Header())
		})
	}
	if w := get(t, h, "GET", "/alerts"); !strings.Contains(w.Body.String(), `name="token"`) {
		t.Error("an unauthenticated page does not show the login form")
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the log shows the token")
	}
}

func TestLoginSetsASessionCookie(t *testing.T) {
	const token = "tok-login-7d2a9e-secret"
	s, logs := newTestServer(t, Config{Token: token}, demoQueries())
	h := s.Handler()
	post := func(form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		req.Host = "127.0.0.1:8080"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}

	w := post(url.Values{"token": {"wrong"}, "next": {"/alerts"}})
	if w.Code != 401 || len(w.Result().Cookies()) != 0 {
		t.Fatalf("wrong token: %d, cookies %v", w.Code, w.Result().Cookies())
	}

	w = post(url.Values{"token": {token}, "next": {"/alerts?range=7d"}})
	if w.Code != 303 || w.Header().Get("Location") != "/alerts?range=7d" {
		t.Fatalf("login: %d to %q", w.Code, w.Header().Get("Location"))
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookies %+v", cookies)
	}
	if strings.Contains(cookies[0].Value, token) {
		t.Error("the cookie holds the token")
	}
	if w := get(t, h, "GET", "/alerts", "Cookie", sessionCookie+"="+cookies[0].Value); w.Code != 200 {
		t.Errorf("with the session cookie: %d", w.Code)
	}
	if w := get(t, h, "GET", "/alerts", "Cookie", sessionCookie+"=forged"); w.Code != 401 {
		t.Errorf("with a forged cookie: %d", w.Code)
	}
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", ""} {
		w := post(url.Values{"token": {token}, "next": {next}})
		if loc := w.Header().Get("Location"); loc != "/" {
			t.Errorf("next %q redirects to %q, want /", next, loc)
		}
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the log shows the token")
	}
}

func TestBasicAuth(t *testing.T) {
	s, _ := newTestServer(t, Config{Addr: "0.0.0.0:8080", BasicUser: "soc", BasicPassword: "pass-w0rd"}, demoQueries())
	h := s.Handler()
	req := func(user, pass string) int {
		r := httptest.NewRequest("GET", "/api/health", nil)
		if user != "" {
			r.SetBasicAuth(user, pass)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("401 without a Basic challenge: %q", w.Header().Get("WWW-Authenticate"))
		}
		return w.Code
	}
	for _, c := range []struct {
		user, pass string
		want       int
	}{{"", "", 401}, {"soc", "wrong", 401}, {"other", "pass-w0rd", 401}, {"soc", "pass-w0rd", 200}} {
		if got := req(c.user, c.pass); got != c.want {
			t.Errorf("%s:%s: %d, want %d", c.user, c.pass, got, c.want)
		}
	}
}

func TestForeignHostRefusedWithoutAuth(t *testing.T) {
	s, _ := newTestServer(t, DefaultConfig(), demoQueries())
	for host, want := range map[string]int{
		"127.0.0.1:8080": 200, "localhost:8080": 200, "[::1]:8080": 200, "LOCALHOST": 200,
		"attacker.example:8080": 421, "127.0.0.1.attacker.example": 421, "": 421,
	} {
		if w := get(t, s.Handler(), "GET", "/api/health", "Host", host); w.Code != want {
			t.Errorf("Host %q: %d, want %d", host, w.Code, want)
		}
	}
}

// TestTemplatesEscape renders every page that shows the hostile alert and
// checks no payload survives as markup, in the HTML and in the page-data
// JSON the page script reads.
func TestTemplatesEscape(t *testing.T) {
	q := demoQueries()
	h := hostileAlert(testNow)
	s, _ := newTestServer(t, DefaultConfig(), q)
	pages := []string{
		"/?range=7d",
		"/alerts?range=7d&rule=100200",
		"/alerts/" + h.ID,
		"/instances/" + url.PathEscape(h.InstanceID) + "?range=7d",
		"/instances?range=7d",
		"/unusual-network?range=7d",
		"/alerts?range=7d&q=" + url.QueryEscape(xssScript) + "&type=" + url.QueryEscape(xssImg),
	}
	scriptTag := regexp.MustCompile(`(?i)<script\b[^>]*>`)
	pageData := regexp.MustCompile(`(?s)<script type="application/json" id="page-data">(.*?)</script>`)
	for _, p := range pages {
		w := get(t, s.Handler(), "GET", p)
		if w.Code != 200 {
			t.Fatalf("%s: %d", p, w.Code)
		}
		body := w.Body.String()
		// The page data is JSON in a script block the browser never runs
		// or parses as HTML: only "<" could end it, and it is escaped.
		html, data := body, ""
		if m := pageData.FindStringSubmatchIndex(body); m != nil {
			html, data = body[:m[0]]+body[m[1]:], body[m[2]:m[3]]
		}
		if strings.Contains(data, "<") {
			t.Errorf("%s: the page data holds a raw <", p)
		}
		for _, raw := range []string{"<script>alert(1)", "<img src=x", `"><img src=x`, "' onmouseover", "' x='"} {
			if strings.Contains(html, raw) {
				t.Errorf("%s: raw payload %q in the page", p, raw)
			}
		}
		for _, tag := range scriptTag.FindAllString(body, -1) {
			if tag != `<script type="application/json" id="page-data">` && tag != `<script src="/assets/app.js">` &&
				tag != `<script src="/assets/vendor/echarts/echarts.min.js">` {
				t.Errorf("%s: unexpected %s", p, tag)
			}
		}
		if strings.Contains(body, " style=") {
			t.Errorf("%s: an inline style attribute (the CSP blocks it)", p)
		}
	}
	detail := get(t, s.Handler(), "GET", "/alerts/"+h.ID).Body.String()
	for _, want := range []string{
		"C&amp;C domain &lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(1)&gt;&#39; onmouseover=&#39;alert(1)&#39; x=&#39;",
		`href="https://attack.mitre.org/techniques/T1071/"`,
		"T9999&#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
		`&#34;instanceId&#34;: &#34;i-0hostile00000000\&#34;&gt;&lt;img src=x onerror=alert(1)&gt;&#34;`,
	} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail page lacks %s", want)
		}
	}
	overview := get(t, s.Handler(), "GET", "/?range=7d").Body.String()
	if !strings.Contains(overview, `\u003cscript\u003ealert(1)\u003c/script\u003e`) {
		t.Error("the page data does not carry the payload JSON-escaped")
	}
}
