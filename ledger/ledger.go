// Package ledger is Candor's command side: it turns a request into domain
// events and appends them to the engagement's stream, exactly once.
//
// For each engagement it keeps the folded state in memory, together with the
// stream revision that state reflects, the hash of the last event (the head
// of the stream's hash chain) and the idempotency keys seen. A command is
// decided against that state and appended with an exact expected revision,
// so the store itself checks that the state was current: no read per
// command. When another writer (another API instance) got there first, the
// append conflicts, the ledger reads the events it missed, folds them, and
// decides again, a bounded number of times.
//
// Writes to one engagement are serialised inside the process, so concurrent
// HTTP clients of one instance queue instead of conflicting. Reads take only
// a read lock on the state, which writers hold just long enough to fold the
// events they stored: a read never waits for a write's fsync.
package ledger

import (
	"bytes"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/verifier"
)

// StreamPrefix starts the name of every engagement stream.
const StreamPrefix = "engagement-"

// StreamName returns the stream of an engagement.
func StreamName(engagementID string) string { return StreamPrefix + engagementID }

// Errors of the ledger. Domain rule violations are returned as the
// domain's own *domain.Error; store failures keep wrapping the store's
// errors (eventstore.ErrUnavailable among them).
var (
	ErrNotFound             = errors.New("ledger: engagement not found")
	ErrPreconditionFailed   = errors.New("ledger: engagement changed since the revision given in If-Match")
	ErrConflict             = errors.New("ledger: engagement kept changing; gave up after retries")
	ErrIdempotencyKeyReused = errors.New("ledger: idempotency key already used for a different request")
	ErrInvalidRequest       = errors.New("ledger: invalid request")
)

// Options tune a Ledger. The zero value is usable.
type Options struct {
	MaxRetries int              // re-decisions after a store conflict; default 5
	CacheSize  int              // engagements kept in memory; default 10,000
	Now        func() time.Time // clock for Decide; default time.Now
	// OnAppend, when set, observes the duration of every successful append.
	OnAppend func(time.Duration)
	// Shared says other processes append to the same store (several API
	// instances on EventStoreDB): reads then catch up with the stream
	// first. Writes are checked by the store's revision either way.
	Shared bool
	// Seal, when set, rewrites an event's data before it is hashed and
	// stored: package personal encrypts the personal fields there, so that
	// the store, the hash chain and the cached state hold only ciphertext.
	Seal SealFunc
	// Vouch, when set, checks the end of a stream as read from the store
	// (its last event, nil when there is no such stream) against a record
	// kept apart: the transparency log (evidence.Log.Vouch). The hash chain
	// links every event to the next, so nothing else vouches for the last
	// one or tells that events were removed from the end. An error is an
	// integrity breach.
	Vouch func(ctx context.Context, stream string, last *eventstore.RecordedEvent) error
}

// SealFunc rewrites the data of the event id of type typ before it is
// hashed and stored (Options.Seal).
type SealFunc func(ctx context.Context, id uuid.UUID, typ string, data []byte) ([]byte, error)

// Ledger executes commands against engagements. It is safe for concurrent use.
type Ledger struct {
	store eventstore.Store
	opts  Options

	mu       sync.Mutex
	cache    map[string]*list.Element // engagement id -> element holding *entry
	lru      *list.List               // front = most recently used
	breaches map[string]*IntegrityError
}

// entry is the cached state of one engagement. mu serialises writers (and
// catching up); smu guards the fields below against readers: they change
// only with both held.
type entry struct {
	id  string
	mu  sync.Mutex
	smu sync.RWMutex

	loaded   bool // the fields below reflect the stream up to rev
	exists   bool // the stream has at least one event
	rev      uint64
	pos      eventstore.Position // of the event at rev
	lastHash string
	state    *domain.Engagement
	keys     map[string]keyRecord
}

// keyRecord remembers which events a request with an idempotency key appended.
type keyRecord struct {
	fingerprint string
	first, last uint64 // revisions
}

// New returns a Ledger over store.
func New(store eventstore.Store, opts Options) *Ledger {
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 5
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 10_000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Ledger{store: store, opts: opts, cache: map[string]*list.Element{}, lru: list.New(), breaches: map[string]*IntegrityError{}}
}

