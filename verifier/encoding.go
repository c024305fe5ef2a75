// Package verifier checks Candor's evidence with nothing but the standard
// library and golang.org/x/mod: the hash of each event, the hash chain of
// each stream, the inclusion of each event in the signed transparency log,
// and the consistency of the log with the checkpoints and receipts a client
// kept. docs/EVIDENCE.md specifies every byte; this package is that
// specification in code, and imports nothing else of Candor's so that an
// auditor can read it in an afternoon.
//
// The server uses the same functions to compute what it signs.
package verifier

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Domain-separation tags: a hash computed for one purpose can never be
// mistaken for another.
const (
	eventTag = "candor/event/v2\n"
	leafTag  = "candor/leaf/v1\n"
)

// Event is one stored event, every field as the store holds it.
type Event struct {
	Stream     string
	Revision   uint64
	Position   uint64
	ID         [16]byte // the UUID's 16 bytes
	Type       string
	RecordedAt time.Time // the store's commit time; hashed as Unix nanoseconds
	Data       []byte    // JSON, the bytes as stored
	Metadata   []byte    // JSON, the bytes as stored
}

// EventHash is the hash of an event's stored content: stream, revision, id,
// type, data and metadata. Position and recorded time are assigned by the
// store after it, so they are covered by the leaf instead (LeafHash).
func EventHash(e *Event) [32]byte {
	h := sha256.New()
	var n [8]byte
	bytes := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	h.Write([]byte(eventTag))
	bytes([]byte(e.Stream))
	binary.BigEndian.PutUint64(n[:], e.Revision)
	h.Write(n[:])
	h.Write(e.ID[:])
	bytes([]byte(e.Type))
	bytes(e.Data)
	bytes(e.Metadata)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// EventHashHex is EventHash in lower-case hex, as the API shows it.
func EventHashHex(e *Event) string {
	h := EventHash(e)
	return hex.EncodeToString(h[:])
}

// LeafData is the record the transparency log holds for an event: its
// position, its recorded time and its event hash. The log's leaf hash is
// tlog.RecordHash(LeafData), SHA-256(0x00 || LeafData) as RFC 6962 says.
func LeafData(position uint64, recordedAt time.Time, eventHash [32]byte) []byte {
	b := make([]byte, 0, len(leafTag)+8+8+32)
	b = append(b, leafTag...)
	b = binary.BigEndian.AppendUint64(b, position)
	b = binary.BigEndian.AppendUint64(b, uint64(recordedAt.UnixNano()))
	return append(b, eventHash[:]...)
}

// LeafHash is the log's leaf hash of an event.
func LeafHash(e *Event) tlog.Hash {
	return tlog.RecordHash(LeafData(e.Position, e.RecordedAt, EventHash(e)))
}
