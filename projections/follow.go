package projections

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

// followChunk is how many events, behind the head, are decoded together.
const followChunk = 256

// inlineDecode is the largest chunk the subscription decodes itself.
const inlineDecode = 4

// follow subscribes to the store after from and sends its events, decoded
// and in order, on the returned channel, closed when the subscription
// ends; the error it ended with (nil when ctx is done) is then on the other
// one.
//
// Decoding an event costs about as much as applying it to every read
// model, so behind head (catching up) events are decoded in chunks by as
// many goroutines as there are processors, and well ahead of the applying:
// decoding goes on while a large commit writes. From head on (refreshed
// when reached), each event is sent as soon as it is decoded.
func (e *Engine) follow(ctx context.Context, from, head eventstore.Position) (<-chan item, <-chan error) {
	type chunk struct {
		raw   []eventstore.RecordedEvent
		head  eventstore.Position // the store's head, as last seen when it was sent
		items []item
		err   error
		done  chan struct{} // closed once items and err are set
	}
	decode := func(c *chunk) {
		c.items = make([]item, 0, len(c.raw))
		recs := make([]ledger.Recorded, len(c.raw))
		for i, se := range c.raw {
			it, err := decodeItemInto(se, &recs[i])
			if err != nil {
				c.err = err
				break
			}
			c.items = append(c.items, it)
		}
		c.raw = nil
		close(c.done)
	}
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan item, e.opts.BatchSize)
	errc := make(chan error, 1)
	ahead := max(4, e.commitEvery()/2/followChunk)
	ordered := make(chan *chunk, ahead) // in the store's order
	jobs := make(chan *chunk, ahead)

	var decoders sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		decoders.Go(func() {
			for c := range jobs {
				decode(c)
			}
		})
	}

	subErr := make(chan error, 1)
	go func() {
		defer close(ordered)
		defer close(jobs)
		var (
			cur      *chunk
			headSeen time.Time // when head was last asked for
		)
		send := func() {
			c := cur
			cur = nil
			c.head = head
			// At the head: handing an event or two to a decoder costs
			// more than decoding them here.
			inline := len(c.raw) <= inlineDecode
			if inline {
				decode(c)
			}
			select {
			case ordered <- c:
			case <-ctx.Done():
				return
			}
			if inline {
				return
			}
			select {
			case jobs <- c:
			case <-ctx.Done():
				c.err = ctx.Err()
				close(c.done)
			}
		}
		err := e.store.SubscribeAll(ctx, eventstore.SubscribeOptions{After: from}, func(ctx context.Context, se eventstore.RecordedEvent) error {
			if cur == nil {
				// At the head, an event goes alone: a chunk of room
				// for 256 would be most of what following allocates.
				room := 1
				if se.Position < head {
					room = int(min(uint64(followChunk), uint64(head-se.Position)+1))
				}
				cur = &chunk{raw: make([]eventstore.RecordedEvent, 0, room), done: make(chan struct{})}
			}
			cur.raw = append(cur.raw, se)
			if len(cur.raw) < followChunk && se.Position < head {
				return nil
			}
			// At the head, under a steady stream of events, asking for
			// the head at each one would cost a query per event: once
			// a millisecond tells well enough whether a burst came
			// (until then, events go alone).
			if se.Position >= head && time.Since(headSeen) >= time.Millisecond {
				headSeen = time.Now()
				if h, err := e.store.Head(ctx); err == nil && h > head {
					head = h
				}
			}
			send()
			return nil
		})
		if cur != nil && ctx.Err() == nil {
			send() // what was read before the subscription failed
		}
		subErr <- err
	}()

	go func() {
		defer close(errc)
		defer cancel()
		var err error
	chunks:
		for c := range ordered {
			<-c.done
			for _, it := range c.items {
				it.head = c.head
				select {
				case out <- it:
				case <-ctx.Done():
					break chunks
				}
			}
			if c.err != nil {
				err = c.err
				break
			}
		}
		cancel()
		for c := range ordered { // until the subscription sees ctx done
			<-c.done
		}
		close(out)
		if serr := <-subErr; err == nil || ctx.Err() != nil && err == ctx.Err() {
			err = serr
		}
		decoders.Wait()
		errc <- err
	}()
	return out, errc
}
