package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/evidence"
	"github.com/candor-ledger/candor/ledger"
)

func init() {
	commands["export"] = command{"write an engagement's evidence bundle (events, checkpoint, proofs, public key)", runExport}
	commands["evidence"] = command{"print the log's public key, or rotate its signing key", runEvidence}
}

// evidenceConfig is the transparency log's part of serve's configuration.
type evidenceConfig struct {
	on      bool
	keyFile string // empty: <data>/evidence.key
}

// registerEvidenceFlags adds the log's flags to serve (and to the
// commands that open the log).
func registerEvidenceFlags(fs *flag.FlagSet, c *evidenceConfig) {
	on, err := strconv.ParseBool(env("CANDOR_EVIDENCE", "true"))
	if v := env("CANDOR_EVIDENCE", ""); v == "off" {
		on, err = false, nil
	}
	if err != nil {
		on = true // refused in checkEvidenceFlag, with the value
	}
	fs.BoolVar(&c.on, "evidence", on, "keep the transparency log: signed checkpoints, receipts, proofs (docs/EVIDENCE.md); --evidence=false (or CANDOR_EVIDENCE=off) to measure its cost (CANDOR_EVIDENCE)")
	fs.StringVar(&c.keyFile, "evidence-key", env("CANDOR_EVIDENCE_KEY", ""), "the log's signing key file; created on first start when it is the default, <data>/evidence.key (CANDOR_EVIDENCE_KEY)")
}

// checkEvidenceEnv refuses a CANDOR_EVIDENCE that is neither a boolean nor "off".
func checkEvidenceEnv() error {
	v, ok := os.LookupEnv("CANDOR_EVIDENCE")
	if !ok || v == "off" {
		return nil
	}
	if _, err := strconv.ParseBool(v); err != nil {
		return fmt.Errorf("%w: CANDOR_EVIDENCE %q: want true, false or off", errUsage, v)
	}
	return nil
}

func (c evidenceConfig) key(dataDir string) (*evidence.Key, bool, error) {
	if c.keyFile != "" {
		return evidence.LoadKey(c.keyFile, false) // a configured key is never made up
	}
	return evidence.LoadKey(filepath.Join(dataDir, evidence.KeyFile), true)
}

// openEvidence opens the log of the data directory, brings it up to the
// store and checks the store against it.
func openEvidence(ctx context.Context, c serveConfig, store eventstore.Store, log *slog.Logger) (*evidence.Log, evidence.CheckReport, bool, error) {
	if err := os.MkdirAll(c.dataDir, 0o750); err != nil {
		return nil, evidence.CheckReport{}, false, fmt.Errorf("data directory: %w", err)
	}
	key, created, err := c.evidence.key(c.dataDir)
	if err != nil {
		return nil, evidence.CheckReport{}, false, err
	}
	dbPath := filepath.Join(c.dataDir, evidence.DBFile)
	_, statErr := os.Stat(dbPath)
	l, err := evidence.Open(ctx, dbPath, store, key, evidence.Options{Logger: log})
	if err != nil {
		return nil, evidence.CheckReport{}, false, err
	}
	if head, err := store.Head(ctx); err == nil && head != eventstore.Start && !created && errors.Is(statErr, fs.ErrNotExist) {
		// The key signed checkpoints of a log that is gone: rebuilt from
		// the store, it would hide any change made to the store meanwhile.
		l.SetBreach(&evidence.Breach{Reason: "the transparency log is missing while its signing key exists: it was rebuilt from a store that may have been changed"})
	}
	rep, err := l.Start(ctx)
	if err != nil {
		l.Close()
		return nil, rep, false, err
	}
	return l, rep, created, nil
}

// startEvidence is serve's part: open and check the log, say what the
// public key is and whether the store matches, and follow the store until
// stop is called (after the HTTP server has drained).
func startEvidence(ctx context.Context, c serveConfig, store eventstore.Store, stdout io.Writer, log *slog.Logger) (*evidence.Log, func(), error) {
	if !c.evidence.on {
		log.Warn("evidence log off: no receipts, no checkpoints")
		return nil, func() {}, nil
	}
	l, rep, created, err := openEvidence(ctx, c, store, log)
	if err != nil {
		return nil, nil, fmt.Errorf("open evidence log: %w", err)
	}
	if created {
		fmt.Fprintln(stdout, "Created the transparency log's signing key.")
	}
	fmt.Fprintf(stdout, "Checkpoints are signed by: %s\n\n", l.Key().Public)
	if !rep.OK() {
		log.Error("the store does not match its transparency log: serving read-only",
			slog.String("breach", rep.Findings[0].String()), slog.Int("findings", len(rep.Findings)))
		fmt.Fprintf(stdout, "BREACH: the store does not match its transparency log (%s). Serving read-only; run 'candor verify'.\n", rep.Findings[0])
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		runProjections(runCtx, l, &runState{}, log, time.Second, 30*time.Second)
	}()
	return l, func() {
		stop()
		<-done
		if err := l.Close(); err != nil {
			log.Error("close evidence log", slog.String("error", err.Error()))
		}
	}, nil
}

