// Package eventstore defines the one interface through which Candor stores
// and reads its domain events, whatever the backend.
//
// # Model
//
// Events live in streams (one stream per engagement, named by the caller).
// Within a stream every event has a revision, counted from 0. Across all
// streams every event has a global Position, strictly increasing in the order
// the store committed them; read models use it as their checkpoint.
//
// # Guarantees every backend gives (checked by package eventstoretest)
//
//   - Atomicity: the events of one Append call are stored all or none, with
//     consecutive revisions and increasing positions.
//   - Optimistic concurrency: Append checks the expected revision; a mismatch
//     returns a *ConflictError carrying the stream's actual revision, and
//     stores nothing.
//   - Idempotency: appending again, to the same stream, events whose ids were
//     all stored by one earlier Append returns that Append's result and stores
//     nothing new. Each backend documents how long it remembers ids (its
//     idempotency window).
//   - Ordering: ReadAll and SubscribeAll deliver events in Position order,
//     without gap or duplicate, also across a subscription's switch from
//     catch-up to live.
//   - Durability: an Append that returned nil survives a crash of the process
//     (and, for backends that say so, of the machine).
package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Position is a global position in the store: strictly increasing in commit
// order across all streams. Zero means "before the first event".
type Position uint64

// Start is the position before the first event: reading or subscribing from
// Start delivers everything.
const Start Position = 0

// EventData is an event to append.
type EventData struct {
	ID       uuid.UUID // unique; use uuid.NewV7 so ids are time-ordered
	Type     string    // dotted name, e.g. "requirement.clarified"
	Data     []byte    // JSON
	Metadata []byte    // JSON (actor, correlation id, causation id, ...); may be nil
}

// RecordedEvent is an event as the store recorded it.
type RecordedEvent struct {
	Stream     string
	Revision   uint64 // 0-based within the stream
	Position   Position
	ID         uuid.UUID
	Type       string
	Data       []byte
	Metadata   []byte
	RecordedAt time.Time // when the store committed it, UTC
}

// ExpectedRevision states what the caller believes about the stream when it
// appends. Build one with Any, NoStream, StreamExists or Exact.
type ExpectedRevision struct {
	kind expectKind
	rev  uint64
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// Any appends whatever the stream's state.
func Any() ExpectedRevision { return ExpectedRevision{kind: expectAny} }

// NoStream appends only if the stream has no event yet.
func NoStream() ExpectedRevision { return ExpectedRevision{kind: expectNoStream} }

// StreamExists appends only if the stream has at least one event.
func StreamExists() ExpectedRevision { return ExpectedRevision{kind: expectStreamExists} }

// Exact appends only if the stream's last event has revision rev.
func Exact(rev uint64) ExpectedRevision { return ExpectedRevision{kind: expectExact, rev: rev} }

// IsAny, IsNoStream, IsStreamExists report the kind of expectation.
func (e ExpectedRevision) IsAny() bool          { return e.kind == expectAny }
func (e ExpectedRevision) IsNoStream() bool     { return e.kind == expectNoStream }
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == expectStreamExists }

// Exact returns the exact revision expected, and whether one is.
func (e ExpectedRevision) Exact() (uint64, bool) { return e.rev, e.kind == expectExact }

// Check reports whether a stream whose last revision is actual (exists false
// when the stream has no event) satisfies the expectation. Backends that
// check revisions themselves use it so that every backend agrees.
func (e ExpectedRevision) Check(actual uint64, exists bool) bool {
	switch e.kind {
	case expectNoStream:
		return !exists
	case expectStreamExists:
		return exists
	case expectExact:
		return exists && actual == e.rev
	default:
		return true
	}
}

func (e ExpectedRevision) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectStreamExists:
		return "stream exists"
	case expectExact:
		return fmt.Sprintf("revision %d", e.rev)
	default:
		return "any"
	}
}

// AppendResult tells where an Append stored its events.
type AppendResult struct {
	NextRevision uint64   // revision of the last event appended
	Position     Position // global position of the last event appended
	// Events says where and when each event was stored, in order, as reads
	// report them, so that callers need not read them back. Every backend
	// fills it; an idempotent retry reports the same.
	Events []Stored
}

