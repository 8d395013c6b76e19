// Command tdmtap is the lawful-intercept gateway daemon and the field
// engineers' CLI. Each subcommand lives in its own file and registers itself
// on the root command from an init function.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var root = &cobra.Command{
	Use:           "tdmtap",
	Short:         "Lawful-intercept gateway for TDM class 5 switches (SIGTRAN/ISUP + E1/T1 → ETSI HI2/HI3)",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "tdmtap:", err)
		os.Exit(1)
	}
}
