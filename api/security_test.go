package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/candor-ledger/candor/api"
)

// TestEveryOperationHasItsSecurity calls every operation of the contract
// without a token and with an unknown one: an operation whose security is
// not the explicit empty list answers 401 before anything else (the server
// enforces the contract's security requirements itself, kin-openapi's
// validation does not check them again), and a public one never does.
func TestEveryOperationHasItsSecurity(t *testing.T) {
	ts := startServer(t, testConfig())
	doc := loadSpec(t)
	public := 0
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			open := op.Security != nil && len(*op.Security) == 0
			if open {
				public++
			}
			var body any
			if method == http.MethodPost {
				body = map[string]any{}
			}
			for _, token := range []string{"", "cnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
				r := ts.do(req{method: method, path: fillPath(path, "some-engagement"), token: token, body: body})
				switch {
				case open && r.Status == http.StatusUnauthorized:
					t.Errorf("%s %s is public but answers 401", method, path)
				case !open && r.Status != http.StatusUnauthorized:
					t.Errorf("%s %s (token %q) answers %d, want 401: %s", method, path, token, r.Status, r.Body)
				case !open && r.problem(t).Code != api.CodeUnauthenticated:
					t.Errorf("%s %s: code %q", method, path, r.problem(t).Code)
				case !open && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer"):
					t.Errorf("%s %s: WWW-Authenticate %q", method, path, r.Header.Get("WWW-Authenticate"))
				}
			}
		}
	}
	if public == 0 {
		t.Error("no public operation in the contract: the test checks one side only")
	}
}
