// Command dutywatch reads Amazon GuardDuty findings from S3 buckets and
// local folders, normalizes them into Wazuh-compatible events and keeps
// exactly-once state. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run())
}

func run() int {
	// The first signal cancels ctx and starts a graceful stop (finish the
	// objects in flight, commit, exit); stop() restores the default
	// handlers so a second signal ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	defer stop()

	root := newRootCommand()
	if err := root.ExecuteContext(ctx); err != nil {
		var usage usageError
		if errors.As(err, &usage) {
			return 2
		}
		fmt.Fprintln(os.Stderr, "dutywatch:", err)
		return 1
	}
	return 0
}

// usageError marks errors cobra already printed with the usage.
type usageError struct{ error }

type globalFlags struct {
	logLevel  string
	logFormat string
}

func newRootCommand() *cobra.Command {
	var g globalFlags
	root := &cobra.Command{
		Use:           "dutywatch",
		Short:         "GuardDuty findings from S3 into Wazuh-compatible events and alerts",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		fmt.Fprintf(os.Stderr, "dutywatch: %v\n%s", err, c.UsageString())
		return usageError{err}
	})
	root.AddCommand(
		newRunCommand(&g),
		newDemoCommand(&g),
		newConfigCommand(&g),
		newGenerateCommand(&g),
		newLogtestCommand(&g),
		newRulesCommand(&g),
		newServeCommand(&g),
		newDoctorCommand(&g),
		newVersionCommand(),
	)
	return root
}

func (g *globalFlags) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch g.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: want text or json, got %q", g.logFormat)
}
