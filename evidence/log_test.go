package evidence_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/evidence"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/verifier"
)

const (
	engID     = "0190c0de-0000-7000-8000-000000000001"
	principal = "0190c0de-0000-7000-8000-0000000000aa"
)

// fixture is a store, a ledger writing to it, and a running log over it.
type fixture struct {
	t      *testing.T
	dir    string
	store  eventstore.Store
	ledger *ledger.Ledger
	log    *evidence.Log
	stop   func()
}

func newFixture(t *testing.T, store eventstore.Store, dir string) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: dir, store: store, ledger: ledger.New(store, ledger.Options{})}
	f.startLog()
	t.Cleanup(func() { f.stopLog() })
	return f
}

func newSQLiteFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return newFixture(t, s, dir)
}

func (f *fixture) startLog() {
	t := f.t
	t.Helper()
	key, _, err := evidence.LoadKey(filepath.Join(f.dir, evidence.KeyFile), true)
	if err != nil {
		t.Fatal(err)
	}
	l, err := evidence.Open(context.Background(), filepath.Join(f.dir, evidence.DBFile), f.store, key, evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	f.log = l
	f.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("log run: %v", err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("log close: %v", err)
		}
	}
}

func (f *fixture) stopLog() {
	if f.stop != nil {
		f.stop()
		f.stop = nil
	}
}

func (f *fixture) exec(req ledger.Request) ledger.Result {
	f.t.Helper()
	res, err := f.ledger.Execute(context.Background(), req)
	if err != nil {
		f.t.Fatalf("Execute: %v", err)
	}
	return res
}

// receipt waits for the receipt of a write.
func (f *fixture) receipt(res ledger.Result) verifier.Receipt {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pos := positions(f.t, f.store, res)
	rc, err := f.log.Receipt(ctx, pos)
	if err != nil {
		f.t.Fatalf("receipt: %v", err)
	}
	return *rc
}

// positions of the events a write stored (EventStoreDB's result names
// only the last one).
func positions(t *testing.T, s eventstore.Store, res ledger.Result) []eventstore.Position {
	t.Helper()
	evs, err := s.ReadStream(context.Background(), ledger.StreamName(res.EngagementID),
		eventstore.ReadStreamOptions{From: res.Events[0].Revision, Limit: len(res.Events)})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]eventstore.Position, len(evs))
	for i, e := range evs {
		out[i] = e.Position
	}
	return out
}

func openReq() ledger.Request {
	return ledger.Request{
		EngagementID: engID, Create: true, PrincipalID: principal,
		Command: func(*domain.Engagement) (domain.Command, error) {
			return domain.OpenEngagement{
				EngagementID: engID, Title: "Online shop", ClientName: "Maison Dupont", SupplierName: "Conseil & Co",
				Opener: domain.NewStakeholder{StakeholderID: "sh-sam", Party: domain.PartySupplier, Name: "Sam", PrincipalID: principal},
			}, nil
		},
	}
}

func invite(expertID string) ledger.Request {
	return ledger.Request{
		EngagementID: engID, PrincipalID: principal,
		Command: func(s *domain.Engagement) (domain.Command, error) {
			sh, _ := s.StakeholderByPrincipal(principal)
			return domain.InviteExpert{ActorID: sh.ID, ExpertID: expertID, Name: "Expert " + expertID, Expertise: "Checkout in three steps"}, nil
		},
	}
}

// export builds the engagement's bundle.
func (f *fixture) export() *verifier.Bundle {
	f.t.Helper()
	b, err := f.log.Export(context.Background(), ledger.StreamName(engID))
	if err != nil {
		f.t.Fatalf("export: %v", err)
	}
	return b
}