func storeFlags(fs *flag.FlagSet, c *serveConfig) {
	fs.StringVar(&c.dataDir, "data", env("CANDOR_DATA_DIR", "./data"), "data directory (CANDOR_DATA_DIR)")
	fs.StringVar(&c.eventStore, "eventstore", env("CANDOR_EVENTSTORE", ""), "event store: empty for the embedded store, or an esdb:// connection string (CANDOR_EVENTSTORE)")
	registerEvidenceFlags(fs, &c.evidence)
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c serveConfig
	var engagement, stream, subject, out string
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: candor export --engagement ID|--stream NAME|--subject ID [--out FILE] [--data DIR] [--eventstore URL]\n\n"+
			"--engagement, --stream: writes the evidence bundle: every event as stored\n(personal fields sealed), each with its inclusion proof under a fresh signed\ncheckpoint, the public keys, and the\nconsistency proofs of the checkpoints its clients witnessed. Check it with\n'candor verify --bundle FILE' or 'candor-verify', with no server. Stop the\nserver first, or download GET /v1/engagements/{id}/export from it.\n\n"+
			"--subject: writes every fact naming a data subject, personal fields\ndecrypted, as JSON (GDPR Art. 15; GET /v1/subjects/{id} on a running server).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	storeFlags(fs, &c)
	fs.StringVar(&engagement, "engagement", "", "the engagement to export")
	fs.StringVar(&stream, "stream", "", "instead of an engagement, any stream, e.g. candor.principals (roles, tokens, revocations)")
	fs.StringVar(&subject, "subject", "", "instead of evidence, what is held about a data subject, <stakeholder or expert id>@<engagement id>, decrypted")
	fs.StringVar(&out, "out", "", "the file to write (default: stdout)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	given := 0
	for _, v := range []string{engagement, stream, subject} {
		if v != "" {
			given++
		}
	}
	switch {
	case given != 1:
		return fmt.Errorf("%w: give one of --engagement, --stream or --subject", errUsage)
	case subject != "":
		return exportSubject(ctx, c, subject, out, stdout)
	case engagement != "":
		stream = ledger.StreamName(engagement)
	}
	store, _, err := openStore(ctx, c, nil)
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	defer store.Close()
	l, rep, _, err := openEvidence(ctx, c, store, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	defer l.Close()
	if !rep.OK() {
		fmt.Fprintf(stderr, "warning: the store does not match its log (%s); the bundle shows it as it is\n", rep.Findings[0])
	}
	b, err := l.Export(ctx, stream)
	if err != nil {
		return err
	}
	if len(b.Events) == 0 && len(b.Missing) == 0 {
		return fmt.Errorf("nothing to export: no stream %s", stream)
	}
	w := stdout
	if out != "" {
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(b); err != nil {
		return err
	}
	if out != "" {
		fmt.Fprintf(stderr, "wrote %s: %d events, checkpoint of %d leaves\n", out, len(b.Events), rep.Leaves)
	}
	return nil
}

func runEvidence(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var c serveConfig
	fs := flag.NewFlagSet("evidence", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: candor evidence key|rotate [--data DIR] [--evidence-key FILE]\n\n  key     print the public key that verifies the log's checkpoints\n  rotate  (server stopped) replace the signing key; the old public key is kept\n          in <data>/evidence.oldkeys, so checkpoints it signed stay valid\n\nFlags:\n")
		fs.PrintDefaults()
	}
	storeFlags(fs, &c)
	if len(args) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: key or rotate", errUsage)
	}
	sub := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return usageErr(err)
	}
	path := c.evidence.keyFile
	if path == "" {
		path = filepath.Join(c.dataDir, evidence.KeyFile)
	}
	switch sub {
	case "key":
		k, _, err := evidence.LoadKey(path, false)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, k.Public)
		for _, p := range k.Previous {
			fmt.Fprintln(stdout, p, "(previous)")
		}
		return nil
	case "rotate":
		k, err := evidence.Rotate(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "New signing key. Checkpoints are now signed by:\n%s\nPrevious public keys (still valid for what they signed) are in %s.\n",
			k.Public, filepath.Join(filepath.Dir(path), evidence.OldKeysFile))
		return nil
	}
	return fmt.Errorf("%w: unknown evidence command %q: key or rotate", errUsage, sub)
}
