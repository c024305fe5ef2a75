package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/keystore"
	"github.com/candor-ledger/candor/personal"
)

func init() {
	commands["erase"] = command{"erase a data subject: destroy their key, record the erasure", runErase}
	commands["retention"] = command{"list the data subjects whose retention period has passed; --confirm erases them", runRetention}
}

// openPersonal opens keys.db in the data directory, on either backend:
// keys never go to EventStoreDB (see docs/PERSONAL_DATA.md).
// openOffline is what an offline command on personal data opens: the data
// directory's lock (a running server caches keys, and would keep showing an
// erased subject), the event store and the key store. done closes them.
func openOffline(ctx context.Context, c serveConfig, cmd string, stderr io.Writer) (_ *personal.Service, done func(), err error) {
	release, err := holdDataDir(c.dataDir, cmd, func(m string) { fmt.Fprintln(stderr, "candor "+cmd+":", m) })
	if err != nil {
		return nil, nil, err
	}
	store, _, err := openStore(ctx, c, nil)
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("open event store: %w", err)
	}
	svc, keys, err := openPersonal(ctx, c.dataDir, store)
	if err != nil {
		store.Close()
		release()
		return nil, nil, err
	}
	return svc, func() {
		keys.Close()
		store.Close()
		release()
	}, nil
}

func openPersonal(ctx context.Context, dataDir string, store eventstore.Store) (*personal.Service, *keystore.Store, error) {
	keys, err := keystore.Open(ctx, filepath.Join(dataDir, keystore.File))
	if err != nil {
		return nil, nil, err
	}
	svc, err := personal.NewService(ctx, store, keys)
	if err != nil {
		keys.Close()
		return nil, nil, err
	}
	return svc, keys, nil
}

func personalFlags(fs *flag.FlagSet, c *serveConfig) {
	fs.StringVar(&c.dataDir, "data", env("CANDOR_DATA_DIR", "./data"), "data directory: the embedded store and keys.db (CANDOR_DATA_DIR)")
	fs.StringVar(&c.eventStore, "eventstore", env("CANDOR_EVENTSTORE", ""), "event store: empty for the embedded store, or an esdb:// connection string (CANDOR_EVENTSTORE)")
}

func runRetention(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c serveConfig
	var confirm bool
	fs := flag.NewFlagSet("retention", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: candor retention [--confirm] [--data DIR] [--eventstore URL]\n\n"+
			"Lists the data subjects of the engagements closed with a retention period\n"+
			"(closeEngagement's retention_days) that has passed, and not yet erased. With\n"+
			"--confirm, erases each of them as candor erase does, the reason naming the\n"+
			"retention. Stop the server first.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	personalFlags(fs, &c)
	fs.BoolVar(&confirm, "confirm", false, "erase the subjects listed")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: retention takes no argument", errUsage)
	}
	svc, done, err := openOffline(ctx, c, "retention", stderr)
	if err != nil {
		return err
	}
	defer done()
	due, err := svc.Expired(ctx, time.Now())
	if err != nil {
		return err
	}
	if len(due) == 0 {
		fmt.Fprintln(stdout, "No data subject is past its retention.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBJECT\tENGAGEMENT\tCLOSED\tDAYS\tENDED")
	for _, e := range due {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", e.Subject, e.EngagementID, e.ClosedAt.UTC().Format(time.DateOnly), e.RetentionDays, e.EndedAt.UTC().Format(time.DateOnly))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !confirm {
		fmt.Fprintf(stdout, "\n%d data subjects past their retention. Run again with --confirm to erase them.\n", len(due))
		return nil
	}
	for _, e := range due {
		if _, _, err := svc.Erase(ctx, e.Subject, e.Reason(), "cli"); err != nil {
			return fmt.Errorf("erase %s: %w", e.Subject, err)
		}
	}
	fmt.Fprintf(stdout, "\nErased %d data subjects.\n", len(due))
	return nil
}

func runErase(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c serveConfig
	var subject, reason string
	fs := flag.NewFlagSet("erase", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: candor erase --subject ID --reason TEXT [--data DIR] [--eventstore URL]\n\n"+
			"Records the erasure (who: this command; when; why) and destroys the subject's key: their\n"+
			"personal fields read \"(erased)\" from then on, everywhere. Stop the server first, or\n"+
			"POST /v1/subjects/{id}/erasure to it.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	personalFlags(fs, &c)
	fs.StringVar(&subject, "subject", "", "the data subject, <stakeholder or expert id>@<engagement id>")
	fs.StringVar(&reason, "reason", "", "why (never the person's name)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if subject == "" || reason == "" {
		return fmt.Errorf("%w: --subject and --reason are required", errUsage)
	}
	svc, done, err := openOffline(ctx, c, "erase", stderr)
	if err != nil {
		return err
	}
	defer done()
	er, fresh, err := svc.Erase(ctx, subject, reason, "cli")
	if err != nil {
		return err
	}
	if !fresh {
		fmt.Fprintf(stdout, "%s was erased already, at %s.\n", er.Subject, er.At.Format("2006-01-02T15:04:05Z"))
		return nil
	}
	fmt.Fprintf(stdout, "Erased %s at %s.\n", er.Subject, er.At.Format("2006-01-02T15:04:05Z"))
	return nil
}

// exportSubject is candor export --subject: every fact naming the subject,
// decrypted, as JSON.
func exportSubject(ctx context.Context, c serveConfig, subject, out string, stdout io.Writer) error {
	store, _, err := openStore(ctx, c, nil)
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	defer store.Close()
	svc, keys, err := openPersonal(ctx, c.dataDir, store)
	if err != nil {
		return err
	}
	defer keys.Close()
	f, err := svc.Facts(ctx, subject)
	if err != nil {
		return err
	}
	w := stdout
	if out != "" {
		file, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}
