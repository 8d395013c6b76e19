package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tdmtap/tdmtap/hi/hi1/sign"
	"github.com/tdmtap/tdmtap/hi/hi1/x1"
)

// x1Flags are the connection and signing flags of `tdmtap warrant`.
type x1Flags struct {
	url, keyFile, keyID          string
	tlsCert, tlsKey, ca, pin, sn string
	admf, ne                     string
	timeout                      time.Duration
}

func (f *x1Flags) register(cmd *cobra.Command) {
	p := cmd.PersistentFlags()
	p.StringVar(&f.url, "url", "", "X1 endpoint of the node, e.g. https://10.0.0.5:8443/X1/NE (required)")
	p.StringVar(&f.keyFile, "key", "", "Ed25519 signing key (PEM, PKCS#8) (required)")
	p.StringVar(&f.keyID, "key-id", "", "id under which the signing key is registered on the node (required)")
	p.StringVar(&f.tlsCert, "cert", "", "client certificate (PEM) on the node's allowlist (required)")
	p.StringVar(&f.tlsKey, "cert-key", "", "client certificate's private key (PEM) (required)")
	p.StringVar(&f.ca, "ca", "", "CA certificate(s) (PEM) to verify the node")
	p.StringVar(&f.pin, "server-sha256", "", "pin the node's certificate by SHA-256 fingerprint (instead of or besides --ca)")
	p.StringVar(&f.sn, "server-name", "", "expected server name in the node's certificate")
	p.StringVar(&f.admf, "admf", "tdmtap-cli", "our admfIdentifier")
	p.StringVar(&f.ne, "ne", "", "the node's neIdentifier (required)")
	p.DurationVar(&f.timeout, "timeout", 30*time.Second, "request timeout")
}

func (f *x1Flags) client() (*x1.Client, error) {
	var missing []string
	for name, v := range map[string]string{"--url": f.url, "--key": f.keyFile, "--key-id": f.keyID, "--cert": f.tlsCert, "--cert-key": f.tlsKey, "--ne": f.ne} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing flags: %s", strings.Join(missing, ", "))
	}
	key, err := sign.LoadPrivateKey(f.keyFile)
	if err != nil {
		return nil, err
	}
	tc, err := x1.ClientTLS(f.tlsCert, f.tlsKey, f.ca, f.pin, f.sn)
	if err != nil {
		return nil, err
	}
	return &x1.Client{URL: f.url, KeyID: f.keyID, Key: key, ADMF: f.admf, NE: f.ne,
		HTTP: &http.Client{Timeout: f.timeout, Transport: &http.Transport{TLSClientConfig: tc}}}, nil
}

// taskFlags describe a warrant on the command line.
type taskFlags struct {
	xid, liid, roles, start, end, delivery string
	duration                               time.Duration
	targets, dests                         []string
}

func (t *taskFlags) register(cmd *cobra.Command, add bool) {
	fl := cmd.Flags()
	if add {
		fl.StringVar(&t.xid, "xid", "", "X1 task id (UUID; default: a new one)")
	}
	fl.StringVar(&t.liid, "liid", "", "lawful interception identifier (1..25 characters)")
	fl.StringArrayVar(&t.targets, "target", nil, "target E.164 number, e.g. +442079460001 (repeatable)")
	fl.StringVar(&t.roles, "roles", "", "party roles that count, comma separated ("+strings.Join(roleNames(), ", ")+"); default all")
	fl.StringVar(&t.start, "start", "", "start of validity (RFC 3339; default now)")
	fl.StringVar(&t.end, "end", "", "end of validity (RFC 3339)")
	fl.DurationVar(&t.duration, "duration", 0, "validity from start (instead of --end)")
	fl.StringVar(&t.delivery, "delivery", "", "iri or iri+cc")
	fl.StringArrayVar(&t.dests, "dest", nil, "destination dId (repeatable; see `warrant dest add`)")
}

func roleNames() []string {
	return []string{"calling", "called", "original_called", "redirecting", "redirection", "generic", "charge", "connected"}
}