// Request asks the ledger to execute one command.
type Request struct {
	EngagementID string
	// Create says the command opens the engagement: its stream must not
	// exist yet, and Command receives a nil state.
	Create bool
	// IfMatch, when set, is the revision the client last saw; if the
	// engagement has moved on, nothing is appended and Execute returns
	// ErrPreconditionFailed.
	IfMatch *uint64
	// IdempotencyKey, when set, makes a retry of the same request return the
	// first result (Replayed) instead of appending again. Fingerprint
	// identifies what was asked, so that a key reused for a different
	// request is refused.
	IdempotencyKey string
	Fingerprint    string
	CorrelationID  string
	PrincipalID    string
	// Witness, when set, is the transparency log's checkpoint the client
	// saw, as the server accepted it: recorded in the metadata of every
	// event appended.
	Witness *verifier.Witness
	// Access, when set, may refuse the request before anything else is
	// looked at (idempotency key, If-Match, the command), given the
	// engagement's current state (nil when it does not exist), under the
	// engagement's lock: whoever it refuses learns nothing the refusal
	// does not say, whatever the timing. Its error is returned as is.
	Access func(s *domain.Engagement) error
	// Command builds the command from the current state. It may refuse by
	// returning an error, which Execute returns as is.
	Command func(s *domain.Engagement) (domain.Command, error)
}

// Recorded is a stored engagement event, decoded.
type Recorded struct {
	Event         domain.Event
	Type          string
	SchemaVersion int
	ID            uuid.UUID
	Stream        string
	Revision      uint64
	Position      eventstore.Position
	RecordedAt    time.Time
	Meta          Metadata
	Data          []byte // the event's data as stored: do not modify
}

// Result is what Execute appended (or, when Replayed, had appended for the
// first request with the same idempotency key).
type Result struct {
	EngagementID string
	Events       []Recorded
	Revision     uint64              // of the stream after the append
	Position     eventstore.Position // of the last event appended
	Replayed     bool
}

// Execute decides the request's command against the engagement's current
// state and appends the resulting events.
func (l *Ledger) Execute(ctx context.Context, req Request) (Result, error) {
	if req.EngagementID == "" || req.Command == nil {
		return Result{}, fmt.Errorf("%w: engagement id and command are required", ErrInvalidRequest)
	}
	e := l.entry(req.EngagementID)
	e.mu.Lock()
	defer e.mu.Unlock()
	if ie := l.breach(e.id); ie != nil {
		return Result{}, ie
	}

	// A cached entry is trusted as is: the exact expected revision of the
	// append checks it, and a conflict catches up below.
	if !e.loaded {
		if err := l.catchUp(ctx, e); err != nil {
			return Result{}, err
		}
	}
	for attempt := 0; ; attempt++ {
		var state *domain.Engagement
		if e.exists {
			state = e.state
		}
		if req.Access != nil {
			if err := req.Access(state); err != nil {
				return Result{}, err
			}
		}
		if req.IdempotencyKey != "" {
			if k, ok := e.keys[req.IdempotencyKey]; ok {
				if k.fingerprint != req.Fingerprint {
					return Result{}, ErrIdempotencyKeyReused
				}
				return l.replay(ctx, e, k)
			}
		}
		if !req.Create && !e.exists {
			return Result{}, ErrNotFound
		}
		if req.IfMatch != nil && (!e.exists || *req.IfMatch != e.rev) {
			return Result{}, ErrPreconditionFailed
		}
		res, err := l.decideAndAppend(ctx, e, state, req)
		if !errors.Is(err, eventstore.ErrConflict) {
			return res, err
		}
		if ie := truncated(e, err); ie != nil {
			l.forget(e)
			l.recordBreach(ie)
			return Result{}, ie
		}
		// Someone else appended first: fold what we missed, then decide
		// again (or report the precondition failure, or give up).
		if err := l.catchUp(ctx, e); err != nil {
			return Result{}, err
		}
		if attempt >= l.opts.MaxRetries {
			return Result{}, ErrConflict
		}
	}
}

