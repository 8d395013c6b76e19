package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tdmtap/tdmtap/hi/hi1/audit"
	"github.com/tdmtap/tdmtap/hi/hi1/sign"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
)

func init() {
	ac := &cobra.Command{Use: "audit", Short: "The tamper-evident audit file"}
	var pubFile, storeFile string
	var strict bool
	verify := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check the audit file's hash chain and per-record signatures (and, with --store, the store's anchor); name the first bad record",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if pubFile == "" {
				return fmt.Errorf("--pub is required (the node's audit public key)")
			}
			pub, err := sign.LoadPublicKey(pubFile)
			if err != nil {
				return err
			}
			var an *audit.Anchor
			if storeFile != "" {
				seq, h, ok, err := store.ReadAuditAnchor(storeFile)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("%s: no audit anchor in the store", storeFile)
				}
				an = &audit.Anchor{Seq: seq, Hash: h}
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			rep, err := audit.VerifyAnchored(f, pub, an)
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
			if rep.Anchor != "" {
				return fmt.Errorf("%s: does not match the store's audit anchor: %s", args[0], rep.Anchor)
			}
			if rep.Discontinuities > 0 {
				return fmt.Errorf("%s: the file records %d discontinuity(ies): records anchored in the store were lost before a restart (see warnings)", args[0], rep.Discontinuities)
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
	verify.Flags().StringVar(&storeFile, "store", "", "the node's hi1 store (bbolt; a copy while the node runs): check the file reaches its audit anchor")
	verify.Flags().BoolVar(&strict, "strict", true, "fail when the file does not end with a shutdown checkpoint (truncated, or still being written: use --strict=false for a running node's file)")
	ac.AddCommand(verify)
	root.AddCommand(ac)
}
