package ledger_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/ledger"
)

const (
	engID     = "0190c0de-0000-7000-8000-000000000001"
	opener    = "stk-supplier"
	principal = "prn-supplier"
)

func newStore(t *testing.T) (eventstore.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func openReq() ledger.Request {
	return ledger.Request{
		EngagementID: engID, Create: true, PrincipalID: principal, CorrelationID: "req-1",
		Command: func(s *domain.Engagement) (domain.Command, error) {
			return domain.OpenEngagement{
				EngagementID: engID, Title: "E-commerce platform", ClientName: "Maison Dupont", SupplierName: "Conseil & Co",
				Opener: domain.NewStakeholder{StakeholderID: opener, Party: domain.PartySupplier, Name: "Sam Supplier", PrincipalID: principal},
			}, nil
		},
	}
}

// raise returns a request inviting one expert (a command of the first
// phase, whose id is given), acting as the caller's
// stakeholder as the API does.
func raise(reqID string) ledger.Request {
	return ledger.Request{
		EngagementID: engID, PrincipalID: principal,
		Command: func(s *domain.Engagement) (domain.Command, error) {
			sh, ok := s.StakeholderByPrincipal(principal)
			if !ok {
				return nil, errors.New("caller is not a stakeholder")
			}
			return domain.InviteExpert{ActorID: sh.ID, ExpertID: reqID, Name: "Expert", Expertise: "Checkout in three steps"}, nil
		},
	}
}

func mustExecute(t *testing.T, l *ledger.Ledger, req ledger.Request) ledger.Result {
	t.Helper()
	res, err := l.Execute(context.Background(), req)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	return res
}

func TestExecuteAppendsDecidedEventsWithMetadata(t *testing.T) {
	s, _ := newStore(t)
	l := ledger.New(s, ledger.Options{})
	res := mustExecute(t, l, openReq())
	if len(res.Events) == 0 || res.Events[0].Type != domain.TypeEngagementOpened {
		t.Fatalf("open appended %+v", res.Events)
	}
	if res.Revision != uint64(len(res.Events)-1) || res.Position == 0 {
		t.Fatalf("result revision %d position %d for %d events", res.Revision, res.Position, len(res.Events))
	}
	res2 := mustExecute(t, l, raise("req-1"))
	if len(res2.Events) != 1 || res2.Revision != res.Revision+1 || res2.Position <= res.Position {
		t.Fatalf("raise: %+v after %+v", res2, res)
	}

	stored, err := s.ReadStream(context.Background(), ledger.StreamName(engID), eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	last, err := ledger.Decode(stored[len(stored)-1])
	if err != nil {
		t.Fatal(err)
	}
	// Chain v2: the hash is not stored, it is the stored event's; the
	// link names the previous one's.
	if last.Meta.Actor != opener || last.Meta.PrincipalID != principal || last.Meta.Hash != "" ||
		last.Meta.PrevHash != ledger.EventHash(&stored[len(stored)-2]) {
		t.Fatalf("metadata = %+v", last.Meta)
	}
	if _, ok := last.Event.(*domain.ExpertInvited); !ok {
		t.Fatalf("decoded %T, want *domain.ExpertInvited", last.Event)
	}

	st, rev, err := l.Load(context.Background(), engID)
	if err != nil || rev != res2.Revision {
		t.Fatalf("Load = rev %d, %v; want %d", rev, err, res2.Revision)
	}
	if _, ok := st.Expert("req-1"); !ok {
		t.Fatal("loaded state lacks the requirement")
	}
}

func TestDomainErrorsAppendNothing(t *testing.T) {
	s, _ := newStore(t)
	l := ledger.New(s, ledger.Options{})
	mustExecute(t, l, openReq())
	mustExecute(t, l, raise("req-1"))
	head, _ := s.Head(context.Background())

	_, err := l.Execute(context.Background(), raise("req-1")) // duplicate id
	if domain.KindOf(err) != domain.KindConflict {
		t.Fatalf("duplicate id: err = %v, want a domain conflict", err)
	}
	_, err = l.Execute(context.Background(), openReq()) // already opened
	if domain.KindOf(err) != domain.KindConflict {
		t.Fatalf("second open: err = %v, want a domain conflict", err)
	}
	if after, _ := s.Head(context.Background()); after != head {
		t.Fatalf("head moved from %d to %d after refused commands", head, after)
	}
}

func TestUnknownEngagementIsNotFound(t *testing.T) {
	s, _ := newStore(t)
	l := ledger.New(s, ledger.Options{})
	if _, err := l.Execute(context.Background(), raise("r")); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("Execute on missing engagement: %v", err)
	}
	if _, _, err := l.Load(context.Background(), engID); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("Load missing: %v", err)
	}
	if _, err := l.History(context.Background(), engID); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("History missing: %v", err)
	}
}