func (l *Ledger) decideAndAppend(ctx context.Context, e *entry, state *domain.Engagement, req Request) (Result, error) {
	cmd, err := req.Command(state)
	if err != nil {
		return Result{}, err
	}
	events, err := domain.Decide(state, cmd, l.opts.Now())
	if err != nil {
		return Result{}, err
	}
	if len(events) == 0 {
		return Result{}, fmt.Errorf("%w: command produced no event", ErrInvalidRequest)
	}
	data := make([]eventstore.EventData, len(events))
	metas := make([]Metadata, len(events))
	prev := e.lastHash
	for i, ev := range events {
		typ, version, body, err := domain.Marshal(ev)
		if err != nil {
			return Result{}, fmt.Errorf("encode %T: %w", ev, err)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return Result{}, fmt.Errorf("event id: %w", err)
		}
		if l.opts.Seal != nil {
			sealed, err := l.opts.Seal(ctx, id, typ, body)
			if err != nil {
				return Result{}, fmt.Errorf("seal %s: %w", typ, err)
			}
			if !bytes.Equal(sealed, body) {
				// Fold what is stored, as a reload would.
				if events[i], err = domain.Unmarshal(typ, version, sealed); err != nil {
					return Result{}, fmt.Errorf("seal %s: %w", typ, err)
				}
				body = sealed
			}
		}
		m := Metadata{
			Actor:          ev.Head().ActorID,
			PrincipalID:    req.PrincipalID,
			CorrelationID:  req.CorrelationID,
			IdempotencyKey: req.IdempotencyKey,
			Fingerprint:    req.Fingerprint,
			SchemaVersion:  version,
			Witness:        req.Witness,
		}
		if i > 0 {
			m.CausationID = data[0].ID.String()
		}
		data[i] = eventstore.EventData{ID: id, Type: typ, Data: body}
		rev := uint64(i)
		if e.exists {
			rev += e.rev + 1
		}
		meta, hash, err := seal(m, prev, StreamName(e.id), rev, data[i])
		if err != nil {
			return Result{}, err
		}
		data[i].Metadata = meta
		m.PrevHash, m.Hash = prev, hash
		metas[i] = m
		prev = hash
	}
	expected := eventstore.NoStream()
	if e.exists {
		expected = eventstore.Exact(e.rev)
	}
	start := time.Now()
	ar, err := l.store.Append(ctx, StreamName(e.id), expected, data...)
	if err != nil {
		if !errors.Is(err, eventstore.ErrConflict) {
			// The append may or may not have been stored (a cancelled
			// context, a failed fsync): read the stream again next time.
			l.forget(e)
			err = fmt.Errorf("append to engagement %s: %w", e.id, err)
		}
		return Result{}, err
	}
	if l.opts.OnAppend != nil {
		l.opts.OnAppend(time.Since(start))
	}

	// The store stored them, and says where and when: bring the cached
	// state forward.
	if len(ar.Events) != len(events) {
		l.forget(e)
		return Result{}, fmt.Errorf("append to engagement %s: the store described %d of %d events", e.id, len(ar.Events), len(events))
	}
	firstRev := ar.NextRevision - uint64(len(events)) + 1
	res := Result{EngagementID: e.id, Revision: ar.NextRevision, Position: ar.Position}
	// Readers see the whole append folded, or none of it.
	e.smu.Lock()
	defer e.smu.Unlock()
	for i, ev := range events {
		rec := Recorded{
			Event: ev, Type: data[i].Type, SchemaVersion: metas[i].SchemaVersion, ID: data[i].ID,
			Stream: StreamName(e.id), Revision: firstRev + uint64(i), RecordedAt: ar.Events[i].RecordedAt, Meta: metas[i],
			Data: data[i].Data, Position: ar.Events[i].Position,
		}
		res.Events = append(res.Events, rec)
		if err := l.apply(e, rec); err != nil {
			// Our own decision does not fold: the cache cannot be trusted.
			l.reset(e)
			return res, fmt.Errorf("fold own event %s: %w", rec.Type, err)
		}
	}
	return res, nil
}

