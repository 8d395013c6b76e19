package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tdmtap/tdmtap/hi/hi1/audit"
	"github.com/tdmtap/tdmtap/hi/hi1/sign"
)

func init() {
	ac := &cobra.Command{Use: "audit", Short: "The tamper-evident audit file"}
	var pubFile string
	var strict bool
	verify := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check the audit file's hash chain and checkpoint signatures; name the first bad record",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if pubFile == "" {
				return fmt.Errorf("--pub is required (the node's audit public key)")
			}
			pub, err := sign.LoadPublicKey(pubFile)
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			rep, err := audit.Verify(f, pub)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%d good record(s), %d signed checkpoint(s), last seq %d, %d record(s) after the last checkpoint\n",
				rep.Records, rep.Checkpoints, rep.LastSeq, rep.Unsigned)
			for _, w := range rep.Warnings {
				fmt.Fprintln(out, "WARNING:", w)
			}
			if rep.Bad != nil {
				return fmt.Errorf("%s: first bad record at %s", args[0], rep.Bad)
			}
			if !rep.Clean {
				if strict {
					return fmt.Errorf("%s: does not end with a shutdown checkpoint: truncated, or its writer crashed or is still running (--strict=false for a file still being written)", args[0])
				}
				fmt.Fprintln(out, "chain OK up to its last record, but the file is not closed by a shutdown checkpoint")
				return nil
			}
			fmt.Fprintln(out, "chain OK")
			return nil
		},
	}
	verify.Flags().StringVar(&pubFile, "pub", "", "the node's audit public key (PEM)")
	verify.Flags().BoolVar(&strict, "strict", true, "fail when the file does not end with a shutdown checkpoint (truncated, or still being written: use --strict=false for a running node's file)")
	ac.AddCommand(verify)
	root.AddCommand(ac)
}
