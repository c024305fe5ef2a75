package ledger

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	_ "github.com/ncruces/go-sqlite3/driver"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/sqlite"
)

const (
	itEng       = "0190c0de-0000-7000-8000-0000000000aa"
	itOpener    = "stk-supplier"
	itPrincipal = "prn-supplier"
)

// integrityFixture is an engagement of four events (opened, the opener
// joined, two experts invited) in a SQLite file that the test edits behind
// the store's back, as someone with write access to the file could.
type integrityFixture struct {
	store  eventstore.Store
	db     *sql.DB
	last   Result                                           // of the last invitation
	logged map[eventstore.Position]eventstore.RecordedEvent // as stored before any edit
}

// logStandIn is Options.Vouch as the transparency log answers it
// (evidence.Log.Vouch, tested against a real log in package evidence),
// from the events as they were stored before the test edited the file.
func (fx *integrityFixture) logStandIn(_ context.Context, stream string, last *eventstore.RecordedEvent) error {
	after := int64(-1)
	if last != nil {
		after = int64(last.Revision)
		was, ok := fx.logged[last.Position]
		if !ok || EventHash(last) != EventHash(&was) || !last.RecordedAt.Equal(was.RecordedAt) {
			return errors.New("the event does not match its leaf")
		}
	}
	for _, e := range fx.logged {
		if e.Stream == stream && int64(e.Revision) > after {
			return errors.New("the log has a later event of the stream")
		}
	}
	return nil
}

func newIntegrityFixture(t *testing.T) *integrityFixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fx := &integrityFixture{store: s, db: db}
	l := New(s, Options{})
	if _, err := l.Execute(ctx, Request{EngagementID: itEng, Create: true, PrincipalID: itPrincipal,
		Command: func(*domain.Engagement) (domain.Command, error) {
			return domain.OpenEngagement{EngagementID: itEng, Title: "E-commerce", ClientName: "Maison Dupont", SupplierName: "Conseil & Co",
				Opener: domain.NewStakeholder{StakeholderID: itOpener, Party: domain.PartySupplier, Name: "Sam", PrincipalID: itPrincipal}}, nil
		}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ex-1", "ex-2"} {
		if fx.last, err = l.Execute(ctx, invite(id)); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.ReadAll(ctx, eventstore.Start, 100)
	if err != nil {
		t.Fatal(err)
	}
	fx.logged = make(map[eventstore.Position]eventstore.RecordedEvent, len(all))
	for _, e := range all {
		fx.logged[e.Position] = e
	}
	return fx
}

func invite(id string) Request {
	return Request{EngagementID: itEng, PrincipalID: itPrincipal, Command: func(*domain.Engagement) (domain.Command, error) {
		return domain.InviteExpert{ActorID: itOpener, ExpertID: id, Name: "Expert " + id}, nil
	}}
}

func (fx *integrityFixture) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	res, err := fx.db.Exec(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s: no row changed", query)
	}
}

// wantBreach fails unless err is the *IntegrityError of the fixture's
// engagement at revision rev, with the state before it when rev > 0.
func wantBreach(t *testing.T, what string, err error, rev uint64) *IntegrityError {
	t.Helper()
	var ie *IntegrityError
	if !errors.As(err, &ie) || !errors.Is(err, ErrIntegrityBreach) {
		t.Fatalf("%s: %v, want an integrity breach", what, err)
	}
	if ie.EngagementID != itEng || ie.Revision != rev || ie.Reason == "" {
		t.Fatalf("%s: %+v, want the breach at revision %d", what, ie, rev)
	}
	if rev > 0 {
		if _, ok := ie.Before.StakeholderByPrincipal(itPrincipal); !ok {
			t.Fatalf("%s: the state before the breach lacks the opener: %+v", what, ie.Before)
		}
	}
	return ie
}

