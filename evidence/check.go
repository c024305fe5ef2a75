package evidence

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/verifier"
)

// CheckReport is the outcome of Check.
type CheckReport struct {
	Events   int64     // events of the store compared with their leaf
	Leaves   int64     // leaves in the log
	Findings []*Breach // the first findings, at most maxFindings
}

// OK reports whether the store matches its log.
func (r *CheckReport) OK() bool { return len(r.Findings) == 0 }

const maxFindings = 20

func (r *CheckReport) add(b *Breach) {
	if len(r.Findings) < maxFindings {
		r.Findings = append(r.Findings, b)
	}
}

// Check compares the store with the log, leaf by leaf in position order:
// an event that differs from its leaf (content, type, id, stream,
// revision, recorded time), a leaf whose event is gone, an event where the
// log has none; then the tree against the last signed checkpoint. Run it
// after CatchUp and before Run: events the log has not ingested yet are
// not findings.
func (l *Log) Check(ctx context.Context) (CheckReport, error) {
	var rep CheckReport
	if b := l.Breach(); b != nil {
		rep.add(b)
	}
	// Leaves in evidence.db are compared; a running log may have more in
	// memory, which the next check sees.
	l.mu.Lock()
	size, ingested := l.committed, l.size
	signed := l.signed
	l.mu.Unlock()
	rep.Leaves = size

	rows, err := l.db.QueryContext(ctx, `SELECT `+leafColumns+` FROM leaves ORDER BY idx`)
	if err != nil {
		return rep, fmt.Errorf("evidence: check: %w", err)
	}
	defer rows.Close()
	nextLeaf := func() (*leafRec, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		r, err := scanLeaf(rows)
		return &r, err
	}
	leaf, err := nextLeaf()
	if err != nil {
		return rep, err
	}
	var want int64 // the index the next leaf must have
	after := eventstore.Start
	var page []eventstore.RecordedEvent
	storeDone := false
	for {
		if len(page) == 0 && !storeDone {
			if page, err = l.store.ReadAll(ctx, after, 4096); err != nil {
				return rep, fmt.Errorf("evidence: check: %w", err)
			}
			storeDone = len(page) == 0
		}
		var ev *eventstore.RecordedEvent
		if len(page) > 0 {
			ev = &page[0]
		}
		if ev == nil && leaf == nil {
			break
		}
		consumeEvent := func() {
			after, page = ev.Position, page[1:]
			rep.Events++
		}
		switch {
		case leaf == nil: // beyond the log: not ingested yet
			consumeEvent()
			continue
		case leaf.idx != want:
			rep.add(&Breach{Reason: fmt.Sprintf("the log has no leaf %d", want), Leaf: want})
			want = leaf.idx
			continue
		case ev == nil || uint64(ev.Position) > leaf.pos:
			rep.add(&Breach{Reason: "the store has lost an event the log holds", Stream: leaf.stream,
				Revision: leaf.rev, Position: leaf.pos, Leaf: leaf.idx})
		case uint64(ev.Position) < leaf.pos:
			rep.add(&Breach{Reason: "the store has an event the log never had", Stream: ev.Stream,
				Revision: ev.Revision, Position: uint64(ev.Position), Leaf: leaf.idx})
			consumeEvent()
			continue
		default:
			if reason := compare(ev, leaf); reason != "" {
				rep.add(&Breach{Reason: reason, Stream: leaf.stream, Revision: leaf.rev, Position: leaf.pos, Leaf: leaf.idx})
			}
			consumeEvent()
		}
		if leaf, err = nextLeaf(); err != nil {
			return rep, err
		}
		want++
	}
	if signed != nil {
		c := signed.Checkpoint
		if c.Size > ingested {
			rep.add(&Breach{Reason: fmt.Sprintf("the last checkpoint signed has %d leaves, the log %d: the log shrank", c.Size, ingested)})
		} else if root, err := tlog.TreeHash(c.Size, l.reader()); err != nil {
			rep.add(&Breach{Reason: "the tree cannot be read: " + err.Error()})
		} else if root != c.Root {
			rep.add(&Breach{Reason: fmt.Sprintf("the tree of size %d no longer has the root its checkpoint signed", c.Size)})
		}
	}
	return rep, nil
}

// compare names what differs between a stored event and its leaf.
func compare(e *eventstore.RecordedEvent, r *leafRec) string {
	ve := ledger.VerifierEvent(e)
	switch {
	case e.Stream != r.stream:
		return fmt.Sprintf("the event moved to stream %s", e.Stream)
	case e.Revision != r.rev:
		return fmt.Sprintf("the event's revision became %d", e.Revision)
	case e.ID != r.id:
		return "the event's id changed"
	case e.RecordedAt.UnixNano() != r.at:
		return fmt.Sprintf("the event's recorded time changed to %s", e.RecordedAt.Format("2006-01-02T15:04:05.999999999Z07:00"))
	case verifier.EventHash(ve) != r.eventHash:
		return "the event's content (type, data or metadata) changed"
	case tlog.RecordHash(verifier.LeafData(ve.Position, ve.RecordedAt, r.eventHash)) != r.leafHash:
		return "the leaf hash does not match the leaf"
	}
	return ""
}

// Start brings the log up to the store and checks the store against it,
// as a server does before it serves: on a finding the log is in breach
// (Breach, SetBreach) and the server serves read-only (docs/EVIDENCE.md §8).
func (l *Log) Start(ctx context.Context) (CheckReport, error) {
	if err := l.CatchUp(ctx); err != nil {
		return CheckReport{}, err
	}
	rep, err := l.Check(ctx)
	if err != nil {
		return rep, err
	}
	if !rep.OK() {
		l.SetBreach(rep.Findings[0])
	}
	return rep, nil
}