// Stored is where and when the store put one appended event.
type Stored struct {
	Position   Position
	RecordedAt time.Time
}

// Direction of a stream read.
type Direction uint8

const (
	Forwards Direction = iota
	Backwards
)

// End, as ReadStreamOptions.From, starts a read at the stream's last event
// (meaningful Backwards).
const End uint64 = ^uint64(0)

// ReadStreamOptions selects part of one stream.
type ReadStreamOptions struct {
	Direction Direction
	From      uint64 // first revision returned (inclusive); End for the last
	Limit     int    // at most this many events; 0 means no limit
}

// Filter keeps events whose stream starts with one of StreamPrefixes or whose
// type starts with one of TypePrefixes. A zero Filter keeps everything.
// Setting both is not allowed.
type Filter struct {
	StreamPrefixes []string
	TypePrefixes   []string
}

// Match reports whether e passes the filter.
func (f Filter) Match(e *RecordedEvent) bool {
	if len(f.StreamPrefixes) == 0 && len(f.TypePrefixes) == 0 {
		return true
	}
	for _, p := range f.StreamPrefixes {
		if len(e.Stream) >= len(p) && e.Stream[:len(p)] == p {
			return true
		}
	}
	for _, p := range f.TypePrefixes {
		if len(e.Type) >= len(p) && e.Type[:len(p)] == p {
			return true
		}
	}
	return false
}

// SubscribeOptions says where a subscription starts and what it keeps.
type SubscribeOptions struct {
	After  Position // deliver events with a position greater than this
	Filter Filter
}

// Handler receives the events of a subscription, one at a time, in order.
// Returning an error ends the subscription with that error.
type Handler func(ctx context.Context, e RecordedEvent) error

// Store is an event store. Every method may block and honours ctx.
type Store interface {
	// Append stores events at the end of stream, atomically, if the stream
	// matches expected. It returns *ConflictError (errors.Is ErrConflict) on
	// a mismatch, and ErrEmptyAppend for no events.
	Append(ctx context.Context, stream string, expected ExpectedRevision, events ...EventData) (AppendResult, error)

	// ReadStream returns events of one stream. A missing stream returns
	// ErrStreamNotFound.
	ReadStream(ctx context.Context, stream string, opts ReadStreamOptions) ([]RecordedEvent, error)

	// ReadAll returns up to limit events (0 means a backend default) with a
	// position greater than after, in position order.
	ReadAll(ctx context.Context, after Position, limit int) ([]RecordedEvent, error)

	// SubscribeAll delivers every event matching opts.Filter with a position
	// greater than opts.After: first those already stored (catch-up), then
	// new ones as they are committed (live), without gap or duplicate. It
	// blocks until ctx is done, when it returns nil, or until h or the store
	// fails, when it returns that error.
	SubscribeAll(ctx context.Context, opts SubscribeOptions, h Handler) error

	// Head returns the position of the last stored event (Start if none).
	Head(ctx context.Context) (Position, error)

	// Close releases the store. Subscriptions end.
	Close() error
}

// Errors common to every backend. Test with errors.Is.
var (
	ErrConflict       = errors.New("eventstore: wrong expected revision")
	ErrStreamNotFound = errors.New("eventstore: stream not found")
	ErrEmptyAppend    = errors.New("eventstore: no events to append")
	ErrClosed         = errors.New("eventstore: store closed")
	// ErrUnavailable wraps failures to reach or write the backend (disk
	// full, read-only file, server down): the caller may retry later.
	ErrUnavailable = errors.New("eventstore: store unavailable")
)

// ConflictError reports an expected-revision mismatch.
type ConflictError struct {
	Stream   string
	Expected ExpectedRevision
	Actual   uint64 // last revision of the stream; meaningless if !Exists
	Exists   bool   // whether the stream had any event
}

func (e *ConflictError) Error() string {
	actual := "no stream"
	if e.Exists {
		actual = fmt.Sprintf("revision %d", e.Actual)
	}
	return fmt.Sprintf("eventstore: stream %q: expected %s, actual %s", e.Stream, e.Expected, actual)
}

// Is makes errors.Is(err, ErrConflict) true for a *ConflictError.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
