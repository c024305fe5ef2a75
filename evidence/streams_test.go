package evidence_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/evidence"
	"github.com/candor-ledger/candor/ledger"
)

// hiding is a store that has lost some of a stream's events (as an
// attacker deleting rows would leave it).
type hiding struct {
	eventstore.Store
	stream string
	lost   map[uint64]bool // revisions
}

func (h *hiding) ReadStream(ctx context.Context, stream string, o eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	evs, err := h.Store.ReadStream(ctx, stream, o)
	if stream != h.stream {
		return evs, err
	}
	return slices.DeleteFunc(evs, func(e eventstore.RecordedEvent) bool { return h.lost[e.Revision] }), err
}

const otherEng = "0190c0de-0000-7000-8000-000000000002"

func openOther() ledger.Request {
	r := openReq()
	r.EngagementID = otherEng
	cmd := r.Command
	r.Command = func(s *domain.Engagement) (domain.Command, error) {
		c, err := cmd(s)
		o := c.(domain.OpenEngagement)
		o.EngagementID = otherEng
		return o, err
	}
	return r
}

// committedHistory writes two engagements' events interleaved and
// returns the fixture with its log stopped: every leaf in evidence.db.
func committedHistory(t *testing.T) *fixture {
	t.Helper()
	f := newSQLiteFixture(t)
	f.exec(openReq())
	f.exec(openOther())
	for _, id := range []string{"ex-1", "ex-2", "ex-3", "ex-4", "ex-5"} {
		f.exec(invite(id))
		other := invite(id)
		other.EngagementID = otherEng
		f.exec(other)
	}
	f.receipt(f.exec(invite("ex-6"))) // the log has taken every event in
	f.stopLog()                       // and written them to evidence.db
	return f
}

func openLog(t *testing.T, f *fixture, store eventstore.Store) *evidence.Log {
	t.Helper()
	key, _, err := evidence.LoadKey(filepath.Join(f.dir, evidence.KeyFile), false)
	if err != nil {
		t.Fatal(err)
	}
	l, err := evidence.Open(context.Background(), filepath.Join(f.dir, evidence.DBFile), store, key, evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestExportNamesTheLeavesTheStoreLost: leaves of events deleted from the
// middle and from the end of a stream are found in evidence.db (between
// the leaves of the events that remain, by position) and exported as
// missing, for the verifier to name.
func TestExportNamesTheLeavesTheStoreLost(t *testing.T) {
	f := committedHistory(t)
	stream := ledger.StreamName(engID)
	all, err := f.store.ReadStream(context.Background(), stream, eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	last := all[len(all)-1].Revision
	for _, tt := range []struct {
		name string
		lost []uint64
	}{
		{"nothing lost", nil},
		{"the first event", []uint64{0}},
		{"two in the middle", []uint64{2, 3}},
		{"the last two", []uint64{last - 1, last}},
		{"all but one", []uint64{0, 1, 2, 3, 5, 6}},
		{"the whole stream", []uint64{0, 1, 2, 3, 4, 5, 6}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &hiding{Store: f.store, stream: stream, lost: map[uint64]bool{}}
			for _, r := range tt.lost {
				h.lost[r] = true
			}
			l := openLog(t, f, h)
			b, err := l.Export(context.Background(), stream)
			if err != nil {
				t.Fatal(err)
			}
			var missing []uint64
			for _, m := range b.Missing {
				missing = append(missing, m.Revision)
			}
			slices.Sort(missing)
			if !slices.Equal(missing, tt.lost) {
				t.Errorf("missing revisions %v, want %v", missing, tt.lost)
			}
			if got, want := len(b.Events), len(all)-len(tt.lost); got != want {
				t.Errorf("%d events exported, want %d", got, want)
			}
			for _, e := range b.Events {
				if e.LeafIndex < 0 {
					t.Errorf("event %d exported without its leaf", e.Revision)
				}
			}
			if rep := verify(t, b); rep.OK() != (len(tt.lost) == 0) {
				t.Errorf("verifier: OK %v with %v lost: %+v", rep.OK(), tt.lost, rep.Problems)
			}
		})
	}
}

// TestStreamsTableFromAnOlderLog: a log written with the index of leaves
// by stream gets its streams table from it at open, and the index goes.
func TestStreamsTableFromAnOlderLog(t *testing.T) {
	f := committedHistory(t)
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(f.dir, evidence.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DELETE FROM streams`, `CREATE INDEX leaves_stream ON leaves (stream, rev)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	stream := ledger.StreamName(engID)
	all, err := f.store.ReadStream(context.Background(), stream, eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l := openLog(t, f, f.store)
	// The end of the stream is known again: a removed last event shows.
	err = l.Vouch(context.Background(), stream, &all[len(all)-2])
	var br *evidence.Breach
	if !errors.As(err, &br) || !strings.Contains(br.Reason, "removed from the end") || br.Revision != all[len(all)-1].Revision {
		t.Fatalf("Vouch after the migration = %v, want the last event named as removed", err)
	}
	if err := l.Vouch(context.Background(), ledger.StreamName(otherEng), nil); err == nil {
		t.Error("Vouch of a removed stream after the migration: nil, want a breach")
	}
	l.Close()
	db, err = sql.Open("sqlite3", "file:"+filepath.Join(f.dir, evidence.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'leaves_stream'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the old index: %d left, %v", n, err)
	}
}
