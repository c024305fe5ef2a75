package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

func init() {
	commands["verify"] = command{"check the hash chain of one engagement or of the whole store", runVerify}
}

// errChainBroken makes verify exit 1 after printing the broken link.
var errChainBroken = errors.New("hash chain broken")

// errNoEngagement: the store has no engagement of that id.
var errNoEngagement = errors.New("no engagement")

// engagementID is the shape of an id (openapi.yaml's Id): anything else
// names no engagement, and is not handed to the store.
var engagementID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c serveConfig
	var engagement string
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: candor verify [--data DIR] [--eventstore URL] [--engagement ID]\n\nRecomputes the hash chain of every engagement stream (or of one) and reports\nthe first broken link. Exit status 0 when every link holds, 1 otherwise.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.dataDir, "data", env("CANDOR_DATA_DIR", "./data"), "data directory of the embedded store (CANDOR_DATA_DIR)")
	fs.StringVar(&c.eventStore, "eventstore", env("CANDOR_EVENTSTORE", ""), "event store: empty for the embedded store, or an esdb:// connection string (CANDOR_EVENTSTORE)")
	fs.StringVar(&engagement, "engagement", "", "verify only this engagement")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
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
	var rep ledger.VerifyReport
	if engagement != "" {
		if !engagementID.MatchString(engagement) {
			return fmt.Errorf("%w %q", errNoEngagement, engagement)
		}
		rep, err = ledger.VerifyStream(ctx, store, ledger.StreamName(engagement))
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return fmt.Errorf("%w %q", errNoEngagement, engagement)
		}
	} else {
		rep, err = ledger.VerifyAll(ctx, store, ledger.StreamPrefix)
	}
	if err != nil {
		return err
	}
	if !rep.OK() {
		b := rep.Broken
		fmt.Fprintf(stdout, "BROKEN: stream %s, revision %d, position %d: %s\n(%d events in %d streams checked before it)\n",
			b.Stream, b.Revision, b.Position, b.Reason, rep.Events, rep.Streams)
		return errChainBroken
	}
	fmt.Fprintf(stdout, "OK: %d events in %d engagement streams; every link holds.\n", rep.Events, rep.Streams)
	return nil
}
