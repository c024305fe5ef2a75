package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/verifier"
)

// Metadata is the JSON metadata of every engagement event. It says who did
// it and why (actor, principal, correlation and causation ids, idempotency
// key), and links the event into its stream's hash chain: PrevHash is the
// hash of the stream's previous event (docs/EVIDENCE.md).
type Metadata struct {
	Actor          string `json:"actor,omitempty"`        // stakeholder id within the engagement
	PrincipalID    string `json:"principal_id,omitempty"` // authenticated API principal
	CorrelationID  string `json:"correlation_id,omitempty"`
	CausationID    string `json:"causation_id,omitempty"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	Fingerprint    string `json:"fingerprint,omitempty"` // of the request that carried the key
	SchemaVersion  int    `json:"schema_version"`        // of the event's data, for domain.Unmarshal
	// Witness is the checkpoint of the transparency log the client said it
	// had seen when it wrote this event, as the server accepted it.
	Witness  *verifier.Witness `json:"witness,omitempty"`
	PrevHash string            `json:"prev_hash"`
	// Hash is the event's own hash. Events sealed since chain v2 do not
	// store it (it is computed from the stored event, verifier.EventHash);
	// older ones do, and their successor's PrevHash names it.
	Hash string `json:"hash,omitempty"`
}

// ErrChainBroken is wrapped by *ChainError.
var ErrChainBroken = errors.New("ledger: hash chain broken")

// ChainError reports the first event whose link in its stream's hash chain
// does not hold.
type ChainError struct {
	Stream   string
	Revision uint64
	Position eventstore.Position
	Reason   string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("ledger: hash chain broken in %q at revision %d: %s", e.Stream, e.Revision, e.Reason)
}

func (e *ChainError) Unwrap() error { return ErrChainBroken }

// seal sets m.PrevHash and returns the event's metadata JSON and its hash.
// The hash (verifier.EventHash) covers the stream, the revision, the id,
// the type, the data and the metadata with its link to the previous event,
// so editing, moving or reordering any of them breaks the chain.
func seal(m Metadata, prev, stream string, revision uint64, e eventstore.EventData) ([]byte, string, error) {
	m.PrevHash, m.Hash = prev, ""
	meta, err := json.Marshal(m)
	if err != nil {
		return nil, "", fmt.Errorf("marshal metadata: %w", err)
	}
	return meta, verifier.EventHashHex(&verifier.Event{
		Stream: stream, Revision: revision, ID: e.ID, Type: e.Type, Data: e.Data, Metadata: meta,
	}), nil
}

// EventHash returns the hash of a stored event, as the API shows it.
func EventHash(e *eventstore.RecordedEvent) string {
	return verifier.EventHashHex(VerifierEvent(e))
}

// VerifierEvent is a stored event in the verifier's terms.
func VerifierEvent(e *eventstore.RecordedEvent) *verifier.Event {
	return &verifier.Event{
		Stream: e.Stream, Revision: e.Revision, Position: uint64(e.Position), ID: e.ID, Type: e.Type,
		RecordedAt: e.RecordedAt, Data: e.Data, Metadata: e.Metadata,
	}
}

// linkHash is the hash of chain v1, kept to check events sealed before v2.
func linkHash(id []byte, typ string, data, unsealedMeta []byte) string {
	h := sha256.New()
	var n [8]byte
	for _, part := range [][]byte{id, []byte(typ), data, unsealedMeta} {
		// Length-prefixed so that moving bytes between parts changes the hash.
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// link is what checking an event's link needs of its predecessor.
type link struct {
	hash string // the hash the successor's prev_hash must name
	rev  uint64
	pos  eventstore.Position
}

// checkLink verifies one event against its predecessor (nil for the first)
// and returns what its successor is checked against. A prev_hash that does
// not match names the predecessor as broken: its content no longer has the
// hash its successor recorded (or that successor's link was edited).
func checkLink(prev *link, e *eventstore.RecordedEvent) (*link, error) {
	fail := func(reason string) error {
		return &ChainError{Stream: e.Stream, Revision: e.Revision, Position: e.Position, Reason: reason}
	}
	var m Metadata
	if err := json.Unmarshal(e.Metadata, &m); err != nil {
		return nil, fail("metadata is not valid JSON")
	}
	want := ""
	if prev != nil {
		want = prev.hash
	}
	if m.PrevHash != want {
		if prev == nil {
			return nil, fail("the first event names a predecessor")
		}
		return nil, &ChainError{Stream: e.Stream, Revision: prev.rev, Position: prev.pos,
			Reason: fmt.Sprintf("its hash is not the prev_hash of revision %d: this event (or that link) was changed", e.Revision)}
	}
	next := &link{rev: e.Revision, pos: e.Position}
	if m.Hash == "" {
		next.hash = EventHash(e)
		return next, nil
	}
	// Sealed before chain v2: the hash in the metadata covers the rest.
	stored := m.Hash
	m.Hash = ""
	unsealed, err := json.Marshal(m)
	if err != nil {
		return nil, fail("metadata cannot be re-encoded")
	}
	if got := linkHash(e.ID[:], e.Type, e.Data, unsealed); got != stored {
		return nil, fail("event content does not match its hash")
	}
	next.hash = stored
	return next, nil
}

// decodeLinked is Decode with Meta.Hash set to the hash the event's
// successor names (computed for events sealed since chain v2): what the
// ledger seals its next event against, and what a replayed write shows.
func decodeLinked(se eventstore.RecordedEvent) (Recorded, error) {
	r, err := Decode(se)
	if err == nil && r.Meta.Hash == "" {
		r.Meta.Hash = EventHash(&se)
	}
	return r, err
}

// VerifyReport is the outcome of a chain verification.
type VerifyReport struct {
	Streams int // streams checked
	Events  int // events checked
	Broken  *ChainError
}

// OK reports whether every checked link held.
func (r VerifyReport) OK() bool { return r.Broken == nil }

const verifyPage = 4096

// VerifyStream checks the hash chain of one stream from its first event.
func VerifyStream(ctx context.Context, store eventstore.Store, stream string) (VerifyReport, error) {
	rep := VerifyReport{Streams: 1}
	var prev *link
	for from := uint64(0); ; {
		evs, err := store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: from, Limit: verifyPage})
		if err != nil {
			return rep, fmt.Errorf("verify %q: %w", stream, err)
		}
		for i := range evs {
			if evs[i].Revision != uint64(rep.Events) {
				rep.Broken = &ChainError{Stream: stream, Revision: evs[i].Revision, Position: evs[i].Position,
					Reason: fmt.Sprintf("revision %d where %d was expected", evs[i].Revision, rep.Events)}
				return rep, nil
			}
			h, err := checkLink(prev, &evs[i])
			if err != nil {
				rep.Broken = asChainError(err)
				return rep, nil
			}
			prev = h
			rep.Events++
		}
		if len(evs) < verifyPage {
			return rep, nil
		}
		from = evs[len(evs)-1].Revision + 1
	}
}

// VerifyAll checks the hash chain of every stream whose name starts with
// prefix, in one pass over the whole store, and stops at the first broken link.
func VerifyAll(ctx context.Context, store eventstore.Store, prefix string) (VerifyReport, error) {
	var rep VerifyReport
	last := map[string]*link{} // stream -> its last event seen
	for after := eventstore.Start; ; {
		evs, err := store.ReadAll(ctx, after, verifyPage)
		if err != nil {
			return rep, fmt.Errorf("verify all: %w", err)
		}
		for i := range evs {
			e := &evs[i]
			after = e.Position
			if len(e.Stream) < len(prefix) || e.Stream[:len(prefix)] != prefix {
				continue
			}
			prev, seen := last[e.Stream]
			if !seen {
				rep.Streams++
				if e.Revision != 0 {
					rep.Broken = &ChainError{Stream: e.Stream, Revision: e.Revision, Position: e.Position, Reason: "stream does not start at revision 0"}
					return rep, nil
				}
			} else if e.Revision != prev.rev+1 {
				rep.Broken = &ChainError{Stream: e.Stream, Revision: e.Revision, Position: e.Position,
					Reason: fmt.Sprintf("revision %d where %d was expected", e.Revision, prev.rev+1)}
				return rep, nil
			}
			h, err := checkLink(prev, e)
			if err != nil {
				rep.Broken = asChainError(err)
				return rep, nil
			}
			last[e.Stream] = h
			rep.Events++
		}
		if len(evs) == 0 {
			return rep, nil
		}
	}
}

func asChainError(err error) *ChainError {
	var ce *ChainError
	if errors.As(err, &ce) {
		return ce
	}
	return &ChainError{Reason: err.Error()}
}
