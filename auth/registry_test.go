package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

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
	// Its last character changed (to one it is not: "A" was the secret
	// itself once in 64 runs).
	last := "A"
	if strings.HasSuffix(tok.Secret, last) {
		last = "B"
	}
	for _, bad := range []string{"", "Bearer x", auth.NewSecret(), tok.Secret + "x", tok.Secret[:len(tok.Secret)-1] + last} {
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

// A disabled principal's tokens stop at once, on this instance and on
// another one sharing the store, and work again only once it is enabled;
// the order of the two survives redelivery and a restart.
func TestDisablePrincipal(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	r := openRegistry(t, s)
	if _, _, err := r.Bootstrap(ctx, ""); err != nil {
		t.Fatal(err)
	}
	other := openRegistry(t, s)
	p, err := r.CreatePrincipal(ctx, "Mallory", auth.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for range 2 {
		tok, err := r.IssueToken(ctx, p.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, tok.Secret)
	}
	authenticates := func(reg *auth.Registry) int {
		n := 0
		for _, sec := range secrets {
			if _, err := reg.Authenticate(sec); err == nil {
				n++
			}
		}
		return n
	}
	eventually := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: never", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	changed, otherChanged := r.Changed(), other.Changed()
	got, err := r.DisablePrincipal(ctx, p.ID)
	if err != nil || !got.Disabled {
		t.Fatalf("DisablePrincipal = %+v, %v", got, err)
	}
	if n := authenticates(r); n != 0 {
		t.Errorf("%d tokens of a disabled principal authenticate", n)
	}
	select {
	case <-changed:
	default:
		t.Error("Changed not signalled by the disabling")
	}
	select {
	case <-otherChanged: // the other instance learnt it from the store
	case <-time.After(5 * time.Second):
		t.Fatal("the other instance never signalled the disabling")
	}
	if n := authenticates(other); n != 0 {
		t.Errorf("other instance: %d tokens of a disabled principal authenticate", n)
	}
	if again, err := r.DisablePrincipal(ctx, p.ID); err != nil || !again.Disabled {
		t.Errorf("disabling again = %+v, %v", again, err)
	}

	// Toggled back and forth, the last word stays, whatever the
	// subscription delivers again meanwhile.
	for range 10 {
		if _, err := r.EnablePrincipal(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := r.DisablePrincipal(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.EnablePrincipal(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if n := authenticates(r); n != 2 {
		t.Errorf("%d of 2 tokens authenticate once enabled", n)
	}
	eventually("other instance sees the principal enabled", func() bool { return authenticates(other) == 2 })
	if n := authenticates(openRegistry(t, s)); n != 2 {
		t.Errorf("after a restart: %d of 2 tokens authenticate", n)
	}
	if _, err := r.DisablePrincipal(ctx, "nobody"); !errors.Is(err, auth.ErrPrincipalNotFound) {
		t.Errorf("disable unknown principal: %v", err)
	}
	if _, err := r.EnablePrincipal(ctx, "nobody"); !errors.Is(err, auth.ErrPrincipalNotFound) {
		t.Errorf("enable unknown principal: %v", err)
	}
}

// TestRevocationSignalsChanged: open feeds wait on Changed; a revocation,
// here or on another instance, wakes them.
func TestRevocationSignalsChanged(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	r, other := openRegistry(t, s), openRegistry(t, s)
	p, err := r.CreatePrincipal(ctx, "Bob", auth.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := r.IssueToken(ctx, p.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	changed, otherChanged := r.Changed(), other.Changed()
	if err := r.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	for name, ch := range map[string]<-chan struct{}{"this instance": changed, "other instance": otherChanged} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Errorf("%s: Changed not signalled by the revocation", name)
		}
	}
}

// The admins can never lock themselves out: the last usable token of the
// last enabled admin cannot be revoked, nor that admin disabled.
func TestLastAdminIsKept(t *testing.T) {
	ctx := context.Background()
	r := openRegistry(t, openStore(t, t.TempDir()))
	secret, _, err := r.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	first, err := r.Authenticate(secret)
	if err != nil {
		t.Fatal(err)
	}
	firstTok := r.Tokens(first.ID)[0]
	if err := r.RevokeToken(ctx, firstTok.ID); !errors.Is(err, auth.ErrLastAdmin) {
		t.Fatalf("revoking the only admin token: %v, want ErrLastAdmin", err)
	}
	if _, err := r.DisablePrincipal(ctx, first.ID); !errors.Is(err, auth.ErrLastAdmin) {
		t.Fatalf("disabling the only admin: %v, want ErrLastAdmin", err)
	}
	if _, err := r.Authenticate(secret); err != nil {
		t.Fatalf("refused changes changed something: %v", err)
	}

	// A second admin without a token, or disabled, does not count.
	second, err := r.CreatePrincipal(ctx, "second admin", auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RevokeToken(ctx, firstTok.ID); !errors.Is(err, auth.ErrLastAdmin) {
		t.Fatalf("revoking while the other admin has no token: %v", err)
	}
	secondTok, err := r.IssueToken(ctx, second.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.DisablePrincipal(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.RevokeToken(ctx, firstTok.ID); !errors.Is(err, auth.ErrLastAdmin) {
		t.Fatalf("revoking while the other admin is disabled: %v", err)
	}
	if _, err := r.EnablePrincipal(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	// Now there are two: either may go, not both.
	if err := r.RevokeToken(ctx, firstTok.ID); err != nil {
		t.Fatalf("revoking one of two admins' tokens: %v", err)
	}
	if err := r.RevokeToken(ctx, secondTok.ID); !errors.Is(err, auth.ErrLastAdmin) {
		t.Fatalf("revoking the last one: %v", err)
	}
	if _, err := r.DisablePrincipal(ctx, second.ID); !errors.Is(err, auth.ErrLastAdmin) {
		t.Fatalf("disabling the last usable admin: %v", err)
	}
	// Members are not concerned.
	m, err := r.CreatePrincipal(ctx, "member", auth.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	mt, err := r.IssueToken(ctx, m.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RevokeToken(ctx, mt.ID); err != nil {
		t.Errorf("revoking a member's only token: %v", err)
	}
}

// Two instances sharing a store each revoke one of the two last admin
// tokens at the same time: one of them must be refused.
func TestLastAdminIsKeptAcrossInstances(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	r := openRegistry(t, s)
	if _, _, err := r.Bootstrap(ctx, ""); err != nil {
		t.Fatal(err)
	}
	other := openRegistry(t, s)
	for i := range 10 {
		var toks []auth.IssuedToken
		for range 2 {
			p, err := r.CreatePrincipal(ctx, fmt.Sprintf("admin %d", i), auth.RoleAdmin)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := r.IssueToken(ctx, p.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			toks = append(toks, tok)
		}
		// Only the two new admins keep a usable token.
		for _, p := range r.Principals() {
			for _, tk := range r.Tokens(p.ID) {
				if !tk.Revoked && tk.ID != toks[0].ID && tk.ID != toks[1].ID {
					if err := r.RevokeToken(ctx, tk.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for j, reg := range []*auth.Registry{r, other} {
			wg.Go(func() { errs[j] = reg.RevokeToken(ctx, toks[j].ID) })
		}
		wg.Wait()
		refused := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, auth.ErrLastAdmin):
				refused++
			case err != nil:
				t.Fatal(err)
			}
		}
		if refused != 1 {
			t.Fatalf("round %d: %d of 2 concurrent revocations of the last admin tokens refused, want 1", i, refused)
		}
	}
}

// RecoverAdmin lets an admin in again on a store where none can
// authenticate (made here by events written directly, as a build that did
// not refuse it would have).
func TestRecoverAdmin(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	r := openRegistry(t, s)
	secret, _, err := r.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := r.Authenticate(secret)
	if err != nil {
		t.Fatal(err)
	}
	raw := func(typ, id string) {
		t.Helper()
		data := fmt.Sprintf(`{"id":%q,"at":"2026-01-01T00:00:00Z"}`, id)
		if _, err := s.Append(ctx, auth.Stream, eventstore.Any(), eventstore.EventData{ID: uuid.New(), Type: typ, Data: []byte(data), Metadata: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	raw(auth.TypeTokenRevoked, r.Tokens(admin.ID)[0].ID)
	raw(auth.TypePrincipalDisabled, admin.ID)

	locked := openRegistry(t, s)
	if _, err := locked.Authenticate(secret); err == nil {
		t.Fatal("set-up: the admin still authenticates")
	}
	rec, err := locked.RecoverAdmin(ctx, "recovery")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Admin.ID != admin.ID || !rec.Enabled || rec.Created {
		t.Errorf("RecoverAdmin = %+v, want the admin enabled again", rec)
	}
	if p, err := locked.Authenticate(rec.Token.Secret); err != nil || p.ID != admin.ID || p.Role != auth.RoleAdmin {
		t.Errorf("the recovered token: %+v, %v", p, err)
	}
	if _, err := locked.Authenticate(secret); err == nil {
		t.Error("the revoked token authenticates again")
	}

	// On a store with principals but no admin at all, one is created.
	s2 := openStore(t, t.TempDir())
	r2 := openRegistry(t, s2)
	if _, err := r2.CreatePrincipal(ctx, "member", auth.RoleMember); err != nil {
		t.Fatal(err)
	}
	rec, err = r2.RecoverAdmin(ctx, "")
	if err != nil || !rec.Created || rec.Admin.Role != auth.RoleAdmin {
		t.Fatalf("RecoverAdmin without admin = %+v, %v", rec, err)
	}
	if _, err := r2.Authenticate(rec.Token.Secret); err != nil {
		t.Error(err)
	}
}
