package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/candor-ledger/candor/eventstore"
)

// subscribePage is how many events a subscription reads at a time.
const subscribePage = 512

// SubscribeAll implements eventstore.Store. Catch-up and live delivery are
// the same loop: read what follows the last position delivered; when
// nothing is left, wait for the writer's next commit. The commit signal is
// taken before each read, so a commit that lands after the read wakes the
// loop, and a read after it finds every event below its positions (see the
// package doc, Ordering).
func (s *Store) SubscribeAll(ctx context.Context, opts eventstore.SubscribeOptions, h eventstore.Handler) error {
	f := opts.Filter
	if len(f.StreamPrefixes) > 0 && len(f.TypePrefixes) > 0 {
		return fmt.Errorf("sqlite: subscribe: filter sets both stream and type prefixes: %w", ErrInvalidArgument)
	}
	filtered := len(f.StreamPrefixes) > 0 || len(f.TypePrefixes) > 0
	after := opts.After
	for {
		signal := s.commitSignal()
		evs, next, more, err := s.readPage(ctx, after, f, filtered)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("sqlite: subscribe: %w", err)
		}
		for _, e := range evs {
			if ctx.Err() != nil {
				return nil
			}
			if err := h(ctx, e); err != nil {
				if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
					return nil
				}
				return err
			}
		}
		after = next
		if more {
			continue
		}
		select {
		case <-signal:
		case <-ctx.Done():
			return nil
		case <-s.done:
			return fmt.Errorf("sqlite: subscribe: %w", eventstore.ErrClosed)
		}
	}
}

// readPage reads the next page of a subscription on a pooled connection,
// given back before the handler runs so that a slow handler holds none.
func (s *Store) readPage(ctx context.Context, after eventstore.Position, f eventstore.Filter, filtered bool) ([]eventstore.RecordedEvent, eventstore.Position, bool, error) {
	r, err := s.acquire(ctx)
	if err != nil {
		return nil, after, false, err
	}
	defer s.release(r)
	if filtered {
		evs, next, more, err := r.readFiltered(after, f, subscribePage)
		if err != nil {
			return nil, after, false, classify("read", err)
		}
		return evs, next, more, nil
	}
	st := r.readAll
	if err := bindAll(st, int64(after), int64(subscribePage)); err != nil {
		return nil, after, false, classify("read", err)
	}
	evs, err := r.scan(st, subscribePage)
	if err != nil {
		return nil, after, false, classify("read", err)
	}
	if len(evs) == 0 {
		return nil, after, false, nil
	}
	return evs, evs[len(evs)-1].Position, len(evs) == subscribePage, nil
}
