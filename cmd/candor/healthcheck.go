package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// runHealthcheck is for container health checks (the image has no curl):
// exit 0 when the server's /readyz answers 200.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "http://127.0.0.1:8080", "the server's base URL (its /readyz is probed), or the URL of /readyz itself")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	probe, err := readyzURL(*base)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, probe, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	switch res.StatusCode {
	case http.StatusOK:
		fmt.Fprintln(stdout, "ready")
		return nil
	case http.StatusNotFound:
		return fmt.Errorf("%s answered 404 Not Found: not a Candor server, or not its base URL (--url http://HOST:PORT)", probe)
	}
	return fmt.Errorf("not ready: %s answered %s", probe, res.Status)
}

// readyzURL is the /readyz of a base URL, or the URL itself when it names
// /readyz already (both forms are accepted).
func readyzURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: --url %q: want the server's base URL, e.g. http://127.0.0.1:8080", errUsage, s)
	}
	if !strings.HasSuffix(u.Path, "/readyz") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/readyz"
	}
	return u.String(), nil
}

// usageErr marks a flag parsing error as bad usage (help is not an error).
func usageErr(err error) error {
	if err == flag.ErrHelp {
		return err
	}
	return fmt.Errorf("%w: %v", errUsage, err)
}