func verify(t *testing.T, b *verifier.Bundle, receipts ...verifier.Receipt) verifier.Report {
	t.Helper()
	rep, err := verifier.Verify(b, receipts)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

// An untouched store exports a bundle that verifies, with every receipt.
func TestReceiptsAndExportVerify(t *testing.T) {
	f := newSQLiteFixture(t)
	var receipts []verifier.Receipt
	receipts = append(receipts, f.receipt(f.exec(openReq())))
	for _, id := range []string{"x1", "x2", "x3"} {
		receipts = append(receipts, f.receipt(f.exec(invite(id))))
	}
	for i, rc := range receipts {
		if len(rc.Leaves) == 0 || rc.Leaves[0].Stream != ledger.StreamName(engID) {
			t.Fatalf("receipt %d: %+v", i, rc)
		}
	}
	rep := verify(t, f.export(), receipts...)
	if !rep.OK() || rep.Events != 5 || rep.Receipts != 4 {
		t.Fatalf("report %+v", rep)
	}
}

// A checkpoint is consistent with every later one, and the proof says so
// to a client that trusts only the public key.
func TestConsistencyProofs(t *testing.T) {
	f := newSQLiteFixture(t)
	old := f.receipt(f.exec(openReq()))
	f.receipt(f.exec(invite("x1")))
	oc, _, err := verifier.OpenCheckpoint(old.Checkpoint, f.log.Key().Verifiers())
	if err != nil {
		t.Fatal(err)
	}
	proof, _, _, latest, err := f.log.Consistency(context.Background(), oc.Size, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifier.CheckConsistency(old.Checkpoint, latest.Note, proof, f.log.Key().Verifiers()); err != nil {
		t.Fatalf("honest log: %v", err)
	}
	// The same proof does not make a forged old checkpoint consistent.
	forged := forge(t, f.dir, oc.Size, "another history")
	if err := verifier.CheckConsistency(forged, latest.Note, proof, f.log.Key().Verifiers()); err == nil {
		t.Fatal("a checkpoint of another tree passed as consistent")
	}
	if _, _, _, _, err := f.log.Consistency(context.Background(), latest.Checkpoint.Size+1, 0); !errors.Is(err, evidence.ErrTreeSize) {
		t.Fatalf("from beyond the tree: %v", err)
	}
}

// forge signs, with the log's own key, a checkpoint of size n over
// another root: what a server rewriting its history would have signed.
func forge(t *testing.T, dir string, n int64, seed string) string {
	t.Helper()
	key, _, err := evidence.LoadKey(filepath.Join(dir, evidence.KeyFile), false)
	if err != nil {
		t.Fatal(err)
	}
	var c verifier.Checkpoint
	c.Origin, c.Size, c.Time = key.Signer.Name(), n, time.Now()
	copy(c.Root[:], seed)
	msg, err := note.Sign(&note.Note{Text: c.Format()}, key.Signer)
	if err != nil {
		t.Fatal(err)
	}
	return string(msg)
}

// The log accepts a checkpoint it signed and refuses, with distinct
// errors, one it did not sign and one of another history.
func TestWitness(t *testing.T) {
	f := newSQLiteFixture(t)
	rc := f.receipt(f.exec(openReq()))
	w, err := f.log.Witness(context.Background(), rc.Checkpoint)
	if err != nil {
		t.Fatalf("own checkpoint: %v", err)
	}
	c, _, _ := verifier.OpenCheckpoint(rc.Checkpoint, f.log.Key().Verifiers())
	if w.Size != c.Size {
		t.Fatalf("witness %+v, checkpoint %+v", w, c)
	}
	if _, err := f.log.Witness(context.Background(), forge(t, f.dir, c.Size, "rewritten")); !errors.Is(err, evidence.ErrCheckpointInconsistent) {
		t.Fatalf("rewritten: %v", err)
	}
	if _, err := f.log.Witness(context.Background(), forge(t, f.dir, c.Size+100, "future")); !errors.Is(err, evidence.ErrCheckpointInconsistent) {
		t.Fatalf("beyond the log: %v", err)
	}
	if _, err := f.log.Witness(context.Background(), strings.Replace(rc.Checkpoint, "\n\n", "\nextra\n\n", 1)); !errors.Is(err, evidence.ErrCheckpointInvalid) {
		t.Fatalf("altered text: %v", err)
	}
}

// After a rotation the tree is the same: old receipts verify with the old
// public key, which the log keeps listing.
func TestKeyRotation(t *testing.T) {
	f := newSQLiteFixture(t)
	old := f.receipt(f.exec(openReq()))
	f.stopLog()
	path := filepath.Join(f.dir, evidence.KeyFile)
	before, _, _ := evidence.LoadKey(path, false)
	k, err := evidence.Rotate(path)
	if err != nil {
		t.Fatal(err)
	}
	if k.Public == before.Public || len(k.Previous) != 1 || k.Previous[0] != before.Public {
		t.Fatalf("rotated key %+v, before %s", k, before.Public)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new key file: %v %v", fi, err)
	}
	f.startLog()
	newer := f.receipt(f.exec(invite("x1")))
	rep := verify(t, f.export(), old, newer)
	if !rep.OK() {
		t.Fatalf("after rotation: %+v", rep.Problems)
	}
	if _, err := f.log.Witness(context.Background(), old.Checkpoint); err != nil {
		t.Fatalf("old checkpoint after rotation: %v", err)
	}
}

// Writes waiting for a receipt at the same time share one signature.
func TestReceiptsShareSignatures(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key, _, err := evidence.LoadKey(filepath.Join(dir, evidence.KeyFile), true)
	if err != nil {
		t.Fatal(err)
	}
	l, err := evidence.Open(context.Background(), filepath.Join(dir, evidence.DBFile), s, key, evidence.Options{SignInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	appendN := func(n int) []eventstore.Position {
		var out []eventstore.Position
		for range n {
			res, err := s.Append(ctx, "notes", eventstore.Any(), eventstore.EventData{ID: uuid.New(), Type: "note.taken", Data: []byte(`{}`)})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res.Position)
		}
		if err := l.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		return out
	}
	appendN(5)
	if _, err := l.Latest(ctx); err != nil {
		t.Fatal(err)
	}
	pos := appendN(20)
	errs := make(chan error, len(pos))
	for _, p := range pos {
		go func() {
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			_, err := l.Receipt(wctx, []eventstore.Position{p})
			errs <- err
		}()
	}
	for range pos {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := l.Signatures(); n != 2 {
		t.Fatalf("%d signatures for one checkpoint and one group of 20 receipts, want 2", n)
	}
}
