// Command candor-verify checks a Candor export offline, with no server, no
// store and nothing of Candor's but package verifier (the standard library
// and golang.org/x/mod otherwise): docs/EVIDENCE.md says what it checks.
//
//	candor-verify --bundle FILE [--receipts DIR] [--key PUBLIC_KEY]
//
// --key pins the public key the checkpoint must be signed by (the one the
// client got from the supplier, out of band): without it, the keys the
// bundle names are trusted. Exit status 0 when everything holds, 1 when
// something does not, 2 for bad usage.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/candor-ledger/candor/verifier"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("candor-verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bundle := fs.String("bundle", "", "the export to check (required)")
	receipts := fs.String("receipts", "", "a directory of receipts (*.json) to check against the bundle")
	key := fs.String("key", "", "the public key the checkpoints must be signed by (default: the bundle's)")
	if err := fs.Parse(args); err != nil || *bundle == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: candor-verify --bundle FILE [--receipts DIR] [--key PUBLIC_KEY]")
		return 2
	}
	b, rcs, err := load(*bundle, *receipts)
	if err != nil {
		fmt.Fprintln(stderr, "candor-verify:", err)
		return 2
	}
	if *key != "" {
		b.PublicKeys = []string{*key}
	}
	rep, err := verifier.Verify(b, rcs)
	if err != nil {
		fmt.Fprintln(stdout, "BROKEN:", err)
		return 1
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(stdout, "BROKEN:", p)
	}
	if !rep.OK() {
		return 1
	}
	fmt.Fprintf(stdout, "OK: %d events of %s, each in the signed log of %d leaves; %d witnessed checkpoints and %d receipts consistent.\n",
		rep.Events, b.Stream, rep.Checkpoint.Size, rep.Witnessed, rep.Receipts)
	return 0
}

func load(bundle, dir string) (*verifier.Bundle, []verifier.Receipt, error) {
	raw, err := os.ReadFile(bundle)
	if err != nil {
		return nil, nil, err
	}
	var b verifier.Bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", bundle, err)
	}
	if dir == "" {
		return &b, nil, nil
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(names)
	var rcs []verifier.Receipt
	for _, n := range names {
		raw, err := os.ReadFile(n)
		if err != nil {
			return nil, nil, err
		}
		rc, err := verifier.ParseReceipt(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", n, err)
		}
		rcs = append(rcs, rc)
	}
	return &b, rcs, nil
}
