// Command candor runs the Candor engagement ledger.
//
//	candor serve         the REST API and its read models (see candor serve --help)
//	candor healthcheck   exit 0 when the server's /readyz answers 200
//	candor verify        check the hash chains of the store
//	candor projections   list the read models, or rebuild them offline
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/google/uuid"
)

// command is one subcommand. It returns errUsage (wrapped or not) for bad
// arguments, any other error for a failure.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands; others (demo, verify, projections) are
// added by their own files.
var commands = map[string]command{
	"serve":       {"run the REST API", runServe},
	"healthcheck": {"exit 0 when the server is ready (GET /readyz answers 200)", runHealthcheck},
}

var errUsage = errors.New("usage")

func main() {
	// Ids (events, requests, resources) draw their random bits from a
	// buffered pool instead of one crypto/rand read each. Set before any
	// goroutine makes one.
	uuid.EnableRandPool()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes a command line and returns the exit status: 0 success, 1
// failure, 2 bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "candor: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "candor %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "candor %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Candor, an engagement ledger.\n\nUsage: candor <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'candor <command> --help' for the flags of a command.")
}
