package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/dutywatch/dutywatch/internal/config"
)

func newConfigCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with configuration files"}
	cmd.AddCommand(&cobra.Command{
		Use:   "import-wazuh OSSEC_CONF",
		Short: "Print the YAML equivalent of the <wodle name=\"aws-s3\"> blocks in an ossec.conf",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			cfg, warnings, err := config.ImportWazuh(args[0], data)
			if err != nil {
				return err
			}
			for _, w := range warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			out, err := cfg.MarshalYAML()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}, &cobra.Command{
		Use:   "check CONFIG",
		Short: "Load a configuration (YAML or ossec.conf) and report errors",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, warnings, err := config.Load(args[0])
			if err != nil {
				return err
			}
			for _, w := range warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d source(s), OK\n", args[0], len(cfg.Sources))
			return nil
		},
	})
	return cmd
}
