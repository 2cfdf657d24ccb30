package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dutywatch/dutywatch/internal/config"
	"github.com/dutywatch/dutywatch/internal/store"
	"github.com/dutywatch/dutywatch/internal/web"
)

func newServeCommand(g *globalFlags) *cobra.Command {
	var configPath string
	var wf webFlags
	cmd := &cobra.Command{
		Use:   "serve --config FILE",
		Short: "Serve the web dashboard over the alerts in the state store",
		Long: `serve opens the state store of the configuration and serves the dashboard: overview, brute force,
unusual network, instances, alerts (with CSV and JSON export), health, and the JSON API. It does not poll;
run 'dutywatch run' beside it, or 'dutywatch run --serve' for both in one process.

The dashboard listens on 127.0.0.1:8080. Any other address needs a bearer token (--token-file or
$DUTYWATCH_WEB_TOKEN, or --token) or HTTP basic auth (--basic-user with $DUTYWATCH_WEB_PASSWORD or
--basic-password-file).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			wcfg, err := wf.config()
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
			st, err := store.Open(cmd.Context(), cfg.State)
			if err != nil {
				return err
			}
			defer st.Close()
			return serveWeb(cmd.Context(), wcfg, st, log)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "dutywatch.yaml", "configuration file: dutywatch YAML or a Wazuh ossec.conf")
	wf.register(cmd)
	return cmd
}

// serveWeb serves the dashboard over st until ctx ends, then stops
// gracefully. Callers that also run the pipeline start it in their
// errgroup and close the store after both have returned.
func serveWeb(ctx context.Context, cfg web.Config, st *store.Store, log *slog.Logger) error {
	srv, err := web.New(cfg, st, log.With("component", "web"))
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

// webFlags are the dashboard's flags; serve, run --serve and demo share
// them.
type webFlags struct {
	addr, token, tokenFile, basicUser, basicPasswordFile, defaultRange string
}

func (f *webFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	def := web.DefaultConfig()
	fs.StringVar(&f.addr, "addr", def.Addr, "dashboard listen address; anything but loopback needs a token or basic auth")
	fs.StringVar(&f.token, "token", "", "dashboard bearer token (shows in ps: prefer --token-file or $DUTYWATCH_WEB_TOKEN)")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the dashboard bearer token")
	fs.StringVar(&f.basicUser, "basic-user", "", "dashboard basic-auth user; the password comes from $DUTYWATCH_WEB_PASSWORD or --basic-password-file")
	fs.StringVar(&f.basicPasswordFile, "basic-password-file", "", "file holding the dashboard basic-auth password")
	fs.StringVar(&f.defaultRange, "default-range", def.DefaultRange, "time range of a dashboard page opened without one: 1h, 24h, 7d, 30d or all")
}

// config builds the web configuration. The token comes from --token,
// --token-file or $DUTYWATCH_WEB_TOKEN (one of them), the basic-auth
// password from --basic-password-file or $DUTYWATCH_WEB_PASSWORD.
func (f *webFlags) config() (web.Config, error) {
	cfg := web.DefaultConfig()
	cfg.Addr, cfg.BasicUser, cfg.DefaultRange = f.addr, f.basicUser, f.defaultRange
	var err error
	if cfg.Token, err = webSecret("--token", f.token, "--token-file", f.tokenFile, "DUTYWATCH_WEB_TOKEN"); err != nil {
		return cfg, err
	}
	if cfg.BasicPassword, err = webSecret("", "", "--basic-password-file", f.basicPasswordFile, "DUTYWATCH_WEB_PASSWORD"); err != nil {
		return cfg, err
	}
	if cfg.BasicPassword != "" && cfg.BasicUser == "" {
		return cfg, fmt.Errorf("a basic-auth password is set but --basic-user is not")
	}
	if cfg.BasicUser != "" && cfg.BasicPassword == "" {
		return cfg, fmt.Errorf("--basic-user needs a password: --basic-password-file or $DUTYWATCH_WEB_PASSWORD")
	}
	return cfg, nil
}

// webSecret reads one secret from a flag, a file or an environment variable;
// more than one source is an error, so nobody wonders which one won.
func webSecret(flagName, flagValue, fileFlag, path, env string) (string, error) {
	var got []string
	var v string
	if flagValue != "" {
		got, v = append(got, flagName), flagValue
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s: %w", fileFlag, err)
		}
		got, v = append(got, fileFlag), strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%s: %s is empty", fileFlag, path)
		}
	}
	if e := os.Getenv(env); e != "" {
		got, v = append(got, "$"+env), e
	}
	if len(got) > 1 {
		return "", fmt.Errorf("give the secret once, not with %s", strings.Join(got, " and "))
	}
	return v, nil
}
