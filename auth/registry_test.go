package auth_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/sqlite"
)

func openStore(t *testing.T, dir string) eventstore.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openRegistry(t *testing.T, s eventstore.Store) *auth.Registry {
	t.Helper()
	r, err := auth.Open(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestBootstrapCreatesOneAdminOnce(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	r := openRegistry(t, s)

	secret, created, err := r.Bootstrap(ctx, "")
	if err != nil || !created || !auth.ValidSecret(secret) {
		t.Fatalf("first bootstrap = %q, %v, %v; want a new secret", secret, created, err)
	}
	p, err := r.Authenticate(secret)
	if err != nil || p.Role != auth.RoleAdmin {
		t.Fatalf("Authenticate(admin secret) = %+v, %v", p, err)
	}
	again, created, err := r.Bootstrap(ctx, "")
	if err != nil || created || again != "" {
		t.Fatalf("second bootstrap = %q, %v, %v; want nothing", again, created, err)
	}
	if n := len(r.Principals()); n != 1 {
		t.Fatalf("%d principals after two bootstraps, want 1", n)
	}
}

func TestBootstrapTakesConfiguredTokenAndRefusesWeakOne(t *testing.T) {
	ctx := context.Background()
	r := openRegistry(t, openStore(t, t.TempDir()))
	if _, _, err := r.Bootstrap(ctx, "hunter2"); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("weak configured token: err = %v, want ErrInvalidToken", err)
	}
	configured := auth.NewSecret()
	got, created, err := r.Bootstrap(ctx, configured)
	if err != nil || !created || got != configured {
		t.Fatalf("Bootstrap(configured) = %q, %v, %v", got, created, err)
	}
	if _, err := r.Authenticate(configured); err != nil {
		t.Fatalf("configured token does not authenticate: %v", err)
	}
}

func TestTokensAuthenticateUntilRevokedAndSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	r := openRegistry(t, s)

	p, err := r.CreatePrincipal(ctx, "Alice (client)", auth.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := r.IssueToken(ctx, p.ID, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.Authenticate(tok.Secret); err != nil || got.ID != p.ID {
		t.Fatalf("Authenticate = %+v, %v; want %s", got, err, p.ID)
	}
	for _, bad := range []string{"", "Bearer x", auth.NewSecret(), tok.Secret + "x", tok.Secret[:len(tok.Secret)-1] + "A"} {
		if _, err := r.Authenticate(bad); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("Authenticate(%q) err = %v, want ErrUnauthenticated", bad, err)
		}
	}

	// A second registry on the same store (another instance) sees it too.
	other := openRegistry(t, s)
	if got, err := other.Authenticate(tok.Secret); err != nil || got.ID != p.ID {
		t.Fatalf("other instance: Authenticate = %+v, %v", got, err)
	}

	if err := r.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate(tok.Secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("revoked token still authenticates: %v", err)
	}
	// The other instance learns of the revocation through its subscription.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := other.Authenticate(tok.Secret); errors.Is(err, auth.ErrUnauthenticated) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("other instance never saw the revocation")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.RevokeToken(ctx, "no-such-token"); !errors.Is(err, auth.ErrTokenNotFound) {
		t.Fatalf("revoke unknown token: %v", err)
	}
	if toks := r.Tokens(p.ID); len(toks) != 1 || !toks[0].Revoked {
		t.Fatalf("Tokens = %+v, want one revoked", toks)
	}
}

func TestSecretsAreNeverStored(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	r := openRegistry(t, s)
	secret, _, err := r.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 {
		t.Fatal("bootstrap stored nothing")
	}
	for _, e := range evs {
		if bytes.Contains(e.Data, []byte(secret)) || bytes.Contains(e.Metadata, []byte(secret)) {
			t.Fatalf("event %s holds the token secret", e.Type)
		}
	}
}

func TestCreatePrincipalValidates(t *testing.T) {
	ctx := context.Background()
	r := openRegistry(t, openStore(t, t.TempDir()))
	if _, err := r.CreatePrincipal(ctx, "  ", auth.RoleMember); !errors.Is(err, auth.ErrInvalidName) {
		t.Errorf("blank name: %v", err)
	}
	if _, err := r.CreatePrincipal(ctx, "Bob", auth.Role("root")); !errors.Is(err, auth.ErrInvalidRole) {
		t.Errorf("bad role: %v", err)
	}
	if _, err := r.IssueToken(ctx, "nobody", ""); !errors.Is(err, auth.ErrPrincipalNotFound) {
		t.Errorf("token for unknown principal: %v", err)
	}
}

// Tokens issued concurrently complete out of position order; every one of
// them must authenticate, on this instance and on another one.
func TestConcurrentIssuanceLosesNoToken(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	r := openRegistry(t, s)
	p, err := r.CreatePrincipal(ctx, "Load tester", auth.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	const n = 32
	secrets := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := r.IssueToken(ctx, p.ID, "")
			if err != nil {
				t.Error(err)
				return
			}
			secrets <- tok.Secret
		}()
	}
	wg.Wait()
	close(secrets)
	other := openRegistry(t, s)
	for sec := range secrets {
		if _, err := r.Authenticate(sec); err != nil {
			t.Errorf("issuing instance: %v", err)
		}
		if _, err := other.Authenticate(sec); err != nil {
			t.Errorf("other instance: %v", err)
		}
	}
}

// A revocation applied locally must survive the subscription delivering the
// issuance again afterwards.
func TestRevocationSurvivesRedelivery(t *testing.T) {
	ctx := context.Background()
	r := openRegistry(t, openStore(t, t.TempDir()))
	p, err := r.CreatePrincipal(ctx, "Bob", auth.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		tok, err := r.IssueToken(ctx, p.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // let the subscription redeliver
		if _, err := r.Authenticate(tok.Secret); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("revoked token authenticates again: %v", err)
		}
	}
}
