package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/keystore"
	"github.com/candor-ledger/candor/personal"
)

func init() {
	commands["erase"] = command{"erase a data subject: destroy their key, record the erasure", runErase}
	commands["export"] = command{"export what is held about a data subject, decrypted, as JSON", runExport}
}

// openPersonal opens keys.db in the data directory, on either backend:
// keys never go to EventStoreDB (see docs/PERSONAL_DATA.md).
func openPersonal(ctx context.Context, dataDir string, store eventstore.Store) (*personal.Service, *keystore.Store, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, nil, err
	}
	keys, err := keystore.Open(ctx, filepath.Join(dataDir, "keys.db"))
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

func subjectFlags(name, usage string, stderr io.Writer) (*flag.FlagSet, *serveConfig, *string) {
	var c serveConfig
	var subject string
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage+"\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.dataDir, "data", env("CANDOR_DATA_DIR", "./data"), "data directory: the embedded store and keys.db (CANDOR_DATA_DIR)")
	fs.StringVar(&c.eventStore, "eventstore", env("CANDOR_EVENTSTORE", ""), "event store: empty for the embedded store, or an esdb:// connection string (CANDOR_EVENTSTORE)")
	fs.StringVar(&subject, "subject", "", "the data subject, <stakeholder or expert id>@<engagement id>")
	return fs, &c, &subject
}

func runErase(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c, subject := subjectFlags("erase", "Usage: candor erase --subject ID --reason TEXT [--data DIR] [--eventstore URL]\n\n"+
		"Records the erasure (who: this command; when; why) and destroys the subject's key: their\n"+
		"personal fields read \"(erased)\" from then on, everywhere. Stop the server first.", stderr)
	reason := fs.String("reason", "", "why (never the person's name)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if *subject == "" || *reason == "" {
		return usageErr(fmt.Errorf("--subject and --reason are required"))
	}
	store, _, err := openStore(ctx, *c, nil)
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	defer store.Close()
	svc, keys, err := openPersonal(ctx, c.dataDir, store)
	if err != nil {
		return err
	}
	defer keys.Close()
	er, fresh, err := svc.Erase(ctx, *subject, *reason, "cli")
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

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c, subject := subjectFlags("export", "Usage: candor export --subject ID [--data DIR] [--eventstore URL]\n\n"+
		"Writes every fact naming the subject, decrypted, as JSON on stdout (GDPR Art. 15).", stderr)
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if *subject == "" {
		return usageErr(fmt.Errorf("--subject is required"))
	}
	store, _, err := openStore(ctx, *c, nil)
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	defer store.Close()
	svc, keys, err := openPersonal(ctx, c.dataDir, store)
	if err != nil {
		return err
	}
	defer keys.Close()
	f, err := svc.Facts(ctx, *subject)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}