// TestLoadRefusesABrokenLog: an event whose type, data or metadata was
// edited, or that cannot be decoded although its link holds, makes every
// read and write of the engagement an *IntegrityError naming the first
// revision that does not hold, never an untyped error (a 500 in the API);
// nothing is appended.
func TestLoadRefusesABrokenLog(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		edit   func(t *testing.T, fx *integrityFixture)
		rev    uint64
		broken bool // the hash chain itself is broken
		vouch  bool // only the transparency log can tell (the stream's end)
	}{
		{"type edited", func(t *testing.T, fx *integrityFixture) {
			fx.exec(t, `UPDATE events SET type = 'expert.vanished' WHERE pos = ?`, int64(fx.last.Position)-1)
		}, 2, false, false},
		// Caught as it is folded, before its successor's link is checked.
		{"type edited into another valid one", func(t *testing.T, fx *integrityFixture) {
			fx.exec(t, `UPDATE events SET type = 'expert.committed' WHERE pos = ?`, int64(fx.last.Position)-1)
		}, 2, false, false},
		{"data edited", func(t *testing.T, fx *integrityFixture) {
			fx.exec(t, `UPDATE events SET data = CAST(replace(CAST(data AS TEXT), 'Expert ex-1', 'Nobody') AS BLOB) WHERE pos = ?`, int64(fx.last.Position)-1)
		}, 2, true, false},
		{"metadata edited", func(t *testing.T, fx *integrityFixture) {
			fx.exec(t, `UPDATE events SET meta = CAST('{"schema_version":1' AS BLOB) WHERE pos = ?`, int64(fx.last.Position))
		}, 3, true, false},
		// The last event's hash is named by no successor: the log vouches.
		{"the last event's data edited", func(t *testing.T, fx *integrityFixture) {
			fx.exec(t, `UPDATE events SET data = CAST(replace(CAST(data AS TEXT), 'Expert ex-2', 'Nobody') AS BLOB) WHERE pos = ?`, int64(fx.last.Position))
		}, 3, false, true},
		{"the last event removed", func(t *testing.T, fx *integrityFixture) {
			fx.exec(t, `DELETE FROM events WHERE pos = ?`, int64(fx.last.Position))
		}, 2, false, true},
		{"the stream removed", func(t *testing.T, fx *integrityFixture) {
			fx.exec(t, `DELETE FROM events WHERE stream = ?`, StreamName(itEng))
		}, 0, false, true},
		{"a middle event removed", func(t *testing.T, fx *integrityFixture) {
			fx.exec(t, `DELETE FROM events WHERE pos = ?`, int64(fx.last.Position)-1)
		}, 2, false, false},
		{"undecodable, its link sealed", func(t *testing.T, fx *integrityFixture) {
			// Appended as the ledger would, with a valid link: written by
			// something this build does not know.
			prev := fx.last.Events[0].Meta.Hash
			ev := eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "expert.teleported", Data: []byte(`{}`)}
			meta, _, err := seal(Metadata{SchemaVersion: 1}, prev, StreamName(itEng), 4, ev)
			if err != nil {
				t.Fatal(err)
			}
			ev.Metadata = meta
			if _, err := fx.store.Append(ctx, StreamName(itEng), eventstore.Exact(3), ev); err != nil {
				t.Fatal(err)
			}
		}, 4, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := newIntegrityFixture(t)
			tt.edit(t, fx)
			head, err := fx.store.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{}
			if tt.vouch {
				opts.Vouch = fx.logStandIn
			}
			l := New(fx.store, opts)
			_, _, err = l.Load(ctx, itEng)
			ie := wantBreach(t, "load", err, tt.rev)
			if tt.broken != errors.Is(ie, ErrChainBroken) {
				t.Errorf("errors.Is(ErrChainBroken) = %v: %v", !tt.broken, ie)
			}
			_, err = l.Execute(ctx, invite("ex-3"))
			wantBreach(t, "execute", err, tt.rev)
			if _, err := l.History(ctx, itEng); !errors.Is(err, ErrIntegrityBreach) {
				t.Errorf("history: %v", err)
			}
			if _, _, err := l.StateAsOf(ctx, itEng, AsOf{}); !errors.Is(err, ErrIntegrityBreach) {
				t.Errorf("as of: %v", err)
			}
			// A fresh ledger's History finds it too, on its own.
			if _, err := New(fx.store, opts).History(ctx, itEng); !errors.Is(err, ErrIntegrityBreach) {
				t.Errorf("history of a fresh ledger: %v", err)
			}
			if now, _ := fx.store.Head(ctx); now != head {
				t.Errorf("head %d -> %d: something was appended", head, now)
			}
		})
	}
}

