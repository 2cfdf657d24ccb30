package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Config is the dashboard's configuration.
type Config struct {
	// Addr is the listen address, host:port. A host other than loopback
	// needs Token or BasicUser and BasicPassword.
	Addr string
	// Token is a bearer token: "Authorization: Bearer <token>" for the API,
	// a login form for browsers (it sets a session cookie).
	Token string
	// BasicUser and BasicPassword enable HTTP basic auth.
	BasicUser, BasicPassword string
	// DefaultRange is the time range of a page asked for without one:
	// 1h, 24h, 7d, 30d or all.
	DefaultRange string
	// Metrics, when set, is served at /metrics (behind the same auth).
	Metrics http.Handler
	// ShutdownTimeout bounds how long Run waits for requests in flight
	// once its context ends.
	ShutdownTimeout time.Duration
}

// DefaultConfig listens on loopback port 8080 with no credentials.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", DefaultRange: "24h", ShutdownTimeout: 5 * time.Second}
}

// Limits of the views; the pages show at most this many rows.
const (
	topN          = 10
	rowLimit      = 200
	instanceLimit = 500
	exportLimit   = 100_000
	exportPage    = 1000
)

//go:embed assets templates
var files embed.FS

// Server is the dashboard: HTML pages, the JSON API and the static files.
type Server struct {
	cfg   Config
	q     Queries
	log   *slog.Logger
	auth  auth
	pages map[string]*pageTemplate
	h     http.Handler
	// now is the clock for rolling time ranges; a test knob.
	now func() time.Time
}

// New checks cfg and builds the server. It refuses to listen on a
// non-loopback address without credentials.
func New(cfg Config, q Queries, log *slog.Logger) (*Server, error) {
	def := DefaultConfig()
	if cfg.Addr == "" {
		cfg.Addr = def.Addr
	}
	if cfg.DefaultRange == "" {
		cfg.DefaultRange = def.DefaultRange
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = def.ShutdownTimeout
	}
	if !validRange(cfg.DefaultRange) {
		return nil, fmt.Errorf("default range: want 1h, 24h, 7d, 30d or all, got %q", cfg.DefaultRange)
	}
	if err := checkListen(cfg); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pages, err := parsePages(files)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, q: q, log: log, auth: newAuth(cfg), pages: pages, now: time.Now}
	s.h = secureHeaders(s.guard(s.routes()))
	return s, nil
}

// Handler is the whole dashboard as an http.Handler, for tests and for
// mounting behind another server.
func (s *Server) Handler() http.Handler { return s.h }

// Run listens on Config.Addr and serves until ctx ends, then shuts down
// gracefully: requests in flight get Config.ShutdownTimeout to finish.
func (s *Server) Run(ctx context.Context) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened (for ":0" in tests). It
// closes ln and returns once every connection has ended.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // a large CSV export
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.log.Info("web dashboard listening", "url", "http://"+ln.Addr().String()+"/",
		"auth", s.auth.loginRequired)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), serr)
	}
	if err != nil {
		srv.Close()
		return fmt.Errorf("shut down web server: %w", err)
	}
	return nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	assets, _ := fs.Sub(files, "assets") // cannot fail: assets is embedded
	static := http.StripPrefix("/assets/", http.FileServerFS(assets))
	mux.Handle("GET /assets/", cacheFor(time.Hour, static))
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/assets/favicon.svg", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	if s.cfg.Metrics != nil {
		mux.Handle("GET /metrics", s.cfg.Metrics)
	}
	mux.HandleFunc("GET /login", s.login)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)

	for _, v := range s.viewsList() {
		mux.HandleFunc("GET "+v.path, s.page(v))
		mux.HandleFunc("GET "+v.api, s.apiHandler(v))
	}
	mux.HandleFunc("GET /alerts.csv", s.exportCSV)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "There is no page at this address.")
	})
	return mux
}

func cacheFor(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(d.Seconds())))
		next.ServeHTTP(w, r)
	})
}