func TestIfMatch(t *testing.T) {
	s, _ := newStore(t)
	l := ledger.New(s, ledger.Options{})
	open := mustExecute(t, l, openReq())

	stale := open.Revision + 7
	req := raise("req-1")
	req.IfMatch = &stale
	if _, err := l.Execute(context.Background(), req); !errors.Is(err, ledger.ErrPreconditionFailed) {
		t.Fatalf("stale If-Match: err = %v", err)
	}
	cur := open.Revision
	req.IfMatch = &cur
	mustExecute(t, l, req)
	req = raise("req-2")
	req.IfMatch = &cur // now stale by one
	if _, err := l.Execute(context.Background(), req); !errors.Is(err, ledger.ErrPreconditionFailed) {
		t.Fatalf("If-Match one behind: err = %v", err)
	}
}

func TestIdempotencyKeyReplaysFirstResult(t *testing.T) {
	s, _ := newStore(t)
	l := ledger.New(s, ledger.Options{})
	mustExecute(t, l, openReq())

	req := raise("req-1")
	req.IdempotencyKey, req.Fingerprint = "key-1", "POST /requirements {a}"
	first := mustExecute(t, l, req)
	head, _ := s.Head(context.Background())

	// A retry, even one whose builder would pick a new id, appends nothing.
	retry := raise("req-other")
	retry.IdempotencyKey, retry.Fingerprint = req.IdempotencyKey, req.Fingerprint
	again := mustExecute(t, l, retry)
	if !again.Replayed || again.Revision != first.Revision || again.Position != first.Position || len(again.Events) != len(first.Events) || again.Events[0].ID != first.Events[0].ID {
		t.Fatalf("replay = %+v\nfirst = %+v", again, first)
	}
	// A fresh ledger (restart) still knows the key, from the stored metadata.
	fresh := ledger.New(s, ledger.Options{})
	again = mustExecute(t, fresh, retry)
	if !again.Replayed || again.Events[0].ID != first.Events[0].ID {
		t.Fatalf("after restart: %+v", again)
	}
	if after, _ := s.Head(context.Background()); after != head {
		t.Fatalf("retries appended: head %d -> %d", head, after)
	}

	reused := raise("req-2")
	reused.IdempotencyKey, reused.Fingerprint = req.IdempotencyKey, "POST /requirements {b}"
	if _, err := l.Execute(context.Background(), reused); !errors.Is(err, ledger.ErrIdempotencyKeyReused) {
		t.Fatalf("key reused for another request: %v", err)
	}
}

