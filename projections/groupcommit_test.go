package projections

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
)

// heldWrites makes the engine's flushes wait, each, until the test lets it
// go (with the error it is given, nil to write it).
type heldWrites struct {
	entered chan *flush
	release chan error
}

func holdWrites(e *Engine) *heldWrites {
	h := &heldWrites{entered: make(chan *flush), release: make(chan error)}
	e.beforeWrite = func(f *flush) error {
		h.entered <- f
		return <-h.release
	}
	return h
}

// staged is how many events the serving projections staged and did not
// commit yet.
func staged(e *Engine) int {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	return e.liveUnsaved
}

// eventually polls cond until it holds, and fails the test after a while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// notYet checks that WaitFor(pos) does not return while the test holds
// the writes: it would only return early if a position moved before it
// was durable.
func notYet(t *testing.T, e *Engine, pos eventstore.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := e.WaitFor(ctx, pos); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor(%d) = %v while its commit is held: acknowledged before durable", pos, err)
	}
	if got := e.Position(); got >= pos {
		t.Fatalf("position %d while the commit of %d is held", got, pos)
	}
}

func inviteExpert(i int) domain.Command {
	return domain.InviteExpert{ActorID: alice, ExpertID: fmt.Sprintf("exp-%d", i), Name: "Expert", Expertise: "WAL"}
}

// openSmall opens engagement eng (in the emergence phase, where experts
// are invited).
func openSmall(s *scenario, eng string) {
	s.do(eng, domain.OpenEngagement{ActorID: alice, EngagementID: eng, Title: eng, ClientName: "C", SupplierName: "S",
		Opener: domain.NewStakeholder{StakeholderID: alice, Party: domain.PartySupplier, Name: "Alice"}})
}

// eventsOf is the event count of an engagement's summary.
func eventsOf(t *testing.T, e *Engine, eng string) int {
	t.Helper()
	sum, err := e.Engagement(context.Background(), eng)
	if err != nil {
		t.Fatal(err)
	}
	return sum.Counts.Events
}

// At the head, events that come while a commit is written are staged, not
// acknowledged, and committed together once it is durable; WaitFor
// returns for each only once its own commit is durable.
func TestLiveGroupCommitAcknowledgesOnlyDurableEvents(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	openSmall(s, eng1)
	e, _ := openEngine(t, st, Options{CommitInterval: time.Millisecond})
	running(t, e)
	waitFor(t, e, s.last)
	opened := eventsOf(t, e, eng1)

	h := holdWrites(e)
	a := s.do(eng1, inviteExpert(1)).Position
	first := <-h.entered // the commit of a is being written
	b := s.do(eng1, inviteExpert(2)).Position
	c := s.do(eng1, inviteExpert(3)).Position
	eventually(t, "b and c are staged", func() bool { return staged(e) == 2 })
	notYet(t, e, a)
	if got := eventsOf(t, e, eng1); got != opened {
		t.Fatalf("summary while the commit of %d is held: %d events, want %d", a, got, opened)
	}

	commits := e.commits.Load()
	h.release <- nil // a is written
	second := <-h.entered
	if first.seq == second.seq {
		t.Fatal("the same flush written twice")
	}
	waitFor(t, e, a)
	notYet(t, e, b)
	h.release <- nil // b and c, in one transaction
	waitFor(t, e, c)
	if got := e.commits.Load() - commits; got != 2 {
		t.Errorf("%d commits for a, then b and c staged while a was written; want 2", got)
	}
	if got := eventsOf(t, e, eng1); got != opened+3 {
		t.Errorf("summary: %d events, want %d", got, opened+3)
	}
}