// apply writes the flags that were given over td.
func (t *taskFlags) apply(cmd *cobra.Command, td *x1.TaskDetails) error {
	fl := cmd.Flags()
	if len(td.Mediation) == 0 {
		td.Mediation = []x1.Mediation{{}}
	}
	m := &td.Mediation[0]
	if fl.Changed("liid") {
		m.LIID = t.liid
	}
	if fl.Changed("target") {
		td.Targets = nil
		for _, n := range t.targets {
			td.Targets = append(td.Targets, x1.Target{E164: strings.TrimPrefix(strings.TrimSpace(n), "+")})
		}
	}
	if fl.Changed("roles") {
		td.NumberRoles = strings.Join(strings.FieldsFunc(t.roles, func(r rune) bool { return r == ',' || r == ' ' }), " ")
	}
	if fl.Changed("start") {
		m.Start = t.start
	}
	if m.Start == "" {
		m.Start = time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	if fl.Changed("end") {
		m.End = t.end
	}
	if fl.Changed("duration") {
		st, err := time.Parse(time.RFC3339Nano, m.Start)
		if err != nil {
			return fmt.Errorf("--start: %w", err)
		}
		m.End = st.Add(t.duration).UTC().Format(time.RFC3339)
	}
	if fl.Changed("delivery") {
		switch t.delivery {
		case "iri":
			td.DeliveryType, m.DeliveryType = x1.X2Only, "HI2Only"
		case "iri+cc":
			td.DeliveryType, m.DeliveryType = x1.X2andX3, "HI2andHI3"
		default:
			return fmt.Errorf("--delivery %q: iri or iri+cc", t.delivery)
		}
	}
	if fl.Changed("dest") {
		td.DIDs = t.dests
	}
	return nil
}

func printResponse(w io.Writer, r *x1.Response) error {
	if err := r.Err(); err != nil {
		return err
	}
	switch r.OK {
	case x1.OKAcknowledged:
		fmt.Fprintln(w, "accepted; awaiting a second li-admin signature (two-person rule): run `tdmtap warrant approve` with another key")
	case "":
	default:
		fmt.Fprintln(w, "OK")
	}
	return nil
}

func printTask(w io.Writer, r *x1.Response) {
	td := r.Task
	fmt.Fprintf(w, "xId:       %s\n", td.XID)
	if r.Status != nil {
		fmt.Fprintf(w, "status:    %s (modified %s, %d modification(s))\n", r.Status.ProvisioningStatus, r.Status.LastModification, r.Status.Modifications)
	}
	for _, m := range td.Mediation {
		fmt.Fprintf(w, "LIID:      %s\nvalid:     %s .. %s\n", m.LIID, m.Start, m.End)
	}
	fmt.Fprintf(w, "delivery:  %s\n", td.DeliveryType)
	roles := td.NumberRoles
	if roles == "" {
		roles = "all"
	}
	fmt.Fprintf(w, "roles:     %s\n", roles)
	for _, t := range td.Targets {
		fmt.Fprintf(w, "target:    +%s\n", t.E164)
	}
	for _, d := range td.DIDs {
		fmt.Fprintf(w, "dest:      %s\n", d)
	}
}

func init() {
	var xf x1Flags
	wc := &cobra.Command{
		Use:   "warrant",
		Short: "Provision warrants on a node over X1 (HTTPS, mutual TLS, every command signed)",
	}
	xf.register(wc)

	run := func(fn func(ctx context.Context, c *x1.Client, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			c, err := xf.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), xf.timeout)
			defer cancel()
			return fn(ctx, c, cmd, args)
		}
	}
	get := func(ctx context.Context, c *x1.Client, xid string) (*x1.Response, error) {
		r, err := c.Do(ctx, &x1.Request{Type: x1.GetTaskDetails, XID: xid})
		if err != nil {
			return nil, err
		}
		if err := r.Err(); err != nil {
			return nil, err
		}
		if r.Task == nil {
			return nil, errors.New("node returned no task details")
		}
		return r, nil
	}

	var addF taskFlags
	add := &cobra.Command{
		Use:   "add",
		Short: "Activate a warrant (ActivateTask)",
		Args:  cobra.NoArgs,
		RunE: run(func(ctx context.Context, c *x1.Client, cmd *cobra.Command, _ []string) error {
			td := &x1.TaskDetails{XID: addF.xid}
			if td.XID == "" {
				td.XID = x1.NewUUID()
			}
			if !cmd.Flags().Changed("delivery") {
				return errors.New("--delivery is required (iri or iri+cc)")
			}
			if err := addF.apply(cmd, td); err != nil {
				return err
			}
			r, err := c.Do(ctx, &x1.Request{Type: x1.ActivateTask, Task: td})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "xId", td.XID)
			return printResponse(cmd.OutOrStdout(), r)
		}),
	}
	addF.register(add, true)

	var modF taskFlags
	mod := &cobra.Command{
		Use:   "modify XID",
		Short: "Change a warrant (ModifyTask): the given flags replace those fields",
		Args:  cobra.ExactArgs(1),
		RunE: run(func(ctx context.Context, c *x1.Client, cmd *cobra.Command, args []string) error {
			cur, err := get(ctx, c, args[0])
			if err != nil {
				return err
			}
			td := cur.Task
			if err := modF.apply(cmd, td); err != nil {
				return err
			}
			r, err := c.Do(ctx, &x1.Request{Type: x1.ModifyTask, Task: td})
			if err != nil {
				return err
			}
			return printResponse(cmd.OutOrStdout(), r)
		}),
	}
	modF.register(mod, false)

	var approveModify bool
	approve := &cobra.Command{
		Use:   "approve XID",
		Short: "Second signature under the two-person rule: re-sign the pending command's details with this key",
		Args:  cobra.ExactArgs(1),
		RunE: run(func(ctx context.Context, c *x1.Client, cmd *cobra.Command, args []string) error {
			cur, err := get(ctx, c, args[0])
			if err != nil {
				return err
			}
			if cur.Status == nil || cur.Status.ProvisioningStatus != x1.StatusAwaitingApproval {
				return fmt.Errorf("xId %s is not awaiting approval", args[0])
			}
			printTask(cmd.OutOrStdout(), cur)
			typ := x1.ActivateTask
			if approveModify {
				typ = x1.ModifyTask
			}
			r, err := c.Do(ctx, &x1.Request{Type: typ, Task: cur.Task})
			if err != nil {
				return err
			}
			return printResponse(cmd.OutOrStdout(), r)
		}),
	}
	approve.Flags().BoolVar(&approveModify, "modify", false, "the pending command is a modification")

	remove := &cobra.Command{
		Use:   "remove XID",
		Short: "Deactivate a warrant (DeactivateTask)",
		Args:  cobra.ExactArgs(1),
		RunE: run(func(ctx context.Context, c *x1.Client, cmd *cobra.Command, args []string) error {
			r, err := c.Do(ctx, &x1.Request{Type: x1.DeactivateTask, XID: args[0]})
			if err != nil {
				return err
			}
			return printResponse(cmd.OutOrStdout(), r)
		}),
	}

	list := &cobra.Command{
		Use:   "list",
		Short: "List task and destination ids (ListAllDetails)",
		Args:  cobra.NoArgs,
		RunE: run(func(ctx context.Context, c *x1.Client, cmd *cobra.Command, _ []string) error {
			r, err := c.Do(ctx, &x1.Request{Type: x1.ListAllDetails})
			if err != nil {
				return err
			}
			if err := r.Err(); err != nil {
				return err
			}
			for _, x := range r.XIDs {
				fmt.Fprintln(cmd.OutOrStdout(), "task", x)
			}
			for _, d := range r.DIDs {
				fmt.Fprintln(cmd.OutOrStdout(), "dest", d)
			}
			return nil
		}),
	}

	show := &cobra.Command{
		Use:   "show XID",
		Short: "Show a warrant (GetTaskDetails)",
		Args:  cobra.ExactArgs(1),
		RunE: run(func(ctx context.Context, c *x1.Client, cmd *cobra.Command, args []string) error {
			r, err := get(ctx, c, args[0])
			if err != nil {
				return err
			}
			printTask(cmd.OutOrStdout(), r)
			return nil
		}),
	}

	ping := &cobra.Command{
		Use:   "ping",
		Short: "Check the X1 connection (Ping)",
		Args:  cobra.NoArgs,
		RunE: run(func(ctx context.Context, c *x1.Client, cmd *cobra.Command, _ []string) error {
			r, err := c.Do(ctx, &x1.Request{Type: x1.Ping})
			if err != nil {
				return err
			}
			return printResponse(cmd.OutOrStdout(), r)
		}),
	}

	dest := &cobra.Command{Use: "dest", Short: "X1 destinations: point tasks at configured LEMF destinations"}
	var dDID, dName, dDelivery, dAddr string
	dAdd := &cobra.Command{
		Use:   "add",
		Short: "Create a destination (CreateDestination); --name must be a LEMF destination of the node's configuration",
		Args:  cobra.NoArgs,
		RunE: run(func(ctx context.Context, c *x1.Client, cmd *cobra.Command, _ []string) error {
			if dDID == "" {
				dDID = x1.NewUUID()
			}
			dd := &x1.DestinationDetails{DID: dDID, FriendlyName: dName, DeliveryType: dDelivery}
			if dAddr != "" {
				host, port, ok := strings.Cut(strings.Trim(dAddr, "[]"), "]:")
				if !ok {
					host, port, _ = strings.Cut(dAddr, ":")
				}
				dd.Address = x1.Address{IP: host, Port: port}
			}
			r, err := c.Do(ctx, &x1.Request{Type: x1.CreateDestination, Destination: dd})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "dId", dDID)
			return printResponse(cmd.OutOrStdout(), r)
		}),
	}
	dAdd.Flags().StringVar(&dDID, "did", "", "destination id (UUID; default: a new one)")
	dAdd.Flags().StringVar(&dName, "name", "", "LEMF destination name from the node's configuration")
	dAdd.Flags().StringVar(&dDelivery, "delivery", x1.X2andX3, "X2Only or X2andX3")
	dAdd.Flags().StringVar(&dAddr, "address", "", "informational delivery address ip:port")
	dRemove := &cobra.Command{
		Use:   "remove DID",
		Short: "Remove a destination no active task uses (RemoveDestination)",
		Args:  cobra.ExactArgs(1),
		RunE: run(func(ctx context.Context, c *x1.Client, cmd *cobra.Command, args []string) error {
			r, err := c.Do(ctx, &x1.Request{Type: x1.RemoveDestination, DID: args[0]})
			if err != nil {
				return err
			}
			return printResponse(cmd.OutOrStdout(), r)
		}),
	}
	dest.AddCommand(dAdd, dRemove)

	wc.AddCommand(add, mod, approve, remove, list, show, ping, dest)
	root.AddCommand(wc)
}
