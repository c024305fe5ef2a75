package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/eventstore"
)

// Wire shapes of the events in Stream.
type (
	principalCreated struct {
		ID   string    `json:"id"`
		Name string    `json:"name"`
		Role Role      `json:"role"`
		At   time.Time `json:"at"`
	}
	tokenIssued struct {
		ID          string    `json:"id"`
		PrincipalID string    `json:"principal_id"`
		Label       string    `json:"label"`
		Hash        string    `json:"hash"` // hex SHA-256 of the secret; the secret is never stored
		At          time.Time `json:"at"`
	}
	tokenRevoked struct {
		ID string    `json:"id"`
		At time.Time `json:"at"`
	}
	// principalDisabled and principalEnabled
	principalToggled struct {
		ID string    `json:"id"`
		At time.Time `json:"at"`
	}
)

// Registry holds every principal and token, in memory, kept current from
// the store. It is safe for concurrent use.
type Registry struct {
	store eventstore.Store
	now   func() time.Time

	mu sync.RWMutex
	// followed is how far the subscription has read Stream. Events this
	// instance appended are applied at once as well, possibly out of
	// position order; every event's effect is idempotent, so applying one
	// twice (once locally, once followed) is harmless.
	followed   eventstore.Position
	principals map[string]*Principal
	tokens     map[string]*Token
	byHash     map[tokenHash]*Token
	hashes     map[string]tokenHash // token id -> hash
	// toggled is, per principal, the revision of the last disable or
	// enable applied: one delivered again later (out of order) is older
	// and changes nothing.
	toggled map[string]uint64
	// revision is the highest revision of Stream applied (when seen):
	// guarded changes append only on top of it.
	revision uint64
	seen     bool
	// changed is closed, and replaced, whenever a token or a principal
	// loses its access: open event feeds check their token again then.
	changed chan struct{}

	// guard serializes the changes that may lock the admins out, so that
	// two of them on this instance do not both pass the check.
	guard sync.Mutex

	cancel context.CancelFunc
	done   chan struct{}
}

// Open loads the registry from store and follows it, so that principals
// and tokens created by other instances sharing the store are seen too.
// Close stops following.
func Open(ctx context.Context, store eventstore.Store) (*Registry, error) {
	r := &Registry{
		store: store, now: time.Now,
		principals: map[string]*Principal{}, tokens: map[string]*Token{}, byHash: map[tokenHash]*Token{}, hashes: map[string]tokenHash{},
		toggled: map[string]uint64{}, changed: make(chan struct{}),
		done: make(chan struct{}),
	}
	if err := r.catchUp(ctx); err != nil {
		return nil, err
	}
	fctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go r.follow(fctx)
	return r, nil
}

// catchUp reads Stream from the first revision not applied yet to its end
// and applies it.
func (r *Registry) catchUp(ctx context.Context) error {
	for {
		r.mu.RLock()
		from := uint64(0)
		if r.seen {
			from = r.revision + 1
		}
		r.mu.RUnlock()
		evs, err := r.store.ReadStream(ctx, Stream, eventstore.ReadStreamOptions{From: from, Limit: 1024})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("auth: load principals: %w", err)
		}
		for _, e := range evs {
			if err := r.apply(e); err != nil {
				return err
			}
			// Every event of Stream up to this one is applied now.
			r.mu.Lock()
			r.followed = max(r.followed, e.Position)
			r.mu.Unlock()
		}
		if len(evs) < 1024 {
			return nil
		}
	}
}

