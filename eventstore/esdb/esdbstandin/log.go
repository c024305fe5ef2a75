package esdbstandin

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// record is one event in the stand-in's global log. Records are never
// changed once appended, so readers may hold them without the lock.
type record struct {
	stream   string
	revision uint64
	position uint64 // commit and prepare position (equal: no explicit transactions)
	id       uuid.UUID
	typ      string
	content  string // content type, e.g. application/json
	data     []byte
	meta     []byte
	created  int64 // .NET ticks (100 ns) since the Unix epoch, as the server sends
}

// firstPosition is where the first record lands. A real log starts with its
// own header records; what matters is that positions are above zero.
const firstPosition = 128

// recordOverhead is added to each record's size when advancing positions,
// so that positions look like log offsets rather than counters.
const recordOverhead = 64

// appendOutcome is what one successful append stored, remembered for
// idempotent retries.
type appendOutcome struct {
	stream       string
	ids          map[uuid.UUID]struct{}
	lastRevision uint64
	lastPosition uint64
}

// eventLog is the stand-in's whole database.
type eventLog struct {
	mu      sync.Mutex
	records []*record
	streams map[string][]*record
	byID    map[uuid.UUID]*appendOutcome // event id -> the append that stored it
	next    uint64
	changed chan struct{} // closed and replaced after every append
}

func newEventLog() *eventLog {
	l := &eventLog{
		streams: make(map[string][]*record),
		byID:    make(map[uuid.UUID]*appendOutcome),
		next:    firstPosition,
		changed: make(chan struct{}),
	}
	// A real server writes system events of its own; clients must skip them.
	l.store("$standin-started", []proposed{{id: uuid.New(), typ: "$standin-started", content: "application/json", data: []byte("{}")}})
	return l
}

// proposed is an event an append asks to store.
type proposed struct {
	id      uuid.UUID
	typ     string
	content string
	data    []byte
	meta    []byte
}

// expectation mirrors the expected_stream_revision oneof of an append.
type expectation struct {
	kind     expectKind
	revision uint64
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectRevision
)

// appendResult is the outcome of an append: either success (ok) with the
// last revision and position, or a wrong expected version with the current
// state of the stream.
type appendResult struct {
	ok              bool
	lastRevision    uint64
	lastPosition    uint64
	currentExists   bool
	currentRevision uint64
}

// append stores events if the stream satisfies exp, or returns the earlier
// outcome when every id was stored by one earlier append to this stream.
func (l *eventLog) append(stream string, exp expectation, events []proposed) appendResult {
	l.mu.Lock()
	defer l.mu.Unlock()

	if prior := l.idempotentOutcome(stream, events); prior != nil {
		return appendResult{ok: true, lastRevision: prior.lastRevision, lastPosition: prior.lastPosition}
	}

	existing := l.streams[stream]
	exists := len(existing) > 0
	var current uint64
	if exists {
		current = existing[len(existing)-1].revision
	}
	var match bool
	switch exp.kind {
	case expectNoStream:
		match = !exists
	case expectStreamExists:
		match = exists
	case expectRevision:
		match = exists && current == exp.revision
	default:
		match = true
	}
	if !match {
		return appendResult{currentExists: exists, currentRevision: current}
	}
	if len(events) == 0 {
		// The server accepts an empty append and reports the stream as is.
		return appendResult{ok: true, lastRevision: current, lastPosition: l.next}
	}
	out := l.store(stream, events)
	return appendResult{ok: true, lastRevision: out.lastRevision, lastPosition: out.lastPosition}
}

func (l *eventLog) idempotentOutcome(stream string, events []proposed) *appendOutcome {
	if len(events) == 0 {
		return nil
	}
	prior := l.byID[events[0].id]
	if prior == nil || prior.stream != stream {
		return nil
	}
	for _, e := range events[1:] {
		if _, ok := prior.ids[e.id]; !ok {
			return nil
		}
	}
	return prior
}

// store appends events to stream; the caller holds l.mu.
func (l *eventLog) store(stream string, events []proposed) *appendOutcome {
	now := time.Now().UTC().UnixNano() / 100
	existing := l.streams[stream]
	var rev uint64
	if len(existing) > 0 {
		rev = existing[len(existing)-1].revision + 1
	}
	out := &appendOutcome{stream: stream, ids: make(map[uuid.UUID]struct{}, len(events))}
	for _, e := range events {
		r := &record{
			stream:   stream,
			revision: rev,
			position: l.next,
			id:       e.id,
			typ:      e.typ,
			content:  e.content,
			data:     e.data,
			meta:     e.meta,
			created:  now,
		}
		l.next += uint64(recordOverhead + len(stream) + len(e.typ) + len(e.data) + len(e.meta))
		l.records = append(l.records, r)
		existing = append(existing, r)
		out.ids[e.id] = struct{}{}
		out.lastRevision = rev
		out.lastPosition = r.position
		rev++
	}
	l.streams[stream] = existing
	for id := range out.ids {
		l.byID[id] = out
	}
	close(l.changed)
	l.changed = make(chan struct{})
	return out
}

// streamRecords returns the records of one stream (nil if none).
func (l *eventLog) streamRecords(stream string) []*record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.streams[stream]
}

// since returns the records from index i of the global log, and a channel
// closed at the next append.
func (l *eventLog) since(i int) ([]*record, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i > len(l.records) {
		i = len(l.records)
	}
	return l.records[i:], l.changed
}

// all returns the whole global log as of now.
func (l *eventLog) all() []*record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.records
}
