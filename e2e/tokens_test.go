package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/candor-ledger/candor/e2e"
)

// TestConcurrentTokenIssuance issues tokens concurrently, as several
// admins (or one admin's scripts) would: every token answered 201 must
// authenticate. The load tool found that some did not.
func TestConcurrentTokenIssuance(t *testing.T) {
	e := start(t, "").withMember()
	tokens := make([]string, 32)
	errs := make([]error, len(tokens))
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Go(func() {
			tokens[i], errs[i] = e.cl.IssueToken(context.Background(), e.admin, e.memberID, fmt.Sprintf("concurrent %d", i))
		})
	}
	wg.Wait()
	lost := 0
	for i, tok := range tokens {
		if errs[i] != nil {
			t.Fatalf("issue token %d: %v", i, errs[i])
		}
		if r := e.do(e2e.Request{Method: http.MethodGet, Path: "/v1/me", Token: tok}); r.Status != http.StatusOK {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d tokens issued concurrently (201) do not authenticate", lost, len(tokens))
	}
}
