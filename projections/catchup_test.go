package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/candor-ledger/candor/eventstore"
)

// catchUpStore holds interleaved engagements, enough events for catching up
// to stage many small batches and commit several times.
func catchUpStore(t *testing.T) (*fakeStore, eventstore.Position) {
	t.Helper()
	st := newFakeStore()
	generate(t, st, 3000, 12, 150)
	head, err := st.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st, head
}

// referenceDump is what the read models hold once one batch applied every
// event of st.
func referenceDump(t *testing.T, st eventstore.Store, head eventstore.Position) (string, int64) {
	t.Helper()
	ref, _ := openEngine(t, st, Options{BatchSize: int(head) + 1})
	running(t, ref)
	waitFor(t, ref, head)
	return dump(t, ref), ref.rowsWritten.Load()
}

// Catching up stages batch after batch, commits every few of them, and
// evicts documents from the caches between commits (some then come back
// from the tables): the read models must end as one batch makes them.
func TestCatchUpInStepsMatchesOneBatch(t *testing.T) {
	st, head := catchUpStore(t)
	want, oneBatchRows := referenceDump(t, st, head)
	for _, opts := range []Options{
		{BatchSize: 7},
		{BatchSize: 64, CacheSize: 10},
		{BatchSize: 5, CacheSize: 1}, // every document leaves the cache at each commit
	} {
		e, _ := openEngine(t, st, opts)
		running(t, e)
		waitFor(t, e, head)
		if got := dump(t, e); got != want {
			t.Errorf("%+v: read models differ from one batch:\n%s", opts, firstDiff(want, got))
		}
		// Documents changed by several steps are written once per step.
		if rows := e.rowsWritten.Load(); rows <= oneBatchRows {
			t.Errorf("%+v: %d documents written, want more than one batch's %d: did it commit in steps?", opts, rows, oneBatchRows)
		}
	}
}

// A failure while catching up loses what was staged since the last commit,
// and only that: the checkpoints stay together at that commit, below the
// failed event, and a new Run ends where a clean one does.
func TestCatchUpFailureKeepsLastCommit(t *testing.T) {
	st, head := catchUpStore(t)
	want, _ := referenceDump(t, st, head)
	e, _ := openEngine(t, st, Options{BatchSize: 10})
	boom := errors.New("boom")
	failAt := head * 2 / 3
	e.failpoint = func(name string, pos eventstore.Position) error {
		if name == NameTimeline && pos == failAt {
			return boom
		}
		return nil
	}
	if err := e.Run(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want boom", err)
	}
	pos := e.Position()
	if pos == 0 || pos >= failAt {
		t.Errorf("position after the failure = %d, want a commit in (0, %d)", pos, failAt)
	}
	for name, cp := range checkpoints(e) {
		if cp != pos {
			t.Errorf("%s checkpoint = %d, want %d with the others", name, cp, pos)
		}
	}
	e.failpoint = nil
	running(t, e)
	waitFor(t, e, head)
	if got := dump(t, e); got != want {
		t.Errorf("recovered engine differs from a clean one:\n%s", firstDiff(want, got))
	}
}

// Stopping Run in the middle of catching up forgets what was staged and
// not committed: the next Run applies it again, once.
func TestCatchUpStoppedResumes(t *testing.T) {
	st, head := catchUpStore(t)
	want, _ := referenceDump(t, st, head)
	e, _ := openEngine(t, st, Options{BatchSize: 10})
	ctx, cancel := context.WithCancel(context.Background())
	stopAt := head / 2
	e.failpoint = func(name string, pos eventstore.Position) error {
		if pos == stopAt {
			cancel()
		}
		return nil
	}
	if err := e.Run(ctx); err != nil {
		t.Fatalf("Run = %v, want nil once stopped", err)
	}
	if pos := e.Position(); pos >= head {
		t.Fatalf("position %d: stopped after the end", pos)
	}
	e.failpoint = nil
	running(t, e)
	waitFor(t, e, head)
	if got := dump(t, e); got != want {
		t.Errorf("resumed engine differs from a clean one:\n%s", firstDiff(want, got))
	}
}

// Rebuilding stages page after page as well, committing every few pages:
// rebuilding every projection at once, with small pages, ends with the
// read models one batch makes, and the progress only moves forward.
func TestRebuildInStepsMatchesOneBatch(t *testing.T) {
	st, head := catchUpStore(t)
	want, _ := referenceDump(t, st, head)
	e, _ := openEngine(t, st, Options{BatchSize: 9, CacheSize: 20})
	running(t, e)
	waitFor(t, e, head)
	epoch := e.Epoch()
	var wg sync.WaitGroup
	errs := make([]error, len(Names()))
	for i, name := range Names() {
		wg.Go(func() {
			var last uint64
			errs[i] = e.Rebuild(context.Background(), name, func(done, total uint64) {
				if done < last || done > total {
					errs[i] = fmt.Errorf("progress %d/%d after %d", done, total, last)
				}
				last = done
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("rebuild %s: %v", Names()[i], err)
		}
	}
	if got := dump(t, e); got != want {
		t.Errorf("rebuilt read models differ from one batch:\n%s", firstDiff(want, got))
	}
	// Every switch-over tells caches of answers that they are stale.
	if got := e.Epoch(); got != epoch+uint64(len(Names())) {
		t.Errorf("epoch %d after %d rebuilds from %d", got, len(Names()), epoch)
	}
	for name, cp := range checkpoints(e) {
		if cp != head {
			t.Errorf("%s checkpoint = %d, want %d", name, cp, head)
		}
	}
}
