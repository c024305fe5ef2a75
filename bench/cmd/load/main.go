// Command load measures Candor's HTTP API under load: it builds the candor
// binary, starts it on a free loopback port with a fresh data directory,
// prepares a member principal and engagements through the API, and runs
// vegeta attacks against it.
//
// Scenarios (see BENCHMARKS.md for the numbers and how they were made):
//
//	load mixed        80% reads / 20% writes over the engagements
//	load write        writes only, compared with a bare Echo handler
//	load growth       the write load against stores prefilled with N events
//	load sweep        writes at several concurrencies, plotted to a PNG
//	load all          all of the above, in that order
//	load wrk          the write scenario with wrk instead of vegeta
//	load peers        the full stack against plain Echo + PostgreSQL, Echo +
//	                  Candor's store and bare Echo, alternating rounds (wrk)
//	load peer-server  one of those peers (started by "write", "wrk" and
//	                  "peers" themselves)
//
// Results are printed and written as JSON (and PNG) to -out.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the flags shared by every scenario.
type options struct {
	duration    time.Duration
	conns       int
	engagements int
	tokens      int
	out         string
	bin         string
	repo        string
	serverEnv   multiFlag
	readRatio   float64
	prefill     []int
	sweepConns  []int
	sweepDur    time.Duration
	keepData    bool
	rounds      int
	pgBin       string
	noBare      bool
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func intList(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		mult := 1
		switch {
		case strings.HasSuffix(f, "k"):
			mult, f = 1000, strings.TrimSuffix(f, "k")
		case strings.HasSuffix(f, "M"):
			mult, f = 1000000, strings.TrimSuffix(f, "M")
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad number %q in list", f)
		}
		out = append(out, n*mult)
	}
	return out, nil
}

func usage() {
	fmt.Fprintf(os.Stderr, `usage: load SCENARIO [flags]

scenarios: mixed, write, growth, sweep, all, wrk (the write load with wrk),
peers (the full stack against its peers, with wrk), peer-server
run "load SCENARIO -h" for the flags.
`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	scenario := os.Args[1]
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if scenario == "peer-server" {
		var c peerConfig
		fs := flag.NewFlagSet("peer-server", flag.ExitOnError)
		fs.StringVar(&c.kind, "kind", "bare", "bare (nothing stored), store (Candor's embedded store), pg (PostgreSQL)")
		fs.StringVar(&c.addr, "addr", "127.0.0.1:0", "listen address")
		fs.StringVar(&c.data, "data", "", "store: data directory (events.db)")
		fs.StringVar(&c.dsn, "dsn", "", "pg: connection string")
		fs.IntVar(&c.conns, "pool", 64, "pg: connections in the pool")
		_ = fs.Parse(os.Args[2:])
		if err := runPeerServer(ctx, c); err != nil {
			fmt.Fprintln(os.Stderr, "peer-server:", err)
			os.Exit(1)
		}
		return
	}

	var o options
	fs := flag.NewFlagSet(scenario, flag.ExitOnError)
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "duration of each measured attack")
	fs.IntVar(&o.conns, "conns", 64, "concurrent connections (workers)")
	fs.IntVar(&o.engagements, "engagements", 1000, "engagements created and spread over")
	fs.IntVar(&o.tokens, "tokens", 64, "bearer tokens of the member, used round-robin by engagement")
	fs.StringVar(&o.out, "out", "results", "folder for the JSON results and plots")
	fs.StringVar(&o.bin, "bin", "", "a prebuilt candor binary (default: go build ../cmd/candor)")
	fs.StringVar(&o.repo, "repo", "..", "root of the candor module (to build the binary)")
	fs.Var(&o.serverEnv, "server-env", "extra KEY=VALUE for the server (repeatable)")
	fs.Float64Var(&o.readRatio, "read-ratio", 0.8, "share of reads in the mixed scenario")
	prefill := fs.String("prefill", "0,100k,1M", "growth: events prefilled in the store before each run")
	sweep := fs.String("sweep-conns", "8,16,32,64,128", "sweep: concurrencies")
	fs.DurationVar(&o.sweepDur, "sweep-duration", 0, "sweep: duration of each point (default: -duration)")
	fs.BoolVar(&o.noBare, "no-bare", false, "wrk: skip the bare handler's run (for comparing builds or settings of the full stack, round after round)")
	fs.BoolVar(&o.keepData, "keep-data", false, "keep the data directories (printed) instead of removing them")
	fs.IntVar(&o.rounds, "rounds", 3, "peers: rounds, each running every target for -duration")
	fs.StringVar(&o.pgBin, "pg-bin", "", "peers: directory of PostgreSQL's initdb and postgres (default: the newest /usr/lib/postgresql/*/bin)")
	_ = fs.Parse(os.Args[2:])
	var err error
	if o.prefill, err = intList(*prefill); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if o.sweepConns, err = intList(*sweep); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if o.sweepDur == 0 {
		o.sweepDur = o.duration
	}
	o.tokens, o.rounds = max(o.tokens, 1), max(o.rounds, 1)
	// The per-token rate limit (default 50/s) stays on, so its middleware is
	// measured, but high enough not to refuse the load; -server-env
	// CANDOR_RATE_LIMIT=... overrides it.
	if !slices.ContainsFunc(o.serverEnv, func(kv string) bool { return strings.HasPrefix(kv, "CANDOR_RATE_LIMIT=") }) {
		o.serverEnv = append(o.serverEnv, "CANDOR_RATE_LIMIT=1000000")
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	r, err := newRunner(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	defer r.close()
	scenarios := map[string]func(context.Context) error{
		"mixed": r.mixed, "write": r.write, "growth": r.growth, "sweep": r.sweep, "wrk": r.wrkWrite, "peers": r.peers,
	}
	var run []string
	if scenario == "all" {
		run = []string{"mixed", "write", "growth", "sweep"}
	} else if _, ok := scenarios[scenario]; ok {
		run = []string{scenario}
	} else {
		usage()
	}
	failed := false
	for _, name := range run {
		logf("=== scenario %s", name)
		if err := scenarios[name](ctx); err != nil {
			fmt.Fprintf(os.Stderr, "load: %s: %v\n", name, err)
			failed = true
		}
	}
	if failed {
		r.close()
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
