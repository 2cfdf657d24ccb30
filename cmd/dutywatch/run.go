package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/dutywatch/dutywatch/internal/config"
	"github.com/dutywatch/dutywatch/internal/pipeline"
	"github.com/dutywatch/dutywatch/internal/store"
	"github.com/dutywatch/dutywatch/internal/web"
)

func newRunCommand(g *globalFlags) *cobra.Command {
	var configPath string
	var once, serve bool
	var metricsAddr string
	var prof profileFlags
	var wf webFlags
	cmd := &cobra.Command{
		Use:   "run --config FILE",
		Short: "Poll the configured sources on their schedule (or once) into archives.json",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			cfg, warnings, err := config.Load(configPath)
			if err != nil {
				return err
			}
			for _, w := range warnings {
				log.Warn(w, "config", configPath)
			}
			var wcfg *web.Config
			if serve {
				c, err := wf.config()
				if err != nil {
					return err
				}
				wcfg = &c
			}
			setDefaultMemoryLimit()
			stop, err := prof.start()
			if err != nil {
				return err
			}
			return errors.Join(runPipeline(cmd.Context(), cfg, runOptions{once: once, web: wcfg, metricsAddr: metricsAddr}, log, cmd.OutOrStdout()), stop())
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "dutywatch.yaml", "configuration file: dutywatch YAML or a Wazuh ossec.conf")
	cmd.Flags().BoolVar(&once, "once", false, "poll every source one time and exit (with --serve: then keep serving)")
	cmd.Flags().BoolVar(&serve, "serve", false, "also serve the web dashboard, with /metrics and /healthz (see dutywatch serve --help)")
	cmd.Flags().StringVar(&metricsAddr, "metrics-addr", "", "serve Prometheus /metrics and /healthz on this address without the dashboard, e.g. 127.0.0.1:9464")
	wf.register(cmd)
	prof.register(cmd)
	return cmd
}

// runOptions say how runPipeline runs.
type runOptions struct {
	once bool
	// web, when set, serves the dashboard (with /metrics) beside the pipeline.
	web *web.Config
	// metricsAddr, when set, serves /metrics and /healthz alone.
	metricsAddr string
}

// runPipeline opens the state and sinks of cfg and runs its sources, and
// the dashboard or metrics server when asked. Stop order: the sources'
// polls end first (their last commit included) and the servers shut down,
// then the sink files, then the store.
func runPipeline(ctx context.Context, cfg config.Config, opt runOptions, log *slog.Logger, out io.Writer) error {
	once, wcfg := opt.once, opt.web
	st, err := store.Open(ctx, cfg.State)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("state opened", "state", config.StateDisplay(cfg.State), "backend", st.Backend())
	// In a shared state each instance keeps its own files' offsets.
	instance := ""
	if config.Postgres(cfg.State) {
		instance = cmp.Or(cfg.Instance, pipeline.DefaultConfig().Host)
	}
	archives, err := pipeline.OpenSink(ctx, st, pipeline.SinkName(instance, pipeline.ArchiveSink), cfg.Output.ArchivesPath)
	if err != nil {
		return err
	}
	defer archives.Close()

	rs, err := loadRules(cfg.Rules, log)
	if err != nil {
		return err
	}
	alerts, err := pipeline.OpenSink(ctx, st, pipeline.SinkName(instance, pipeline.AlertSink), cfg.Output.AlertsPath)
	if err != nil {
		return err
	}
	defer alerts.Close()

	sources, err := buildSources(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	if len(sources) == 0 {
		return fmt.Errorf("no enabled sources in the configuration")
	}
	pcfg := pipeline.DefaultConfig()
	pcfg.Workers, pcfg.Instance = cfg.Workers, instance
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		pcfg.Terminal = os.Stderr // a backfill shows a progress bar; otherwise progress log lines
	}
	acfg, err := alerterConfig(cfg, rs, pcfg.Host)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if !config.Postgres(cfg.State) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "dutywatch", Subsystem: "store", Name: "size_bytes",
			Help: "Size of the state store on disk, write-ahead log included."}, func() float64 { return fileSizes(cfg.State, cfg.State+"-wal") }))
	}
	deliverer, closeOutputs, err := buildDeliverer(ctx, cfg, st, cmp.Or(instance, pcfg.Host), log, reg)
	if err != nil {
		return err
	}
	defer closeOutputs()
	acfg.Outbox = deliverer != nil
	alerter := pipeline.NewAlerter(acfg, alerts, log)
	p := pipeline.New(pcfg, st, archives, alerter, log, pipeline.NewMetrics(reg))

	g, gctx := errgroup.WithContext(ctx)
	if wcfg != nil {
		wcfg.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		g.Go(func() error { return serveWeb(gctx, *wcfg, st, log) })
	}
	if opt.metricsAddr != "" && !once { // a single pass ends before anyone scrapes
		g.Go(func() error { return serveMetrics(gctx, opt.metricsAddr, reg, log) })
	}
	if !once && cfg.Retention > 0 {
		g.Go(func() error { return pruneLoop(gctx, st, cfg.Retention, log) })
	}
	if !once && deliverer != nil {
		g.Go(func() error { return deliverer.Run(gctx) })
	}
	g.Go(func() error {
		if !once {
			return p.Run(gctx, sources)
		}
		stats, err := p.Once(gctx, sources)
		printStats(out, stats)
		if deliverer != nil {
			if derr := deliverer.Drain(gctx, 3); derr != nil {
				err = errors.Join(err, fmt.Errorf("deliver alerts: %w", derr))
			}
		}
		if wcfg != nil && err == nil {
			fmt.Fprintf(out, "Serving the dashboard on http://%s/ (Ctrl-C to stop)\n", wcfg.Addr)
		}
		return err
	})
	return g.Wait()
}

func printStats(w io.Writer, stats map[string]pipeline.Stats) {
	names := make([]string, 0, len(stats))
	for n := range stats {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := stats[n]
		fmt.Fprintf(w, "%s: %d objects done, %d failed (%d partial), %d records, %d events, %d skipped, %d discarded, %d alerts, %.1f MB read, %.1f MB decoded\n",
			n, s.Done, s.Failed, s.Partial, s.Records, s.Events, s.Skipped, s.Discarded, s.Alerts.Alerts,
			float64(s.BytesRead)/1e6, float64(s.BytesDecoded)/1e6)
	}
}

// pruneLoop applies the retention to the store's alerts and findings at
// start and then daily, until ctx ends.
func pruneLoop(ctx context.Context, st *store.Store, retention time.Duration, log *slog.Logger) error {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		n, err := st.PruneAlerts(ctx, time.Now().Add(-retention))
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.Error("retention: prune alerts", "err", err)
		case n > 0:
			log.Info("retention: pruned alerts", "alerts", n, "older_than", retention)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// fileSizes is the total size of the files that exist among paths.
func fileSizes(paths ...string) float64 {
	var n int64
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return float64(n)
}

// serveMetrics serves /metrics and /healthz on addr until ctx ends.
func serveMetrics(ctx context.Context, addr string, reg *prometheus.Registry, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	log.Info("serving metrics", "addr", ln.Addr().String())
	stop := context.AfterFunc(ctx, func() {
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	})
	defer stop()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}
