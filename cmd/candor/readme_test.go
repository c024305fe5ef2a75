package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeFirstSession: the README's first session shows what
// `serve --demo` really prints, line by line, but for the tokens, ids,
// address and position, which change from one run to the next.
func TestReadmeFirstSession(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const cmd = "$ go run ./cmd/candor serve --demo"
	_, block, ok := strings.Cut(string(readme), "```console\n"+cmd)
	if !ok {
		t.Fatalf("README.md has no console block starting with %q", cmd)
	}
	block, _, _ = strings.Cut(block, "```")
	_, block, _ = strings.Cut(block, "\n") // the rest of the command line

	t.Setenv("CANDOR_ADMIN_TOKEN", "")
	_, printed, stop := serveOnce(t, t.TempDir(), "--demo")
	stop()
	want, got := readmeLines(block), readmeLines(printed)
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("README.md's first session is not what serve --demo prints.\nREADME:\n%s\n\nprinted:\n%s",
			strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

var readmeMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`cnd_[A-Za-z0-9_-]*…?`), "TOKEN"},
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f-]*…?`), "ID"},
	{regexp.MustCompile(`http://(localhost|127\.0\.0\.1):[0-9]+`), "http://HOST"},
	{regexp.MustCompile(`position=[0-9]+`), "position=N"},
	{regexp.MustCompile(`candor-[0-9a-f]{8}\+[0-9a-f]{8}\+[A-Za-z0-9+/=]*…?`), "KEY"},
}

// readmeLines is s with what changes from run to run masked, without
// trailing blank lines.
func readmeLines(s string) []string {
	for _, m := range readmeMasks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}