// A live commit that fails acknowledges nothing, neither its events nor
// those staged while it was written: Run stops, the checkpoints stay where
// they were, and the next Run applies them all, once.
func TestLiveGroupCommitFailureAcknowledgesNothing(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	s.mainScenario(eng1)
	openSmall(s, "eng-live")
	e, _ := openEngine(t, st, Options{CommitInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	waitFor(t, e, s.last)
	before, cps := dump(t, e), checkpoints(e)

	h := holdWrites(e)
	a := s.do("eng-live", inviteExpert(1)).Position
	<-h.entered
	b := s.do("eng-live", inviteExpert(2)).Position
	eventually(t, "b is staged", func() bool { return staged(e) == 1 })
	boom := errors.New("disk on fire")
	h.release <- boom
	if err := <-done; !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the failed commit's error", err)
	}
	if got := e.Position(); got >= a {
		t.Errorf("position %d after the commit of %d failed", got, a)
	}
	if after := dump(t, e); after != before {
		t.Errorf("a failed commit changed the read models:\n%s", firstDiff(before, after))
	}
	for name, cp := range checkpoints(e) {
		if cp != cps[name] {
			t.Errorf("%s checkpoint moved from %d to %d", name, cps[name], cp)
		}
	}

	e.beforeWrite = nil
	running(t, e)
	waitFor(t, e, b)
	ref, _ := openEngine(t, st, Options{})
	running(t, ref)
	waitFor(t, ref, b)
	if got, want := dump(t, e), dump(t, ref); got != want {
		t.Errorf("after the failure and a new Run, read models differ from a fresh engine's:\n%s", firstDiff(want, got))
	}
}

func TestSteadyStream(t *testing.T) {
	for _, tc := range []struct {
		n     int
		since time.Duration
		want  bool
	}{
		{1, 5 * time.Millisecond, false},  // one writer at 200 a second, waiting for each
		{3, time.Second, false},           // a command of three events, after a pause
		{2, 3 * time.Millisecond, false},  // two writers now and then
		{4, time.Millisecond, true},       // 4,000 a second
		{20, 2 * time.Millisecond, true},  // group commits of the store at 10,000 a second
		{10, 10 * time.Millisecond, true}, // exactly the rate
		{9, 10 * time.Millisecond, false}, // just under
		{1, 0, true},                      // a commit has just started
		{0, time.Millisecond, false},      // nothing staged
		{100, 200 * time.Millisecond, false},
	} {
		if got := steady(tc.n, tc.since); got != tc.want {
			t.Errorf("steady(%d, %s) = %v, want %v", tc.n, tc.since, got, tc.want)
		}
	}
}

// A raw list encoded for a flush keeps the bytes that flush writes until
// it is durable; after that, adding to it changes it in place.
func TestRawListHeldByFlushInFlight(t *testing.T) {
	c := newDocCache("t", 100, true)
	tx := &txn{ctx: context.Background(), cache: c, pos: 1}
	add := func(i int) *rawList {
		t.Helper()
		l, err := loadList(tx, kindChunk, "e", "0")
		if err != nil {
			t.Fatal(err)
		}
		if err := l.add(&KnowledgeItem{Kind: KnowInformed, RefID: fmt.Sprintf("r-%d", i)}, 8); err != nil {
			t.Fatal(err)
		}
		tx.put(kindChunk, "e", "0", 0, "", l)
		return l
	}
	add(1)
	rows, err := c.encode(1) // flush 1, in flight
	if err != nil {
		t.Fatal(err)
	}
	written := bytes.Clone(rows[0].data)
	add(2)
	if !bytes.Equal(rows[0].data, written) {
		t.Fatalf("adding changed the bytes of a flush in flight:\n%s\nwas\n%s", rows[0].data, written)
	}
	if _, err := c.encode(2); err != nil {
		t.Fatal(err)
	}
	c.committed(2, 0, 0) // flushes 1 and 2 are durable
	l := add(3)
	at := &l.buf[0]
	add(4)
	if &l.buf[0] != at {
		t.Error("a list no flush holds was copied to add to it")
	}
}

// Once a large catch-up is durable, the engine gives back the writer's
// large page cache and the free heap, and goes on at the head.
func TestMemoryReleasedAfterCatchUp(t *testing.T) {
	st, head := catchUpStore(t)
	e, _ := openEngine(t, st, Options{BatchSize: 10}) // steps of 80 events
	running(t, e)
	waitFor(t, e, head)
	eventually(t, "memory is released", func() bool { return e.releases.Load() > 0 })
	e.sqlMu.Lock()
	if e.w != nil && e.w.cacheKiB != liveCacheKiB {
		t.Errorf("writer page cache %d KiB at the head, want %d", e.w.cacheKiB, liveCacheKiB)
	}
	e.sqlMu.Unlock()
	s := newScenario(t, st)
	openSmall(s, "eng-live")
	s.do("eng-live", inviteExpert(1))
	waitFor(t, e, s.last)
	if got := e.releases.Load(); got != 1 {
		t.Errorf("%d releases; want 1, after the catch-up only", got)
	}
}

// withoutRowidDDL is the document table of the generations created before
// docKeyDDL: they go on serving and being written with the same
// statements.
const withoutRowidDDL = `CREATE TABLE %[1]s (
	eng  TEXT NOT NULL,
	kind TEXT NOT NULL,
	id   TEXT NOT NULL,
	seq  INTEGER NOT NULL,
	tag  TEXT NOT NULL DEFAULT '',
	data BLOB NOT NULL,
	PRIMARY KEY (eng, kind, id)
) WITHOUT ROWID`

func TestGenerationsOfTheEarlierSchemaStillWork(t *testing.T) {
	st, head := catchUpStore(t)
	want, _ := referenceDump(t, st, head)

	// A database whose generations have the earlier tables, empty, at
	// checkpoint zero.
	e, path := openEngine(t, st, Options{})
	tables := map[string]string{}
	e.mu.RLock()
	for name, in := range e.live {
		tables[name] = in.table
	}
	e.mu.RUnlock()
	for name, tbl := range tables {
		stmts := []string{"DROP TABLE " + tbl, fmt.Sprintf(withoutRowidDDL, tbl)}
		if name == NameEngagements {
			stmts = append(stmts, fmt.Sprintf(docTagIndexDDL, tbl))
		}
		for _, q := range stmts {
			if _, err := e.db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	old, err := Open(context.Background(), path, st, Options{BatchSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { old.Close() })
	running(t, old)
	waitFor(t, old, head)
	if got := dump(t, old); got != want {
		t.Errorf("read models in tables of the earlier schema differ:\n%s", firstDiff(want, got))
	}
	var ddl string
	if err := old.db.QueryRow(`SELECT sql FROM sqlite_schema WHERE name = ?`, tables[NameTimeline]).Scan(&ddl); err != nil || !bytes.Contains([]byte(ddl), []byte("WITHOUT ROWID")) {
		t.Errorf("timeline table %q, %v: not the earlier one", ddl, err)
	}
}
