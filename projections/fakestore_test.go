package projections

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/candor-ledger/candor/eventstore"
)

// fakeStore is a minimal in-memory eventstore.Store for tests: just enough of
// the contract (revisions, positions from 1, catch-up then live
// subscriptions) to drive the projections.
type fakeStore struct {
	mu      sync.Mutex
	events  []eventstore.RecordedEvent // position i+1 at index i
	streams map[string][]int
	changed chan struct{} // closed and replaced on every append
	now     func() time.Time
	closed  bool
}

var _ eventstore.Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{streams: map[string][]int{}, changed: make(chan struct{}), now: time.Now}
}

func (s *fakeStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if len(events) == 0 {
		return eventstore.AppendResult{}, eventstore.ErrEmptyAppend
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	idx := s.streams[stream]
	last := uint64(len(idx)) - 1
	if !expected.Check(last, len(idx) > 0) {
		return eventstore.AppendResult{}, &eventstore.ConflictError{Stream: stream, Expected: expected, Actual: last, Exists: len(idx) > 0}
	}
	at := s.now().UTC()
	var stored []eventstore.Stored
	for _, e := range events {
		s.events = append(s.events, eventstore.RecordedEvent{Stream: stream, Revision: uint64(len(idx)), Position: eventstore.Position(len(s.events) + 1),
			ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata, RecordedAt: at})
		stored = append(stored, eventstore.Stored{Position: eventstore.Position(len(s.events)), RecordedAt: at})
		idx = append(idx, len(s.events)-1)
	}
	s.streams[stream] = idx
	close(s.changed)
	s.changed = make(chan struct{})
	return eventstore.AppendResult{NextRevision: uint64(len(idx) - 1), Position: eventstore.Position(len(s.events)), Events: stored}, nil
}

// cut removes the events after position n and returns them, for put.
func (s *fakeStore) cut(n eventstore.Position) []eventstore.RecordedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	rest := slices.Clone(s.events[n:])
	s.events = s.events[:n]
	for stream, idx := range s.streams {
		idx = slices.DeleteFunc(idx, func(i int) bool { return i >= int(n) })
		if len(idx) == 0 {
			delete(s.streams, stream)
		} else {
			s.streams[stream] = idx
		}
	}
	return rest
}

// put appends events that cut removed, as they were recorded.
func (s *fakeStore) put(evs ...eventstore.RecordedEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range evs {
		s.events = append(s.events, e)
		s.streams[e.Stream] = append(s.streams[e.Stream], len(s.events)-1)
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *fakeStore) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx, ok := s.streams[stream]
	if !ok {
		return nil, eventstore.ErrStreamNotFound
	}
	var out []eventstore.RecordedEvent
	if opts.Direction == eventstore.Backwards {
		from := min(opts.From, uint64(len(idx)-1))
		for i := int(from); i >= 0 && (opts.Limit == 0 || len(out) < opts.Limit); i-- {
			out = append(out, s.events[idx[i]])
		}
		return out, nil
	}
	for i := opts.From; i < uint64(len(idx)) && (opts.Limit == 0 || len(out) < opts.Limit); i++ {
		out = append(out, s.events[idx[i]])
	}
	return out, nil
}

func (s *fakeStore) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if limit <= 0 {
		limit = 1000
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if int(after) >= len(s.events) {
		return nil, nil
	}
	end := min(len(s.events), int(after)+limit)
	return slices.Clone(s.events[after:end]), nil
}

func (s *fakeStore) SubscribeAll(ctx context.Context, opts eventstore.SubscribeOptions, h eventstore.Handler) error {
	after := opts.After
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return eventstore.ErrClosed
		}
		evs := slices.Clone(s.events[min(int(after), len(s.events)):])
		changed := s.changed
		s.mu.Unlock()
		for _, e := range evs {
			after = e.Position
			if !opts.Filter.Match(&e) {
				continue
			}
			if err := h(ctx, e); err != nil {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
		}
		if len(evs) > 0 {
			continue
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil
		}
	}
}

func (s *fakeStore) Head(ctx context.Context) (eventstore.Position, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return eventstore.Position(len(s.events)), nil
}

func (s *fakeStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.changed)
	}
	return nil
}
