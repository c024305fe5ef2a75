package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
)

// ErrIntegrityBreach is wrapped by *IntegrityError.
var ErrIntegrityBreach = errors.New("ledger: the engagement's event log failed its integrity check")

// IntegrityError reports an engagement whose stored events cannot be
// trusted: a link of its hash chain that does not hold, an event that
// cannot be decoded or does not fit the state before it, a missing
// revision, events removed from its end while the ledger knew them.
//
// Once the ledger has met one, it neither reads nor writes the engagement
// again until the process restarts (and checks again): in particular it
// never appends at a revision that was freed by removing events.
type IntegrityError struct {
	EngagementID string
	Revision     uint64 // the first revision that does not hold
	Reason       string
	// Before is the state folded from the events before Revision (nil
	// when there are none): who could see the engagement until then, for
	// a caller that must not learn more than that.
	Before *domain.Engagement
	Err    error // the cause, when there is one (a *ChainError, a decoding error)
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("ledger: engagement %s failed its integrity check at revision %d: %s", e.EngagementID, e.Revision, e.Reason)
}

func (e *IntegrityError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrIntegrityBreach}
	}
	return []error{ErrIntegrityBreach, e.Err}
}

// breachAt returns the breach found at revision rev of e's stream, with the
// state the entry folded so far. The caller holds e.smu or e.mu.
func breachAt(e *entry, rev uint64, reason string, cause error) *IntegrityError {
	ie := &IntegrityError{EngagementID: e.id, Revision: rev, Reason: reason, Err: cause}
	if e.exists && e.state != nil {
		ie.Before = e.state.Clone()
	}
	return ie
}

// checkStored checks one stored event against the entry it is to be folded
// into: the next revision, its link in the hash chain, decodable. The
// caller holds e.smu.
func checkStored(e *entry, se *eventstore.RecordedEvent) (Recorded, error) {
	next := uint64(0)
	if e.exists {
		next = e.rev + 1
	}
	if se.Revision != next {
		return Recorded{}, breachAt(e, next, fmt.Sprintf("revision %d is missing", next), nil)
	}
	var prev *link
	if e.exists {
		prev = &link{hash: e.lastHash, rev: e.rev, pos: e.pos}
	}
	l, err := checkLink(prev, se)
	if err != nil {
		reason, rev := "its link in the hash chain does not hold", se.Revision
		var ce *ChainError
		if errors.As(err, &ce) {
			// A prev_hash that does not match names the predecessor.
			reason, rev = ce.Reason, ce.Revision
		}
		return Recorded{}, breachAt(e, rev, reason, err)
	}
	r, err := Decode(*se)
	if err != nil {
		return Recorded{}, breachAt(e, se.Revision, "the event cannot be decoded", err)
	}
	r.Meta.Hash = l.hash // what the successor's prev_hash names (computed since chain v2)
	return r, nil
}

// breach returns the breach met on engagement id, if any.
func (l *Ledger) breach(id string) *IntegrityError {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.breaches[id]
}

// recordBreach remembers a breach for good (until the process restarts):
// the entry, which forgets what it folded, may also be evicted, and a
// truncated stream would read as a shorter, valid one next time.
func (l *Ledger) recordBreach(err error) {
	var ie *IntegrityError
	if !errors.As(err, &ie) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.breaches[ie.EngagementID] == nil {
		l.breaches[ie.EngagementID] = ie
	}
}

// vouch asks Options.Vouch about the end of the engagement's stream as read
// (last nil: no such stream); a finding is an *IntegrityError at the last
// event's revision (0 for a removed stream), with the state before it left
// to the caller. The caller holds e.mu, or reads outside any entry.
func (l *Ledger) vouch(ctx context.Context, engagementID string, last *eventstore.RecordedEvent) error {
	if l.opts.Vouch == nil {
		return nil
	}
	err := l.opts.Vouch(ctx, StreamName(engagementID), last)
	if err == nil {
		return nil
	}
	ie := &IntegrityError{EngagementID: engagementID, Reason: "it does not match the transparency log", Err: err}
	if last != nil {
		ie.Revision = last.Revision
	}
	return ie
}
