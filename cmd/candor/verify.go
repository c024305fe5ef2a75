package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/evidence"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/verifier"
)

func init() {
	commands["verify"] = command{"check the store against its hash chains and transparency log, or a bundle offline", runVerify}
}

// errChainBroken makes verify exit 1 after printing what does not hold.
var errChainBroken = errors.New("evidence does not hold")

const verifyHelp = `Usage:
  candor verify [--data DIR] [--eventstore URL] [--engagement ID]
  candor verify --bundle FILE [--receipts DIR] [--key PUBLIC_KEY]

Without --bundle: checks the store. Every stream's hash chain, and every
event of the store against its leaf in the transparency log (a changed
event, a lost one, a changed recorded time), and the log against its last
signed checkpoint. With --engagement, the chain of that engagement and its
export verified as an auditor would.

With --bundle: checks an export offline, with no server and no store: the
checkpoint's signature, every event's hash, chain and inclusion, the
consistency of every witnessed checkpoint, and each receipt in DIR (*.json,
a receipt or a whole write response) against the bundle.

Exit status 0 when everything holds, 1 otherwise.

Flags:
`

// errNoEngagement: the store has no engagement of that id.
var errNoEngagement = errors.New("no engagement")

// engagementID is the shape of an id (openapi.yaml's Id): anything else
// names no engagement, and is not handed to the store.
var engagementID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c serveConfig
	var engagement, bundle, receipts, key string
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, verifyHelp)
		fs.PrintDefaults()
	}
	storeFlags(fs, &c)
	fs.StringVar(&engagement, "engagement", "", "verify only this engagement")
	fs.StringVar(&bundle, "bundle", "", "verify this export offline")
	fs.StringVar(&receipts, "receipts", "", "with --bundle: a directory of receipts to check against it")
	fs.StringVar(&key, "key", "", "with --bundle: the public key the checkpoints must be signed by (default: the keys the bundle names; pin the one you got out of band)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if bundle != "" {
		return verifyBundle(bundle, receipts, key, stdout)
	}
	if receipts != "" {
		return fmt.Errorf("%w: --receipts goes with --bundle", errUsage)
	}
	if c.eventStore == "" {
		// Opening would create an empty store, which verifies nothing.
		if _, err := os.Stat(filepath.Join(c.dataDir, "events.db")); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no store in %s (no events.db): give the server's --data", c.dataDir)
		}
	}
	store, _, err := openStore(ctx, c, nil)
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	defer store.Close()
	_, err = os.Stat(filepath.Join(c.dataDir, evidence.DBFile))
	hasLog := !errors.Is(err, iofs.ErrNotExist)
	var rep ledger.VerifyReport
	if engagement != "" {
		if !engagementID.MatchString(engagement) {
			return fmt.Errorf("%w %q", errNoEngagement, engagement)
		}
		rep, err = ledger.VerifyStream(ctx, store, ledger.StreamName(engagement))
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			// The log tells a removed stream from one that never was.
			if !hasLog {
				return fmt.Errorf("%w %q", errNoEngagement, engagement)
			}
			if none, err := verifyLog(ctx, c, store, engagement, io.Discard); err != nil || none {
				return fmt.Errorf("%w %q", errNoEngagement, engagement)
			}
			fmt.Fprintf(stdout, "BROKEN: the store has no stream for engagement %s, which the transparency log holds.\n", engagement)
			_, err := verifyLog(ctx, c, store, engagement, stdout)
			if err != nil {
				return err
			}
			return errChainBroken
		}
	} else {
		rep, err = ledger.VerifyAll(ctx, store, ledger.StreamPrefix)
	}
	if err != nil {
		return err
	}
	broken := false
	if !rep.OK() {
		b := rep.Broken
		fmt.Fprintf(stdout, "BROKEN: stream %s, revision %d, position %d: %s\n(%d events in %d streams checked before it)\n",
			b.Stream, b.Revision, b.Position, b.Reason, rep.Events, rep.Streams)
		broken = true
	} else {
		fmt.Fprintf(stdout, "OK: %d events in %d engagement streams; every link holds.\n", rep.Events, rep.Streams)
	}
	if !hasLog {
		fmt.Fprintln(stdout, "No transparency log in the data directory: only the hash chains were checked.")
	} else if ok, err := verifyLog(ctx, c, store, engagement, stdout); err != nil {
		return err
	} else if !ok {
		broken = true
	}
	if broken {
		return errChainBroken
	}
	return nil
}

// verifyLog checks the store against the log: all of it, or one
// engagement's export as the offline verifier sees it.
func verifyLog(ctx context.Context, c serveConfig, store eventstore.Store, engagement string, stdout io.Writer) (bool, error) {
	key, _, err := c.evidence.key(c.dataDir)
	if err != nil {
		return false, err
	}
	// Read as it is: a running server may be following the store, so
	// nothing is ingested here; what the log has not seen yet is not checked.
	l, err := evidence.Open(ctx, filepath.Join(c.dataDir, evidence.DBFile), store, key, evidence.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return false, err
	}
	defer l.Close()
	if engagement == "" {
		rep, err := l.Check(ctx)
		if err != nil {
			return false, err
		}
		if rep.OK() {
			fmt.Fprintf(stdout, "OK: %d events match their %d leaves in the transparency log.\n", rep.Events, rep.Leaves)
			return true, nil
		}
		for _, f := range rep.Findings {
			fmt.Fprintf(stdout, "BROKEN: %s\n", f)
		}
		return false, nil
	}
	b, err := l.Export(ctx, ledger.StreamName(engagement))
	if err != nil {
		return false, err
	}
	rep, err := verifier.Verify(b, nil)
	if err != nil {
		return false, err
	}
	return printReport(stdout, &rep), nil
}

func verifyBundle(path, receiptsDir, key string, stdout io.Writer) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var b verifier.Bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		return fmt.Errorf("read bundle %s: %w", path, err)
	}
	if key != "" {
		b.PublicKeys = []string{key}
	}
	var rcs []verifier.Receipt
	if receiptsDir != "" {
		names, err := filepath.Glob(filepath.Join(receiptsDir, "*.json"))
		if err != nil {
			return err
		}
		sort.Strings(names)
		for _, n := range names {
			raw, err := os.ReadFile(n)
			if err != nil {
				return err
			}
			rc, err := verifier.ParseReceipt(raw)
			if err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
			rcs = append(rcs, rc)
		}
	}
	rep, err := verifier.Verify(&b, rcs)
	if err != nil {
		fmt.Fprintf(stdout, "BROKEN: %v\n", err)
		return errChainBroken
	}
	if !printReport(stdout, &rep) {
		return errChainBroken
	}
	return nil
}

func printReport(w io.Writer, rep *verifier.Report) bool {
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "BROKEN: %s\n", p)
	}
	if !rep.OK() {
		return false
	}
	fmt.Fprintf(w, "OK: %d events, each in the signed log of %d leaves (%s); %d witnessed checkpoints and %d receipts consistent.\n",
		rep.Events, rep.Checkpoint.Size, rep.Checkpoint.Time.Format("2006-01-02T15:04:05Z07:00"), rep.Witnessed, rep.Receipts)
	return true
}
