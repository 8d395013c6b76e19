package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tdmtap/tdmtap/config"
)

func init() {
	cfg := &cobra.Command{
		Use:   "config",
		Short: "Configuration file tools",
	}
	cfg.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Validate a config file (and its warrants file); print every problem as FILE:LINE: message",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, problems := config.Check(args[0])
			out := cmd.OutOrStdout()
			for _, p := range problems {
				fmt.Fprintln(out, p.String())
			}
			if len(problems) > 0 {
				return fmt.Errorf("config check: %d problem(s) in %s", len(problems), args[0])
			}
			fmt.Fprintln(out, "OK")
			return nil
		},
	})
	root.AddCommand(cfg)
}
