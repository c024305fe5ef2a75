package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/candor-ledger/candor/auth"
)

func init() {
	commands["admin-token"] = command{"issue a new admin token (locked out: run it on the stopped server's data)", runAdminToken}
}

const adminTokenHelp = `Usage: candor admin-token [--data DIR] [--eventstore URL] [--label LABEL]

The way back in when no admin can authenticate any more (its tokens lost or
revoked): issues a new bearer token to the oldest enabled admin principal,
prints it once, and stores only its hash. When every admin is disabled, it
enables the oldest one first; on a store with no admin, it creates one.

Run it with the server stopped, on the same --data (the embedded store is
locked while a server runs on it) and --eventstore. On EventStoreDB it may
run beside the servers: they see the new token at once.

Flags:
`

func runAdminToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c serveConfig
	var label string
	fs := flag.NewFlagSet("admin-token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, adminTokenHelp)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.dataDir, "data", env("CANDOR_DATA_DIR", "./data"), "data directory of the embedded store (CANDOR_DATA_DIR)")
	fs.StringVar(&c.eventStore, "eventstore", env("CANDOR_EVENTSTORE", ""), "event store: empty for the embedded store, or an esdb:// connection string (CANDOR_EVENTSTORE)")
	fs.StringVar(&label, "label", "admin-token", "label of the new token")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if c.eventStore == "" {
		release, err := holdDataDir(c.dataDir, "admin-token", func(m string) { fmt.Fprintln(stderr, "candor admin-token:", m) })
		if err != nil {
			return err
		}
		defer release()
	}
	store, _, err := openStore(ctx, c, nil)
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	defer store.Close()
	reg, err := auth.Open(ctx, store)
	if err != nil {
		return err
	}
	defer reg.Close()
	rec, err := reg.RecoverAdmin(ctx, label)
	if err != nil {
		return err
	}
	switch {
	case rec.Created:
		fmt.Fprintf(stdout, "The store had no admin: created the admin principal %q (%s).\n", rec.Admin.Name, rec.Admin.ID)
	case rec.Enabled:
		fmt.Fprintf(stdout, "Every admin was disabled: enabled %q (%s) again.\n", rec.Admin.Name, rec.Admin.ID)
	}
	fmt.Fprintf(stdout, "Issued a token to the admin %q (%s), labelled %q. Its bearer token, shown only now:\n\n  %s\n\n"+
		"Start the server again and use it; revoke the tokens you no longer trust (DELETE /v1/tokens/{id}).\n",
		rec.Admin.Name, rec.Admin.ID, rec.Token.Label, rec.Token.Secret)
	return nil
}
