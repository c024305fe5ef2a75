package api_test

import (
	"slices"
	"testing"

	"github.com/candor-ledger/candor/api"
)

// TestUnknownPropertiesEachNamedOnce: every property the contract does not
// know is named by its own pointer, at any depth, once.
func TestUnknownPropertiesEachNamedOnce(t *testing.T) {
	ts := startServer(t, testConfig())
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	body := map[string]any{"title": "t", "client_name": "c", "supplier_name": "s", "zeta": 1, "alpha": 2,
		"opener": map[string]any{"party": "supplier", "name": "n", "colour": "red"}}
	r := must(t, ts.post(supplier, "/v1/engagements", body), 422)
	p := r.problem(t)
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Pointer)
	}
	slices.Sort(got)
	if want := []string{"/alpha", "/opener/colour", "/zeta"}; p.Code != api.CodeValidationFailed || !slices.Equal(got, want) {
		t.Errorf("code %s, pointers %v, want %v", p.Code, got, want)
	}
}
