package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tdmtap/tdmtap/hi/hi1/audit"
	"github.com/tdmtap/tdmtap/hi/hi1/sign"
)

func init() {
	keys := &cobra.Command{Use: "keys", Short: "Ed25519 keys for signed provisioning and the audit chain"}
	gen := &cobra.Command{
		Use:   "gen PREFIX",
		Short: "Make an Ed25519 key pair: PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub (PKIX PEM)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			priv, pub, err := sign.GenerateKey()
			if err != nil {
				return err
			}
			kf, pf := args[0]+".key", args[0]+".pub"
			f, err := os.OpenFile(kf, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			if _, err := f.Write(priv); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := os.WriteFile(pf, pub, 0o644); err != nil {
				return err
			}
			pk, err := sign.ParsePublicKeyPEM(pub)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s and %s (audit key id %s)\n", kf, pf, audit.KeyID(pk))
			return nil
		},
	}
	keys.AddCommand(gen)
	root.AddCommand(keys)
}