// truncated returns the breach that a conflict reveals when the stream
// is shorter than what the entry already folded: events were removed from
// its end. Appending at the freed revision would silently rewrite history.
// The caller holds e.mu.
func truncated(e *entry, err error) *IntegrityError {
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || !e.exists || ce.Exists && ce.Actual >= e.rev {
		return nil
	}
	first := uint64(0)
	if ce.Exists {
		first = ce.Actual + 1
	}
	return breachAt(e, first, fmt.Sprintf("revisions %d to %d, read before, are no longer in the store", first, e.rev), err)
}

// apply folds one recorded event into the entry. The caller holds e.mu
// and e.smu.
func (l *Ledger) apply(e *entry, r Recorded) error {
	var state *domain.Engagement
	if e.exists {
		state = e.state
	}
	next, err := domain.Evolve(state, r.Event)
	if err != nil {
		return err
	}
	e.state, e.exists, e.rev, e.lastHash, e.pos = next, true, r.Revision, r.Meta.Hash, r.Position
	if k := r.Meta.IdempotencyKey; k != "" {
		rec, ok := e.keys[k]
		if !ok {
			rec = keyRecord{fingerprint: r.Meta.Fingerprint, first: r.Revision}
		}
		rec.last = r.Revision
		e.keys[k] = rec
	}
	return nil
}

// catchUp folds the events appended to the stream since the cached revision.
func (l *Ledger) catchUp(ctx context.Context, e *entry) error {
	from := uint64(0)
	if e.exists {
		from = e.rev + 1
	}
	for {
		evs, err := l.store.ReadStream(ctx, StreamName(e.id), eventstore.ReadStreamOptions{From: from, Limit: 1024})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			if e.exists {
				err = breachAt(e, 0, "the stream, read before, is no longer in the store", err)
				l.forget(e)
				l.recordBreach(err)
				return err
			}
			if err := l.vouch(ctx, e.id, nil); err != nil {
				l.recordBreach(err)
				return err
			}
			e.markLoaded()
			return nil
		}
		if err != nil {
			return fmt.Errorf("read engagement %s: %w", e.id, err)
		}
		if err := l.applyStored(ctx, e, evs, len(evs) < 1024); err != nil {
			l.forget(e)
			l.recordBreach(err)
			return err
		}
		if len(evs) < 1024 {
			e.markLoaded()
			return nil
		}
		from = evs[len(evs)-1].Revision + 1
	}
}

// applyStored folds events read from the stream, each checked first (see
// checkStored): an *IntegrityError names the first that does not hold.
// At the stream's end (end), its last event is vouched for first (see
// Options.Vouch). The caller holds e.mu.
func (l *Ledger) applyStored(ctx context.Context, e *entry, evs []eventstore.RecordedEvent, end bool) error {
	e.smu.Lock()
	defer e.smu.Unlock()
	for i := range evs {
		if end && i == len(evs)-1 {
			if err := l.vouch(ctx, e.id, &evs[i]); err != nil {
				var ie *IntegrityError
				if errors.As(err, &ie) && e.exists {
					ie.Before = e.state.Clone()
				}
				return err
			}
		}
		r, err := checkStored(e, &evs[i])
		if err != nil {
			return err
		}
		if err := l.apply(e, r); err != nil {
			return breachAt(e, r.Revision, "the event does not fit the state before it", err)
		}
	}
	return nil
}

// replay returns the result of the first request made with an idempotency key.
func (l *Ledger) replay(ctx context.Context, e *entry, k keyRecord) (Result, error) {
	evs, err := l.store.ReadStream(ctx, StreamName(e.id), eventstore.ReadStreamOptions{From: k.first, Limit: int(k.last-k.first) + 1})
	if err != nil {
		return Result{}, fmt.Errorf("replay engagement %s: %w", e.id, err)
	}
	res := Result{EngagementID: e.id, Replayed: true}
	for _, se := range evs {
		r, err := decodeLinked(se)
		if err != nil {
			ie := breachAt(e, se.Revision, "the event cannot be decoded", err)
			l.forget(e)
			l.recordBreach(ie)
			return Result{}, ie
		}
		res.Events = append(res.Events, r)
		res.Revision, res.Position = r.Revision, r.Position
	}
	return res, nil
}

