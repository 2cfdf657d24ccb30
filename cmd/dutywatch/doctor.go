package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/spf13/cobra"

	"github.com/dutywatch/dutywatch/internal/config"
	"github.com/dutywatch/dutywatch/internal/doctor"
)

func newDoctorCommand(g *globalFlags) *cobra.Command {
	var configPath, format string
	var only []string
	cmd := &cobra.Command{
		Use:   "doctor --config FILE",
		Short: "Check every enabled source: credentials, bucket, clock, layout, object dates, one object read",
		Long: `doctor checks each enabled source of the configuration and prints what it
found and how to fix each failure: the credentials (STS GetCallerIdentity
through the source's own credential chain), the bucket (listable, in the
configured region), the clock against the server's, the layout (accounts and
regions for native exports), the oldest and newest objects, and the newest
object read end to end. It only reads. The exit status is 1 when a check
fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("--format: want text or json, got %q", format)
			}
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
			reports, err := runDoctor(cmd.Context(), cfg, only, log)
			if err != nil {
				return err
			}
			write := doctor.WriteText
			if format == "json" {
				write = doctor.WriteJSON
			}
			if err := write(cmd.OutOrStdout(), reports); err != nil {
				return err
			}
			if n := doctor.Failures(reports); n > 0 {
				return fmt.Errorf("doctor: %d check(s) failed", n)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "dutywatch.yaml", "configuration file: dutywatch YAML or a Wazuh ossec.conf")
	cmd.Flags().StringVar(&format, "format", "text", "output: text (a table per source) or json")
	cmd.Flags().StringSliceVar(&only, "source", nil, "check only these sources (by name; repeat or comma-separate)")
	return cmd
}

// runDoctor checks the enabled sources of cfg (those named in only, when
// set), one after the other.
func runDoctor(ctx context.Context, cfg config.Config, only []string, log *slog.Logger) ([]doctor.Report, error) {
	opt := doctor.Options{Log: log}
	var reports []doctor.Report
	for _, sc := range cfg.Sources {
		if len(only) > 0 && !slices.Contains(only, sc.Name) {
			continue
		}
		if sc.Disabled {
			log.Info("source disabled, not checked", "source", sc.Name)
			continue
		}
		switch sc.Type {
		case config.TypeDir:
			c, err := dirConfig(sc)
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", sc.Name, err)
			}
			reports = append(reports, doctor.CheckDir(ctx, c, opt))
		case config.TypeS3:
			c, err := s3Config(sc)
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", sc.Name, err)
			}
			reports = append(reports, doctor.CheckS3(ctx, c, opt))
		default:
			return nil, fmt.Errorf("source %s: unknown source type %q", sc.Name, sc.Type)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if len(reports) == 0 {
		return nil, fmt.Errorf("no enabled sources to check in the configuration")
	}
	return reports, nil
}
