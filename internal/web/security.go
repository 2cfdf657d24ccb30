package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// csp allows scripts, styles, fetches and forms from the dashboard itself
// only: no inline script or style (page data travels in
// <script type="application/json"> blocks the external script parses),
// no framing, no plugins.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// sessionCookie carries a browser's token login. Its value is an HMAC of
// the token, not the token.
const sessionCookie = "dutywatch_session"

// secureHeaders sets the security headers on every response, errors and
// static files included.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// checkListen refuses a non-loopback address without credentials.
func checkListen(cfg Config) error {
	if cfg.BasicUser != "" && cfg.BasicPassword == "" || cfg.BasicUser == "" && cfg.BasicPassword != "" {
		return errors.New("basic auth needs both a user and a password")
	}
	if cfg.Token != "" || cfg.BasicUser != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", cfg.Addr, err)
	}
	if isLoopback(host) {
		return nil
	}
	shown := cfg.Addr
	if host == "" {
		shown = "0.0.0.0" + cfg.Addr
	}
	return fmt.Errorf("refusing to listen on %s without --token or basic auth", shown)
}

// isLoopback says whether host names this machine's loopback interface
// only. An empty host or an unspecified address means every interface.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// auth checks the credentials of every request but /healthz, /login and
// the static assets. With no credentials configured it only checks the
// Host header (see hostGuard).
type auth struct {
	token         []byte
	user, pass    []byte
	session       string // the cookie value a token login sets
	loginRequired bool
}

func newAuth(cfg Config) auth {
	a := auth{token: []byte(cfg.Token), user: []byte(cfg.BasicUser), pass: []byte(cfg.BasicPassword)}
	a.loginRequired = cfg.Token != "" || cfg.BasicUser != ""
	if cfg.Token != "" {
		m := hmac.New(sha256.New, []byte(cfg.Token))
		m.Write([]byte("dutywatch web session v1"))
		a.session = hex.EncodeToString(m.Sum(nil))
	}
	return a
}

// equal compares in constant time (for equal lengths; the length of a
// secret is not worth hiding behind a hash here, but hashing first makes
// the comparison length-independent too).
func equal(got, want []byte) bool {
	g, w := sha256.Sum256(got), sha256.Sum256(want)
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// ok says whether r carries valid credentials.
func (a auth) ok(r *http.Request) bool {
	if !a.loginRequired {
		return true
	}
	if len(a.token) > 0 {
		if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			if equal([]byte(strings.TrimSpace(h[7:])), a.token) {
				return true
			}
		}
		if c, err := r.Cookie(sessionCookie); err == nil && equal([]byte(c.Value), []byte(a.session)) {
			return true
		}
	}
	if len(a.user) > 0 {
		if u, p, ok := r.BasicAuth(); ok {
			// Both comparisons always run.
			uok, pok := equal([]byte(u), a.user), equal([]byte(p), a.pass)
			return uok && pok
		}
	}
	return false
}

// checkToken says whether a login form's token is right.
func (a auth) checkToken(token string) bool {
	return len(a.token) > 0 && equal([]byte(token), a.token)
}

// guard wraps next with the credential check; public paths pass.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.auth.loginRequired && !loopbackHost(r.Host) {
			// Without credentials the server listens on loopback only;
			// a foreign Host header means a DNS-rebinding page is
			// talking to it through the browser.
			http.Error(w, "dutywatch: unexpected Host header; open the dashboard at http://127.0.0.1 or http://localhost",
				http.StatusMisdirectedRequest)
			return
		}
		if public(r.URL.Path) || s.auth.ok(r) {
			next.ServeHTTP(w, r)
			return
		}
		s.unauthorized(w, r)
	})
}

func public(path string) bool {
	return path == "/healthz" || path == "/login" || strings.HasPrefix(path, "/assets/")
}

// loopbackHost says whether a Host header names the loopback interface.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return isLoopback(host)
}

// unauthorized answers 401: a JSON error for the API and exports, the
// login form for pages (token login), a Basic challenge when basic auth is
// configured.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	if len(s.auth.user) > 0 {
		w.Header().Set("WWW-Authenticate", `Basic realm="dutywatch", charset="UTF-8"`)
	} else {
		w.Header().Set("WWW-Authenticate", `Bearer realm="dutywatch"`)
	}
	if wantsJSON(r) || len(s.auth.token) == 0 {
		writeError(w, r, http.StatusUnauthorized, "unauthorized")
		return
	}
	s.renderLogin(w, r, http.StatusUnauthorized, "")
}

// login serves the token form (GET) and checks it (POST), setting the
// session cookie and going back to the page asked for.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if len(s.auth.token) == 0 {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if r.Method != http.MethodPost {
		s.renderLogin(w, r, http.StatusOK, "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		s.renderLogin(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	if !s.auth.checkToken(r.PostForm.Get("token")) {
		s.log.Warn("web login refused", "remote", r.RemoteAddr)
		s.renderLogin(w, r, http.StatusUnauthorized, "That token is not right.")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: s.auth.session, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int((7 * 24 * time.Hour).Seconds()),
	})
	http.Redirect(w, r, localPath(r.PostForm.Get("next")), http.StatusSeeOther)
}

// logout clears the session cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// localPath keeps a redirect target on this site: a path, never
// "//host" or a scheme.
func localPath(p string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\r\n") {
		return "/"
	}
	return p
}

func wantsJSON(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/api/") || p == "/alerts.csv" || p == "/metrics" ||
		strings.Contains(r.Header.Get("Accept"), "application/json")
}