// Load returns a private copy of the engagement's current state and the
// revision it reflects.
func (l *Ledger) Load(ctx context.Context, engagementID string) (*domain.Engagement, uint64, error) {
	var (
		st  *domain.Engagement
		rev uint64
	)
	err := l.View(ctx, engagementID, func(s *domain.Engagement, r uint64) error {
		st, rev = s.Clone(), r
		return nil
	})
	return st, rev, err
}

// View calls fn with the engagement's current state and revision, under a
// read lock: fn must not modify or keep s. It costs no copy and, once the
// engagement is cached, no read of the store (unless Options.Shared says
// other processes write to the store too). ErrNotFound when there is no
// such engagement; fn's error is returned as is.
func (l *Ledger) View(ctx context.Context, engagementID string, fn func(s *domain.Engagement, revision uint64) error) error {
	return l.view(ctx, engagementID, -1, func(e *entry) error { return fn(e.state, e.rev) })
}

// ViewAt is View of a state that has folded at least the event at revision
// rev: a reader that learnt of that event from the store (a feed following
// it) may be ahead of the cache, which this ledger, or another process,
// updates only after the store committed.
func (l *Ledger) ViewAt(ctx context.Context, engagementID string, rev uint64, fn func(s *domain.Engagement, revision uint64) error) error {
	return l.view(ctx, engagementID, int64(rev), func(e *entry) error { return fn(e.state, e.rev) })
}

// Head returns the engagement's current revision and the global position
// of the event at that revision, as View sees them.
func (l *Ledger) Head(ctx context.Context, engagementID string) (revision uint64, pos eventstore.Position, err error) {
	err = l.view(ctx, engagementID, -1, func(e *entry) error {
		revision, pos = e.rev, e.pos
		return nil
	})
	return revision, pos, err
}

// view calls fn on the entry of a current, existing engagement under its
// read lock.
func (l *Ledger) view(ctx context.Context, engagementID string, atLeast int64, fn func(e *entry) error) error {
	if ie := l.breach(engagementID); ie != nil {
		return ie
	}
	e := l.entry(engagementID)
	e.smu.RLock()
	fresh := e.loaded && !l.opts.Shared && (atLeast < 0 || e.exists && int64(e.rev) >= atLeast)
	e.smu.RUnlock()
	if !fresh {
		e.mu.Lock()
		err := l.catchUp(ctx, e)
		e.mu.Unlock()
		if err != nil {
			return err
		}
	}
	e.smu.RLock()
	defer e.smu.RUnlock()
	if !e.exists {
		return ErrNotFound
	}
	return fn(e)
}

// History returns every event of the engagement, decoded, in stream order,
// each checked as a load checks it (an *IntegrityError names the first that
// does not hold).
func (l *Ledger) History(ctx context.Context, engagementID string) ([]Recorded, error) {
	if ie := l.breach(engagementID); ie != nil {
		return nil, ie
	}
	var out []Recorded
	// The chain and the revisions are followed in an entry of its own,
	// which folds nothing unless a breach needs the state before it.
	chain := &entry{id: engagementID}
	for from := uint64(0); ; {
		evs, err := l.store.ReadStream(ctx, StreamName(engagementID), eventstore.ReadStreamOptions{From: from, Limit: 4096})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			if err := l.vouch(ctx, engagementID, nil); err != nil {
				l.recordBreach(err)
				return nil, err
			}
			return nil, ErrNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("read engagement %s: %w", engagementID, err)
		}
		for i := range evs {
			r, err := checkStored(chain, &evs[i])
			if err != nil {
				var ie *IntegrityError
				if errors.As(err, &ie) {
					ie.Before = foldPrefix(out)
				}
				l.recordBreach(err)
				return nil, err
			}
			chain.exists, chain.rev, chain.pos, chain.lastHash = true, r.Revision, r.Position, r.Meta.Hash
			out = append(out, r)
		}
		if len(evs) < 4096 {
			if len(evs) > 0 {
				if err := l.vouch(ctx, engagementID, &evs[len(evs)-1]); err != nil {
					var ie *IntegrityError
					if errors.As(err, &ie) {
						ie.Before = foldPrefix(out[:len(out)-1])
					}
					l.recordBreach(err)
					return nil, err
				}
			}
			return out, nil
		}
		from = evs[len(evs)-1].Revision + 1
	}
}

