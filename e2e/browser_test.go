package e2e_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/candor-ledger/candor/e2e"
)

// chromiumPath is Debian's Chromium (apt-get install chromium); the suite
// cannot download a browser of its own here.
const chromiumPath = "/usr/bin/chromium"

// TestBrowser runs the web front end's browser suite (web/e2e, Playwright
// driving Chromium) against the real binary serving the demo on a loopback
// port, with a fresh store; a second loopback server serves the built app
// from another origin, for the CORS scenario. It needs Node, the app's npm
// packages and Chromium: without them it skips saying what to install, or
// fails when CI is set.
//
// CANDOR_SCREENSHOTS=DIR (an absolute path) makes the suite save the
// screenshots of the README there.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the server and a browser (skipped with -short)")
	}
	root, err := e2e.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	webDir := filepath.Join(root, "web")
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "Node.js 20 (node on the PATH)")
	}
	if _, err := os.Stat(filepath.Join(webDir, "node_modules", "playwright-core")); err != nil {
		missing = append(missing, "the app's npm packages (cd web && npm ci)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, "Debian's Chromium (apt-get install chromium)")
	}
	if len(missing) > 0 {
		msg := "the browser suite needs " + strings.Join(missing, ", ")
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := binary(t)

	// The built app on another origin, as a team deploying it apart would.
	static := httptest.NewServer(http.FileServerFS(os.DirFS(filepath.Join(webDir, "dist"))))
	defer static.Close()

	dataDir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	admin := e2e.NewAdminToken()
	srv, err := e2e.Start(ctx, e2e.ServerConfig{
		Binary: bin, DataDir: dataDir, AdminToken: admin, ReadyTimeout: 2 * time.Minute,
		Env: []string{"CANDOR_DEMO=true", "CANDOR_RATE_LIMIT=off", "CANDOR_CORS_ORIGINS=" + static.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Kill() }()

	logs := srv.Logs()
	tokens := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(client|supplier|auditor)\s.*\s(cnd_[A-Za-z0-9_-]+)\s*$`).FindAllStringSubmatch(logs, -1) {
		tokens[m[1]] = m[2]
	}
	eng := regexp.MustCompile(`sample engagement ([0-9a-f-]{36})`).FindStringSubmatch(logs)
	if len(tokens) != 3 || eng == nil {
		t.Fatalf("the demo's tokens and engagement are not in the output:\n%s", logs)
	}
	// A member who is a stakeholder of another engagement only.
	cl := e2e.NewClient(srv.URL)
	_, stranger, err := cl.NewMember(ctx, admin, "Sacha Stranger")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.OpenEngagement(ctx, stranger, "Stranger's engagement"); err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "--test-concurrency=1", "e2e/browser.test.mjs")
	cmd.Dir = webDir
	cmd.Env = append(os.Environ(),
		"CANDOR_URL="+srv.URL,
		"CANDOR_STATIC_URL="+static.URL,
		"CANDOR_ENGAGEMENT="+eng[1],
		"CANDOR_TOKEN_CLIENT="+tokens["client"],
		"CANDOR_TOKEN_SUPPLIER="+tokens["supplier"],
		"CANDOR_TOKEN_AUDITOR="+tokens["auditor"],
		"CANDOR_TOKEN_STRANGER="+stranger,
		"CANDOR_CHROMIUM="+chromiumPath,
		"NO_COLOR=1",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("browser suite:\n%s", out)
	if err != nil {
		t.Fatalf("browser suite failed: %v\n--- server output (tail) ---\n%s", err, tail(srv.Logs(), 3000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
