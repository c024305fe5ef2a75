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
)

// Metadata is the JSON metadata of every engagement event. It says who did
// it and why (actor, principal, correlation and causation ids, idempotency
// key), and links the event into its stream's hash chain.
type Metadata struct {
	Actor          string `json:"actor,omitempty"`        // stakeholder id within the engagement
	PrincipalID    string `json:"principal_id,omitempty"` // authenticated API principal
	CorrelationID  string `json:"correlation_id,omitempty"`
	CausationID    string `json:"causation_id,omitempty"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	Fingerprint    string `json:"fingerprint,omitempty"` // of the request that carried the key
	SchemaVersion  int    `json:"schema_version"`        // of the event's data, for domain.Unmarshal
	PrevHash       string `json:"prev_hash"`
	Hash           string `json:"hash"`
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

// seal fills m.PrevHash and m.Hash for an event and returns its metadata
// JSON. The hash covers the previous hash, the event id, type, data and
// every other metadata field, so editing any of them breaks the chain.
func seal(m Metadata, prev string, e eventstore.EventData) ([]byte, string, error) {
	m.PrevHash, m.Hash = prev, ""
	unsealed, err := json.Marshal(m)
	if err != nil {
		return nil, "", fmt.Errorf("marshal metadata: %w", err)
	}
	m.Hash = linkHash(e.ID[:], e.Type, e.Data, unsealed)
	sealed, err := json.Marshal(m)
	if err != nil {
		return nil, "", fmt.Errorf("marshal metadata: %w", err)
	}
	return sealed, m.Hash, nil
}

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

// checkLink verifies one event against the hash of its predecessor and
// returns its own hash.
func checkLink(prev string, e *eventstore.RecordedEvent) (string, error) {
	fail := func(reason string) error {
		return &ChainError{Stream: e.Stream, Revision: e.Revision, Position: e.Position, Reason: reason}
	}
	var m Metadata
	if err := json.Unmarshal(e.Metadata, &m); err != nil {
		return "", fail("metadata is not valid JSON")
	}
	if m.PrevHash != prev {
		return "", fail("prev_hash does not match the previous event's hash")
	}
	stored := m.Hash
	m.Hash = ""
	unsealed, err := json.Marshal(m)
	if err != nil {
		return "", fail("metadata cannot be re-encoded")
	}
	if got := linkHash(e.ID[:], e.Type, e.Data, unsealed); got != stored {
		return "", fail("event content does not match its hash")
	}
	return stored, nil
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
	prev := ""
	for from := uint64(0); ; {
		evs, err := store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: from, Limit: verifyPage})
		if err != nil {
			return rep, fmt.Errorf("verify %q: %w", stream, err)
		}
		for i := range evs {
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
	last := map[string]string{} // stream -> hash of its last event seen
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
