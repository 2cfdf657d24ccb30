// Package web is dutywatch's built-in dashboard: server-rendered pages
// (html/template), a JSON API behind every page (see API.md), a CSV
// export, and the static files, embedded with go:embed so that `go build`
// needs no front-end tool chain and the page works air-gapped.
//
// Pages: the overview (alerts by severity band, finding types, alerts over
// time by band and by rule group, top attacked instances, top attacker IPs,
// ASNs and countries, a world map of attacker locations), brute force,
// API calls from unusual networks, instances and one instance's timeline,
// alerts with filters, paging and exports, one alert with its rule, MITRE
// ATT&CK techniques and event, and the health of the sources. Every page
// but the alert and health follows one time range (range=1h|24h|7d|30d|all
// or from/to, UTC).
//
// Charts are Apache ECharts and the map Natural Earth's 1:110m countries
// (npm world-atlas, converted to GeoJSON), vendored under assets/vendor/
// with their licences by scripts/vendor-web-assets.
//
// Security: every value from a finding is attacker-controlled text.
// Templates escape it (html/template); the page script gets its data from
// a <script type="application/json"> block, never puts data into
// innerHTML, and escapes every value in chart tooltips, which ECharts
// renders as HTML. Every response carries a strict Content-Security-Policy
// (scripts, styles and fetches from the dashboard only, nothing inline, no
// framing), X-Content-Type-Options, Referrer-Policy and X-Frame-Options.
// New refuses a non-loopback listen address without a bearer token or
// basic auth; secrets are compared in constant time and never logged or
// rendered. A browser signs in with the token once (a form at /login sets
// an HttpOnly, SameSite=Strict session cookie holding an HMAC of the token,
// not the token). Without credentials the server answers only requests
// whose Host header names the loopback interface, which defeats DNS
// rebinding. /healthz and the static files need no credentials; /metrics
// (when Config.Metrics is set) does.
//
// State: none; the pages read the store through Queries.
//
// Concurrency: a Server is safe for concurrent requests. Run (or Serve)
// starts the HTTP server's goroutines and returns after they have ended.
//
// Stop: when Run's context ends the server stops accepting connections and
// gives requests in flight Config.ShutdownTimeout to finish; Run returns
// once every connection has closed.
package web