// Two ledgers over one store behave like two API instances: each decides on
// its cached state, the store's revision check catches the stale one, which
// catches up and decides again.
func TestTwoInstancesCatchUpOnConflict(t *testing.T) {
	s, _ := newStore(t)
	a := ledger.New(s, ledger.Options{})
	b := ledger.New(s, ledger.Options{})
	mustExecute(t, a, openReq())
	mustExecute(t, b, raise("req-1")) // b loads the stream, appends
	res := mustExecute(t, a, raise("req-2"))
	if h := mustHistory(t, a); res.Revision != uint64(len(h)-1) {
		t.Fatalf("a appended at revision %d, but the stream has %d events", res.Revision, len(h))
	}
	st, _, err := a.Load(context.Background(), engID)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"req-1", "req-2"} {
		if _, ok := st.Expert(id); !ok {
			t.Fatalf("state of a lacks %s", id)
		}
	}
	// With If-Match on a's stale view, a refuses instead of re-deciding.
	mustExecute(t, b, raise("req-3"))
	seen := res.Revision
	req := raise("req-4")
	req.IfMatch = &seen
	if _, err := a.Execute(context.Background(), req); !errors.Is(err, ledger.ErrPreconditionFailed) {
		t.Fatalf("stale If-Match across instances: %v", err)
	}
	// And a conflict on the same new id surfaces as the domain's duplicate.
	if _, err := a.Execute(context.Background(), raise("req-3")); domain.CodeOf(err) != domain.CodeDuplicateID {
		t.Fatalf("duplicate across instances: %v", err)
	}
}

func mustHistory(t *testing.T, l *ledger.Ledger) []ledger.Recorded {
	t.Helper()
	h, err := l.History(context.Background(), engID)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestConcurrentWritersLoseNothing(t *testing.T) {
	s, _ := newStore(t)
	a := ledger.New(s, ledger.Options{MaxRetries: 100})
	b := ledger.New(s, ledger.Options{MaxRetries: 100})
	open := mustExecute(t, a, openReq())

	const writers = 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := a
			if i%2 == 1 {
				l = b // half through a second instance, to force store conflicts
			}
			_, err := l.Execute(context.Background(), raise(fmt.Sprintf("req-%02d", i)))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	hist := mustHistory(t, a)
	if got, want := len(hist), int(open.Revision)+1+writers; got != want {
		t.Fatalf("%d events stored, want %d", got, want)
	}
	seen := map[string]bool{}
	for i, r := range hist {
		if r.Revision != uint64(i) {
			t.Fatalf("revision gap: event %d has revision %d", i, r.Revision)
		}
		if rr, ok := r.Event.(*domain.ExpertInvited); ok {
			if seen[rr.ExpertID] {
				t.Fatalf("requirement %s stored twice", rr.ExpertID)
			}
			seen[rr.ExpertID] = true
		}
	}
	if len(seen) != writers {
		t.Fatalf("%d requirements stored, want %d", len(seen), writers)
	}
	if rep, err := ledger.VerifyStream(context.Background(), s, ledger.StreamName(engID)); err != nil || !rep.OK() {
		t.Fatalf("chain after concurrent writes: %+v, %v", rep, err)
	}
}

func TestStateAsOf(t *testing.T) {
	s, _ := newStore(t)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	l := ledger.New(s, ledger.Options{Now: func() time.Time { return now }})
	mustExecute(t, l, openReq())
	first := mustExecute(t, l, raise("req-1"))
	mustExecute(t, l, raise("req-2"))

	pos := first.Position
	st, rev, err := l.StateAsOf(context.Background(), engID, ledger.AsOf{Position: &pos})
	if err != nil || rev != first.Revision {
		t.Fatalf("StateAsOf(position) rev %d err %v, want %d", rev, err, first.Revision)
	}
	if _, ok := st.Expert("req-1"); !ok {
		t.Fatal("req-1 missing as of its own position")
	}
	if _, ok := st.Expert("req-2"); ok {
		t.Fatal("req-2 present before it was raised")
	}
	long := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, _, err := l.StateAsOf(context.Background(), engID, ledger.AsOf{Time: &long}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("as of before the engagement: %v", err)
	}
}

// Editing a stored event behind the store's back breaks the hash chain, and
// verification names the first broken link.
func TestVerifyDetectsTampering(t *testing.T) {
	s, path := newStore(t)
	l := ledger.New(s, ledger.Options{})
	mustExecute(t, l, openReq())
	target := mustExecute(t, l, raise("req-1"))
	mustExecute(t, l, raise("req-2"))
	ctx := context.Background()

	if rep, err := ledger.VerifyAll(ctx, s, ledger.StreamPrefix); err != nil || !rep.OK() || rep.Streams != 1 {
		t.Fatalf("untouched store: %+v, %v", rep, err)
	}
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := tamper(ctx, db, target.Position); err != nil {
		t.Fatal(err)
	}
	for name, verify := range map[string]func() (ledger.VerifyReport, error){
		"all":    func() (ledger.VerifyReport, error) { return ledger.VerifyAll(ctx, s, ledger.StreamPrefix) },
		"stream": func() (ledger.VerifyReport, error) { return ledger.VerifyStream(ctx, s, ledger.StreamName(engID)) },
	} {
		rep, err := verify()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rep.OK() || rep.Broken.Revision != target.Revision || !errors.Is(rep.Broken, ledger.ErrChainBroken) {
			t.Fatalf("%s after tampering: %+v", name, rep.Broken)
		}
	}
}

// tamper rewrites the title of the requirement stored at pos, as someone
// with write access to the database file could.
func tamper(ctx context.Context, db *sql.DB, pos eventstore.Position) error {
	res, err := db.ExecContext(ctx,
		`UPDATE events SET data = CAST(replace(CAST(data AS TEXT), 'three steps', 'one step') AS BLOB) WHERE pos = ?`, int64(pos))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("tamper: %d rows changed, want 1", n)
	}
	return nil
}