// TestTruncationIsNotRewritten: events removed from the end of a stream
// the ledger had read make the next write an *IntegrityError, never an
// append at the freed revision; and it stays so (the entry forgot, the
// ledger did not).
func TestTruncationIsNotRewritten(t *testing.T) {
	ctx := context.Background()
	fx := newIntegrityFixture(t)
	l := New(fx.store, Options{})
	if _, _, err := l.Load(ctx, itEng); err != nil {
		t.Fatal(err)
	}
	fx.exec(t, `DELETE FROM events WHERE stream = ? AND rev >= 2`, StreamName(itEng))
	_, err := l.Execute(ctx, invite("ex-3"))
	ie := wantBreach(t, "write after the truncation", err, 2)
	if !errors.Is(err, eventstore.ErrConflict) {
		t.Errorf("the cause is not the store's conflict: %v", ie.Err)
	}
	for range 2 {
		_, err = l.Execute(ctx, invite("ex-4"))
		wantBreach(t, "another write", err, 2)
		_, _, err = l.Load(ctx, itEng)
		wantBreach(t, "a read", err, 2)
	}
	evs, err := fx.store.ReadStream(ctx, StreamName(itEng), eventstore.ReadStreamOptions{})
	if err != nil || len(evs) != 2 {
		t.Fatalf("stream after the refused writes: %d events, %v", len(evs), err)
	}
}

// TestRemovedStreamIsABreach: a stream that a ledger following other
// writers (Shared) had read, gone from the store, is a breach, not an
// engagement that keeps its old state.
func TestRemovedStreamIsABreach(t *testing.T) {
	ctx := context.Background()
	fx := newIntegrityFixture(t)
	l := New(fx.store, Options{Shared: true})
	if _, _, err := l.Load(ctx, itEng); err != nil {
		t.Fatal(err)
	}
	fx.exec(t, `DELETE FROM events WHERE stream = ?`, StreamName(itEng))
	_, _, err := l.Load(ctx, itEng)
	wantBreach(t, "read", err, 0)
}

// TestViewAtFoldsWhatTheStoreHas: a reader told of an event by the store (a
// feed) asks for a state that folded it; the cache, which learns of events
// written elsewhere only when it reads, catches up for it, where View keeps
// what it has.
func TestViewAtFoldsWhatTheStoreHas(t *testing.T) {
	ctx := context.Background()
	fx := newIntegrityFixture(t) // 4 events, revisions 0 to 3
	cached := New(fx.store, Options{})
	if _, _, err := cached.Load(ctx, itEng); err != nil {
		t.Fatal(err)
	}
	// Another writer (another process) appends revision 4.
	if _, err := New(fx.store, Options{}).Execute(ctx, invite("ex-3")); err != nil {
		t.Fatal(err)
	}
	revOf := func(view func(context.Context, string, func(*domain.Engagement, uint64) error) error) uint64 {
		var got uint64
		if err := view(ctx, itEng, func(_ *domain.Engagement, rev uint64) error { got = rev; return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := revOf(cached.View); got != 3 {
		t.Fatalf("View at revision %d, want the cached 3", got)
	}
	viewAt4 := func(ctx context.Context, id string, fn func(*domain.Engagement, uint64) error) error {
		return cached.ViewAt(ctx, id, 4, fn)
	}
	if got := revOf(viewAt4); got != 4 {
		t.Fatalf("ViewAt(4) at revision %d, want 4", got)
	}
}
