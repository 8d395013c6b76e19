package main

import (
	"github.com/spf13/cobra"
	"github.com/tdmtap/tdmtap/cmd/tdmtap/daemon"
)

func init() {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the gateway: SIGTERM/SIGINT drain and stop, SIGHUP reloads warrants and LEMF destinations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return daemon.Run(cmd.Context(), daemon.Options{ConfigPath: cfgPath, LogOutput: cmd.ErrOrStderr()})
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (YAML)")
	_ = cmd.MarkFlagRequired("config")
	root.AddCommand(cmd)
}