// AsOf names a past moment: a time, or a global position. Exactly one is set.
type AsOf struct {
	Time     *time.Time
	Position *eventstore.Position
}

// includes reports whether an event recorded at r is part of the moment.
func (a AsOf) includes(r Recorded) bool {
	if a.Position != nil {
		return r.Position <= *a.Position
	}
	if a.Time != nil {
		return !r.RecordedAt.After(*a.Time)
	}
	return true
}

// StateAsOf folds the engagement's stream up to a past moment and returns
// the state as it stood then, with the revision of the last event folded.
// ErrNotFound when the engagement did not exist yet at that moment.
func (l *Ledger) StateAsOf(ctx context.Context, engagementID string, at AsOf) (*domain.Engagement, uint64, error) {
	hist, err := l.History(ctx, engagementID)
	if err != nil {
		return nil, 0, err
	}
	var (
		s   *domain.Engagement
		rev uint64
		any bool
	)
	for _, r := range hist {
		if !at.includes(r) {
			break
		}
		next, err := domain.Evolve(s, r.Event)
		if err != nil {
			ie := &IntegrityError{EngagementID: engagementID, Revision: r.Revision, Reason: "the event does not fit the state before it", Before: s, Err: err}
			l.recordBreach(ie)
			return nil, 0, ie
		}
		s = next
		rev, any = r.Revision, true
	}
	if !any {
		return nil, 0, ErrNotFound
	}
	return s, rev, nil
}

// foldPrefix folds events that History checked, for the state before a
// breach; it stops at the first that does not fit.
func foldPrefix(rs []Recorded) *domain.Engagement {
	var s *domain.Engagement
	for _, r := range rs {
		next, err := domain.Evolve(s, r.Event)
		if err != nil {
			break
		}
		s = next
	}
	return s
}

// Decode turns a stored engagement event into a Recorded one.
func Decode(se eventstore.RecordedEvent) (Recorded, error) {
	r := Recorded{
		Type: se.Type, ID: se.ID, Stream: se.Stream, Revision: se.Revision,
		Position: se.Position, RecordedAt: se.RecordedAt, Data: se.Data,
	}
	if len(se.Metadata) > 0 {
		if err := json.Unmarshal(se.Metadata, &r.Meta); err != nil {
			return r, fmt.Errorf("decode metadata of %s@%d: %w", se.Stream, se.Revision, err)
		}
	}
	r.SchemaVersion = r.Meta.SchemaVersion
	ev, err := domain.Unmarshal(se.Type, r.SchemaVersion, se.Data)
	if err != nil {
		return r, fmt.Errorf("decode %s@%d: %w", se.Stream, se.Revision, err)
	}
	r.Event = ev
	return r, nil
}

// entry returns the cache entry of an engagement, creating it (empty, to be
// caught up) if needed, and marks it most recently used.
func (l *Ledger) entry(id string) *entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.cache[id]; ok {
		l.lru.MoveToFront(el)
		return el.Value.(*entry)
	}
	e := &entry{id: id, keys: map[string]keyRecord{}}
	l.cache[id] = l.lru.PushFront(e)
	for l.lru.Len() > l.opts.CacheSize {
		old := l.lru.Back()
		l.lru.Remove(old)
		delete(l.cache, old.Value.(*entry).id)
	}
	return e
}

// markLoaded records that the entry reflects its stream. The caller holds e.mu.
func (e *entry) markLoaded() {
	e.smu.Lock()
	e.loaded = true
	e.smu.Unlock()
}

// forget resets an entry so that its next use reads the stream from the
// start. The caller holds e.mu.
func (l *Ledger) forget(e *entry) {
	e.smu.Lock()
	defer e.smu.Unlock()
	l.reset(e)
}

// reset is forget for a caller that holds e.smu too.
func (l *Ledger) reset(e *entry) {
	e.loaded, e.exists, e.rev, e.pos, e.lastHash, e.state = false, false, 0, 0, "", nil
	e.keys = map[string]keyRecord{}
}
