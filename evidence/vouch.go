package evidence

import (
	"context"
	"errors"

	"github.com/candor-ledger/candor/eventstore"
)

// Vouch checks what a reader found at the end of a stream against the log:
// the hash chain links every event to the next one, so nothing but the log
// vouches for a stream's last event, or tells that events were removed
// from its end or the whole stream deleted. last is the stream's last
// event as read, nil when the store has no such stream. A finding is a
// *Breach; events the log has not taken in yet are not checked.
func (l *Log) Vouch(ctx context.Context, stream string, last *eventstore.RecordedEvent) error {
	after := int64(-1) // the log must hold no leaf of the stream beyond this revision
	if last != nil {
		after = int64(last.Revision)
		if _, pos := l.Size(); last.Position <= pos {
			r, err := l.byPosition(ctx, uint64(last.Position))
			if errors.Is(err, ErrNotFound) {
				return &Breach{Reason: "the store has an event the log never had", Stream: stream,
					Revision: last.Revision, Position: uint64(last.Position)}
			}
			if err != nil {
				return err
			}
			if reason := compare(last, &r); reason != "" {
				return &Breach{Reason: reason, Stream: r.stream, Revision: r.rev, Position: r.pos, Leaf: r.idx}
			}
		}
	}
	r, err := l.laterLeaf(ctx, stream, after)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	reason := "events were removed from the end of the stream"
	if last == nil {
		reason = "the stream was removed from the store"
	}
	return &Breach{Reason: reason, Stream: r.stream, Revision: r.rev, Position: r.pos, Leaf: r.idx}
}

// laterLeaf returns a leaf of stream with a revision above rev, if the log
// has one.
func (l *Log) laterLeaf(ctx context.Context, stream string, rev int64) (leafRec, error) {
	l.fmu.Lock() // not between pending and evidence.db
	defer l.fmu.Unlock()
	l.mu.Lock()
	for i := len(l.pending) - 1; i >= 0; i-- {
		if p := l.pending[i]; p.stream == stream && int64(p.rev) > rev {
			l.mu.Unlock()
			return p, nil
		}
	}
	l.mu.Unlock()
	end, ok, err := l.end(ctx, stream)
	if err != nil {
		return leafRec{}, err
	}
	if !ok || int64(end.rev) <= rev {
		return leafRec{}, ErrNotFound
	}
	return l.queryLeaf(ctx, `idx = ?`, end.idx)
}
