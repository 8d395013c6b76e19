package main

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/spf13/cobra"
	"github.com/tdmtap/tdmtap/cmd/tdmtap/daemon"
	"github.com/tdmtap/tdmtap/config"
)

func init() {
	var cfgPath, addr string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a running gateway's links, calls, intercepts, spans and LEMF sessions (counts only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if addr == "" {
				if cfgPath == "" {
					return errors.New("give --addr or -c FILE")
				}
				cfg, err := config.Load(cfgPath)
				if err != nil {
					return err
				}
				if cfg.Metrics.Listen == "" {
					return errors.New("the config has no metrics listen address")
				}
				addr = cfg.Metrics.Listen
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
			defer cancel()
			st, err := daemon.FetchStatus(ctx, addr)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			return st.WriteText(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (its metrics listen address is asked)")
	cmd.Flags().StringVar(&addr, "addr", "", "metrics address of the gateway (host:port)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	root.AddCommand(cmd)
}
