package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/candor-ledger/candor/projections"
)

func init() {
	commands["projections"] = command{"list the read models, or rebuild them (offline)", runProjectionsCmd}
}

const projectionsHelp = `Usage:
  candor projections list    [--data DIR] [--eventstore URL]
  candor projections rebuild [--data DIR] [--eventstore URL] [name...]

list prints every read model with its version, generation, checkpoint and
how far it is behind the event store.

rebuild builds the named read models (all of them when none is named) again
from the first event into a new generation, then switches over to it and
drops the old one. It shows a progress bar on a terminal, percentage lines
otherwise.

Stop the server first: rebuild works on <data>/readmodels.db offline, and a
running server would keep serving (and updating) the generation it knows.
Both commands take the data directory's lock (<data>/candor.lock): while a
server runs on it, they are refused, naming the server's process.
A server rebuilds by itself, in the background and while serving, any read
model whose version changed since its last start; this command is for the
other cases (a read model suspected wrong, a restore).

Flags:
`

func runProjectionsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c serveConfig
	fs := flag.NewFlagSet("projections", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, projectionsHelp)
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nRead models: %s\n", strings.Join(projections.Names(), ", "))
	}
	fs.StringVar(&c.dataDir, "data", env("CANDOR_DATA_DIR", "./data"), "data directory: the embedded store and readmodels.db (CANDOR_DATA_DIR)")
	fs.StringVar(&c.eventStore, "eventstore", env("CANDOR_EVENTSTORE", ""), "event store: empty for the embedded store, or an esdb:// connection string (CANDOR_EVENTSTORE)")
	if len(args) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: want list or rebuild", errUsage)
	}
	sub, rest := args[0], args[1:]
	if sub == "-h" || sub == "--help" || sub == "help" {
		fs.Usage()
		return flag.ErrHelp
	}
	if sub != "list" && sub != "rebuild" {
		fs.Usage()
		return fmt.Errorf("%w: unknown subcommand %q, want list or rebuild", errUsage, sub)
	}
	if err := fs.Parse(rest); err != nil {
		return usageErr(err)
	}
	names := fs.Args()
	if sub == "list" && len(names) > 0 {
		return fmt.Errorf("%w: list takes no argument", errUsage)
	}
	for _, n := range names {
		if !slices.Contains(projections.Names(), n) {
			return fmt.Errorf("%w: no read model %q (have %s)", errUsage, n, strings.Join(projections.Names(), ", "))
		}
	}
	if len(names) == 0 {
		names = projections.Names()
	}

	release, err := holdDataDir(c.dataDir, "projections "+sub, func(m string) { fmt.Fprintln(stderr, "candor projections:", m) })
	if err != nil {
		return err
	}
	defer release()
	store, _, err := openStore(ctx, c, nil)
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	defer store.Close()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rm, err := openReadModels(ctx, c.dataDir, store, nil, log)
	if err != nil {
		return err
	}
	defer rm.Close()

	if sub == "list" {
		return listProjections(ctx, rm, stdout)
	}
	for _, n := range names {
		bar := newProgress(stdout, n)
		if err := rm.Rebuild(ctx, n, bar.update); err != nil {
			bar.abort()
			if errors.Is(err, context.Canceled) {
				return fmt.Errorf("rebuild %s interrupted; the read model in use before is unchanged", n)
			}
			return err
		}
		bar.finish()
	}
	return nil
}

func listProjections(ctx context.Context, rm *projections.Engine, stdout io.Writer) error {
	lag, err := rm.Lag(ctx)
	if err != nil {
		return err
	}
	ps := slices.Clone(lag.Projections)
	order := projections.Names()
	slices.SortStableFunc(ps, func(a, b projections.ProjectionStatus) int {
		return slices.Index(order, a.Name) - slices.Index(order, b.Name)
	})
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tGENERATION\tPOSITION\tBEHIND\tSTATE")
	for _, p := range ps {
		state := "serving"
		if !p.Serving {
			state = "building"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", p.Name, p.Version, p.Generation, p.Position, p.Behind, state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "store head: %d\n", lag.Head)
	return nil
}

// progress shows how far a rebuild went: a bar redrawn in place on a
// terminal, a line every 10% otherwise (logs, pipes).
type progress struct {
	w     io.Writer
	name  string
	tty   bool
	shown int // last percentage shown
	done  uint64
}

func newProgress(w io.Writer, name string) *progress {
	p := &progress{w: w, name: name, shown: -1}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *progress) update(done, total uint64) {
	p.done = done
	pct := 100
	if total > 0 {
		pct = int(min(100, done*100/total))
	}
	if p.tty {
		if pct == p.shown {
			return
		}
		const width = 40
		n := pct * width / 100
		fmt.Fprintf(p.w, "\r%-15s [%s%s] %3d%%  %d/%d", p.name, strings.Repeat("=", n), strings.Repeat(" ", width-n), pct, done, total)
		p.shown = pct
		return
	}
	if step := pct / 10 * 10; step > p.shown {
		fmt.Fprintf(p.w, "%s: %d%% (position %d of %d)\n", p.name, step, done, total)
		p.shown = step
	}
}

func (p *progress) finish() {
	if p.tty {
		fmt.Fprint(p.w, "\n")
	}
	fmt.Fprintf(p.w, "%s: rebuilt up to position %d\n", p.name, p.done)
}

func (p *progress) abort() {
	if p.tty {
		fmt.Fprint(p.w, "\n")
	}
}