// Readers run while writers append; under -race this checks the locking
// of the cached state, and every read sees a revision that only grows.
func TestViewWhileWriting(t *testing.T) {
	s, _ := newStore(t)
	l := ledger.New(s, ledger.Options{})
	mustExecute(t, l, openReq())
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				mustExecute(t, l, raise(fmt.Sprintf("w%d-%d", w, i)))
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	var last uint64
	for {
		select {
		case <-done:
			err := l.View(context.Background(), engID, func(st *domain.Engagement, rev uint64) error {
				if len(st.Experts) != 40 {
					return fmt.Errorf("%d experts at the end, want 40", len(st.Experts))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return
		default:
		}
		err := l.View(context.Background(), engID, func(st *domain.Engagement, rev uint64) error {
			if rev < last {
				return fmt.Errorf("revision went back from %d to %d", last, rev)
			}
			last = rev
			_ = len(st.Experts)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestHeadAndStoredResult: Head reports the revision and position of the
// engagement's last event, for the ledger that wrote it and for one that
// read the stream, and a result the store described completely (Stored)
// matches what a read of the stream returns.
func TestHeadAndStoredResult(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	l := ledger.New(s, ledger.Options{})
	mustExecute(t, l, openReq())
	res := mustExecute(t, l, raise("exp-1"))

	for name, lg := range map[string]*ledger.Ledger{"writer": l, "reader": ledger.New(s, ledger.Options{})} {
		rev, pos, err := lg.Head(ctx, engID)
		if err != nil {
			t.Fatalf("%s: Head: %v", name, err)
		}
		if rev != res.Revision || pos != res.Position {
			t.Fatalf("%s: Head = (%d, %d), want (%d, %d)", name, rev, pos, res.Revision, res.Position)
		}
	}
	if _, _, err := l.Head(ctx, "no-such-engagement"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("Head of a missing engagement: %v, want ErrNotFound", err)
	}

	stored, err := s.ReadStream(ctx, ledger.StreamName(engID), eventstore.ReadStreamOptions{From: res.Events[0].Revision})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(res.Events) {
		t.Fatalf("read %d events, result has %d", len(stored), len(res.Events))
	}
	for i, e := range stored {
		r := res.Events[i]
		if r.Position != e.Position || !r.RecordedAt.Equal(e.RecordedAt) || string(r.Data) != string(e.Data) || r.ID != e.ID {
			t.Fatalf("result event %d = (%d, %v, %s), stored (%d, %v, %s)", i, r.Position, r.RecordedAt, r.Data, e.Position, e.RecordedAt, e.Data)
		}
	}
}