// follow applies events of Stream appended by others, retrying after store
// failures until Close.
func (r *Registry) follow(ctx context.Context) {
	defer close(r.done)
	for ctx.Err() == nil {
		r.mu.RLock()
		after := r.followed
		r.mu.RUnlock()
		err := r.store.SubscribeAll(ctx, eventstore.SubscribeOptions{
			After:  after,
			Filter: eventstore.Filter{StreamPrefixes: []string{Stream}},
		}, func(_ context.Context, e eventstore.RecordedEvent) error {
			if e.Stream != Stream {
				return nil
			}
			if err := r.apply(e); err != nil {
				return err
			}
			r.mu.Lock()
			r.followed = max(r.followed, e.Position)
			r.mu.Unlock()
			return nil
		})
		if err != nil && ctx.Err() == nil {
			slog.Warn("auth: following principals failed; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// Close stops following the store.
func (r *Registry) Close() error {
	r.cancel()
	<-r.done
	return nil
}

// apply folds one event of Stream into the registry. Applying an event
// again changes nothing.
func (r *Registry) apply(e eventstore.RecordedEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.seen || e.Revision > r.revision {
		r.revision, r.seen = e.Revision, true
	}
	switch e.Type {
	case TypePrincipalCreated:
		var p principalCreated
		if err := json.Unmarshal(e.Data, &p); err != nil {
			return fmt.Errorf("auth: decode %s: %w", e.Type, err)
		}
		if _, seen := r.principals[p.ID]; !seen {
			r.principals[p.ID] = &Principal{ID: p.ID, Name: p.Name, Role: p.Role, CreatedAt: p.At}
		}
	case TypeTokenIssued:
		var t tokenIssued
		if err := json.Unmarshal(e.Data, &t); err != nil {
			return fmt.Errorf("auth: decode %s: %w", e.Type, err)
		}
		h, err := parseHash(t.Hash)
		if err != nil {
			return err
		}
		if _, seen := r.tokens[t.ID]; seen {
			return nil // applied already; keep a revocation applied since
		}
		tok := &Token{ID: t.ID, PrincipalID: t.PrincipalID, Label: t.Label, CreatedAt: t.At}
		r.tokens[t.ID] = tok
		r.byHash[h] = tok
		r.hashes[t.ID] = h
	case TypeTokenRevoked:
		var t tokenRevoked
		if err := json.Unmarshal(e.Data, &t); err != nil {
			return fmt.Errorf("auth: decode %s: %w", e.Type, err)
		}
		if tok, ok := r.tokens[t.ID]; ok && !tok.Revoked {
			tok.Revoked = true
			r.signal()
		}
	case TypePrincipalDisabled, TypePrincipalEnabled:
		var t principalToggled
		if err := json.Unmarshal(e.Data, &t); err != nil {
			return fmt.Errorf("auth: decode %s: %w", e.Type, err)
		}
		p, ok := r.principals[t.ID]
		if !ok || e.Revision <= r.toggled[t.ID] {
			return nil
		}
		r.toggled[t.ID] = e.Revision
		p.Disabled = e.Type == TypePrincipalDisabled
		if p.Disabled {
			r.signal()
		}
	}
	return nil
}

// signal wakes whoever waits on Changed. It runs under r.mu.
func (r *Registry) signal() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Changed returns a channel closed at the next revocation or disabling,
// whoever made it (this instance or another one sharing the store). Take
// it before checking a token, so that a change after the check is not
// missed.
func (r *Registry) Changed() <-chan struct{} {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.changed
}

// append stores one event of Stream and applies it at once, so that the
// caller reads its own write.
func (r *Registry) append(ctx context.Context, expected eventstore.ExpectedRevision, typ string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("auth: encode %s: %w", typ, err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("auth: event id: %w", err)
	}
	ed := eventstore.EventData{ID: id, Type: typ, Data: data, Metadata: []byte(`{}`)}
	res, err := r.store.Append(ctx, Stream, expected, ed)
	if err != nil {
		return fmt.Errorf("auth: store %s: %w", typ, err)
	}
	return r.apply(eventstore.RecordedEvent{
		Stream: Stream, Revision: res.NextRevision, Position: res.Position,
		ID: id, Type: typ, Data: data, RecordedAt: r.now().UTC(),
	})
}

// Authenticate returns the principal whose token secret was presented.
func (r *Registry) Authenticate(secret string) (Principal, error) {
	if !ValidSecret(secret) {
		return Principal{}, ErrUnauthenticated
	}
	h := hashSecret(secret)
	r.mu.RLock()
	defer r.mu.RUnlock()
	tok, ok := r.byHash[h]
	if !ok || tok.Revoked {
		return Principal{}, ErrUnauthenticated
	}
	// The lookup is keyed by the hash, which reveals nothing usable about
	// the secret; the constant-time comparison keeps it so should the
	// index ever change.
	if !equalHash(r.hashes[tok.ID], h) {
		return Principal{}, ErrUnauthenticated
	}
	p, ok := r.principals[tok.PrincipalID]
	if !ok || p.Disabled {
		return Principal{}, ErrUnauthenticated
	}
	return *p, nil
}

// CreatePrincipal records a new principal.
func (r *Registry) CreatePrincipal(ctx context.Context, name string, role Role) (Principal, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return Principal{}, ErrInvalidName
	}
	if !role.Valid() {
		return Principal{}, ErrInvalidRole
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Principal{}, fmt.Errorf("auth: principal id: %w", err)
	}
	ev := principalCreated{ID: id.String(), Name: name, Role: role, At: r.now().UTC()}
	if err := r.append(ctx, eventstore.Any(), TypePrincipalCreated, ev); err != nil {
		return Principal{}, err
	}
	return r.Principal(ev.ID)
}

// Principal returns one principal.
func (r *Registry) Principal(id string) (Principal, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.principals[id]
	if !ok {
		return Principal{}, ErrPrincipalNotFound
	}
	return *p, nil
}

// Principals returns every principal, oldest first.
func (r *Registry) Principals() []Principal {
	r.mu.RLock()
	out := make([]Principal, 0, len(r.principals))
	for _, p := range r.principals {
		out = append(out, *p)
	}
	r.mu.RUnlock()
	// UUIDv7 ids sort by creation time.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// IssueToken creates a token for a principal and returns its secret, which
// is not stored and cannot be shown again.
func (r *Registry) IssueToken(ctx context.Context, principalID, label string) (IssuedToken, error) {
	return r.issue(ctx, eventstore.Any(), principalID, label, NewSecret())
}

func (r *Registry) issue(ctx context.Context, expected eventstore.ExpectedRevision, principalID, label, secret string) (IssuedToken, error) {
	if _, err := r.Principal(principalID); err != nil {
		return IssuedToken{}, err
	}
	if !ValidSecret(secret) {
		return IssuedToken{}, ErrInvalidToken
	}
	if utf8.RuneCountInString(label) > 200 {
		return IssuedToken{}, ErrInvalidName
	}
	id, err := uuid.NewV7()
	if err != nil {
		return IssuedToken{}, fmt.Errorf("auth: token id: %w", err)
	}
	ev := tokenIssued{ID: id.String(), PrincipalID: principalID, Label: label, Hash: hashSecret(secret).String(), At: r.now().UTC()}
	if err := r.append(ctx, expected, TypeTokenIssued, ev); err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{Token: Token{ID: ev.ID, PrincipalID: principalID, Label: label, CreatedAt: ev.At}, Secret: secret}, nil
}

// RevokeToken makes a token unusable from now on. Revoking a revoked
// token changes nothing. It fails with ErrLastAdmin when the token is the
// last usable one of the last enabled admin.
func (r *Registry) RevokeToken(ctx context.Context, tokenID string) error {
	return r.guarded(ctx, func() (bool, error) {
		tok, ok := r.tokens[tokenID]
		switch {
		case !ok:
			return false, ErrTokenNotFound
		case tok.Revoked:
			return false, nil
		case r.locksOut(tokenID, ""):
			return false, fmt.Errorf("%w: this is the last usable token of the last enabled admin", ErrLastAdmin)
		}
		return true, nil
	}, TypeTokenRevoked, tokenRevoked{ID: tokenID, At: r.now().UTC()})
}

// DisablePrincipal stops every token of a principal at once, open event
// feeds included, until EnablePrincipal. Its tokens are kept. Disabling a
// disabled principal changes nothing; disabling the last enabled admin
// with a usable token fails with ErrLastAdmin.
func (r *Registry) DisablePrincipal(ctx context.Context, id string) (Principal, error) {
	err := r.guarded(ctx, func() (bool, error) {
		p, ok := r.principals[id]
		switch {
		case !ok:
			return false, ErrPrincipalNotFound
		case p.Disabled:
			return false, nil
		case r.locksOut("", id):
			return false, fmt.Errorf("%w: this is the last enabled admin with a usable token", ErrLastAdmin)
		}
		return true, nil
	}, TypePrincipalDisabled, principalToggled{ID: id, At: r.now().UTC()})
	if err != nil {
		return Principal{}, err
	}
	return r.Principal(id)
}

// EnablePrincipal lets a disabled principal's tokens (those not revoked)
// authenticate again. Enabling an enabled principal changes nothing.
func (r *Registry) EnablePrincipal(ctx context.Context, id string) (Principal, error) {
	err := r.guarded(ctx, func() (bool, error) {
		p, ok := r.principals[id]
		if !ok {
			return false, ErrPrincipalNotFound
		}
		return p.Disabled, nil
	}, TypePrincipalEnabled, principalToggled{ID: id, At: r.now().UTC()})
	if err != nil {
		return Principal{}, err
	}
	return r.Principal(id)
}

// locksOut reports whether revoking token exceptToken or disabling
// principal exceptPrincipal would take the last usable admin away. It runs
// under r.mu.
func (r *Registry) locksOut(exceptToken, exceptPrincipal string) bool {
	return r.usableAdmins("", "") > 0 && r.usableAdmins(exceptToken, exceptPrincipal) == 0
}

// usableAdmins counts the enabled admins with a token that is not revoked,
// as if token exceptToken were revoked and principal exceptPrincipal
// disabled. It runs under r.mu.
func (r *Registry) usableAdmins(exceptToken, exceptPrincipal string) int {
	usable := map[string]bool{}
	for _, t := range r.tokens {
		if t.Revoked || t.ID == exceptToken || t.PrincipalID == exceptPrincipal {
			continue
		}
		if p, ok := r.principals[t.PrincipalID]; ok && p.Role == RoleAdmin && !p.Disabled {
			usable[p.ID] = true
		}
	}
	return len(usable)
}

// guarded appends one event when check, run on the registry caught up
// with the store, says it should: (false, nil) means there is nothing to
// do. The event is appended at the revision check saw, so that a change
// made meanwhile by another instance sharing the store is not overlooked:
// the check then runs again on the new state.
func (r *Registry) guarded(ctx context.Context, check func() (bool, error), typ string, v any) error {
	r.guard.Lock()
	defer r.guard.Unlock()
	for range 8 {
		if err := r.catchUp(ctx); err != nil {
			return err
		}
		r.mu.RLock()
		do, err := check()
		expected := eventstore.NoStream()
		if r.seen {
			expected = eventstore.Exact(r.revision)
		}
		r.mu.RUnlock()
		if err != nil || !do {
			return err
		}
		err = r.append(ctx, expected, typ, v)
		if !errors.Is(err, eventstore.ErrConflict) {
			return err
		}
	}
	return ErrBusy
}

// Tokens returns the tokens of a principal, oldest first, without secrets.
func (r *Registry) Tokens(principalID string) []Token {
	r.mu.RLock()
	var out []Token
	for _, t := range r.tokens {
		if t.PrincipalID == principalID {
			out = append(out, *t)
		}
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Bootstrap makes sure a fresh store has an administrator. On a registry
// with no principal it creates one named "admin" with a token (configured,
// when not empty, else new) and returns the secret with created true. On a
// registry that has principals it does nothing. When configured is set and
// the registry already exists, the configured token is not added: an admin
// token in the environment must not silently grant access to an existing
// store.
func (r *Registry) Bootstrap(ctx context.Context, configured string) (secret string, created bool, err error) {
	if configured != "" && !ValidSecret(configured) {
		return "", false, fmt.Errorf("%w: a configured admin token must look like one made by candor (cnd_ and 43 base64url characters)", ErrInvalidToken)
	}
	r.mu.RLock()
	empty := len(r.principals) == 0
	r.mu.RUnlock()
	if !empty {
		return "", false, nil
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", false, fmt.Errorf("auth: principal id: %w", err)
	}
	// NoStream: two instances starting on one empty store create one admin.
	ev := principalCreated{ID: id.String(), Name: "admin", Role: RoleAdmin, At: r.now().UTC()}
	if err := r.append(ctx, eventstore.NoStream(), TypePrincipalCreated, ev); err != nil {
		if errors.Is(err, eventstore.ErrConflict) {
			return "", false, nil
		}
		return "", false, err
	}
	if configured == "" {
		configured = NewSecret()
	}
	if _, err := r.issue(ctx, eventstore.Any(), ev.ID, "bootstrap", configured); err != nil {
		return "", false, err
	}
	return configured, true, nil
}

// Recovery is what RecoverAdmin did.
type Recovery struct {
	Admin   Principal
	Token   IssuedToken
	Created bool // the store had no admin: one was created
	Enabled bool // the admin was disabled and is enabled again
}

// RecoverAdmin is the way back in when no admin can authenticate (tokens
// lost or revoked before revoking the last one was refused): it issues a
// new token to the oldest enabled admin, or, when every admin is disabled,
// enables the oldest one first, or creates an admin when there is none.
// `candor admin-token` runs it on a stopped server's store.
func (r *Registry) RecoverAdmin(ctx context.Context, label string) (Recovery, error) {
	if err := r.catchUp(ctx); err != nil {
		return Recovery{}, err
	}
	var admin *Principal
	for _, p := range r.Principals() { // oldest first
		if p.Role != RoleAdmin {
			continue
		}
		if admin == nil || admin.Disabled && !p.Disabled {
			admin = &p
		}
	}
	var rec Recovery
	switch {
	case admin == nil:
		p, err := r.CreatePrincipal(ctx, "admin", RoleAdmin)
		if err != nil {
			return Recovery{}, err
		}
		admin, rec.Created = &p, true
	case admin.Disabled:
		p, err := r.EnablePrincipal(ctx, admin.ID)
		if err != nil {
			return Recovery{}, err
		}
		admin, rec.Enabled = &p, true
	}
	tok, err := r.IssueToken(ctx, admin.ID, label)
	if err != nil {
		return Recovery{}, err
	}
	rec.Admin, rec.Token = *admin, tok
	return rec, nil
}
