package eventstoretest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/candor-ledger/candor/eventstore"
)

func testReadStream(t *testing.T, s eventstore.Store) {
	const stream = "reads"
	evs := events(10, "read.happened")
	mustAppend(t, s, stream, eventstore.NoStream(), evs[:4]...)
	mustAppend(t, s, "noise", eventstore.NoStream(), events(3, "noise.made")...)
	mustAppend(t, s, stream, eventstore.Exact(3), evs[4:]...)

	fwd, bwd := eventstore.Forwards, eventstore.Backwards
	tests := []struct {
		name string
		opts eventstore.ReadStreamOptions
		want []uint64 // revisions, in order
	}{
		{"forwards all", eventstore.ReadStreamOptions{Direction: fwd}, []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"forwards from 3 limit 4", eventstore.ReadStreamOptions{Direction: fwd, From: 3, Limit: 4}, []uint64{3, 4, 5, 6}},
		{"forwards limit past the end", eventstore.ReadStreamOptions{Direction: fwd, From: 8, Limit: 5}, []uint64{8, 9}},
		{"forwards from the last", eventstore.ReadStreamOptions{Direction: fwd, From: 9}, []uint64{9}},
		{"forwards past the end", eventstore.ReadStreamOptions{Direction: fwd, From: 10}, nil},
		{"backwards from 6 limit 3", eventstore.ReadStreamOptions{Direction: bwd, From: 6, Limit: 3}, []uint64{6, 5, 4}},
		{"backwards from End limit 2", eventstore.ReadStreamOptions{Direction: bwd, From: eventstore.End, Limit: 2}, []uint64{9, 8}},
		{"backwards from End", eventstore.ReadStreamOptions{Direction: bwd, From: eventstore.End}, []uint64{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"backwards from 2", eventstore.ReadStreamOptions{Direction: bwd, From: 2}, []uint64{2, 1, 0}},
		{"backwards from 0", eventstore.ReadStreamOptions{Direction: bwd, From: 0, Limit: 5}, []uint64{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustReadStream(t, s, stream, tc.opts)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d events, want revisions %v", len(got), tc.want)
			}
			for i, rev := range tc.want {
				checkEvent(t, got[i], evs[rev], stream, rev)
			}
		})
	}
}

func testReadStreamMissing(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "present", eventstore.NoStream(), event("present.here", `{}`))
	for _, opts := range []eventstore.ReadStreamOptions{
		{},
		{Direction: eventstore.Backwards, From: eventstore.End},
		{Direction: eventstore.Forwards, From: 5, Limit: 1},
	} {
		// "pres" is a prefix of a stored stream: names match exactly.
		for _, stream := range []string{"absent", "pres"} {
			evs, err := s.ReadStream(context.Background(), stream, opts)
			if !errors.Is(err, eventstore.ErrStreamNotFound) {
				t.Fatalf("ReadStream(%q, %+v) = %d events, %v; want ErrStreamNotFound", stream, opts, len(evs), err)
			}
		}
	}
}

func testReadAllPaging(t *testing.T, s eventstore.Store) {
	if evs, err := s.ReadAll(context.Background(), eventstore.Start, 10); err != nil || len(evs) != 0 {
		t.Fatalf("ReadAll on an empty store = %d events, %v", len(evs), err)
	}
	var want []eventstore.EventData
	for i := range 25 {
		e := event("page.filled", `{}`)
		want = append(want, e)
		mustAppend(t, s, []string{"page-a", "page-b", "page-c"}[i%3], eventstore.Any(), e)
	}
	for _, page := range []int{1, 7, 25, 100} {
		got := readAll(t, s, page)
		if len(got) != len(want) {
			t.Fatalf("paging by %d: %d events, want %d", page, len(got), len(want))
		}
		checkIncreasing(t, got)
		for i := range got {
			if got[i].ID != want[i].ID {
				t.Fatalf("paging by %d: event %d is %s, want %s", page, i, got[i].ID, want[i].ID)
			}
		}
	}
	all := readAll(t, s, 100)
	def, err := s.ReadAll(context.Background(), eventstore.Start, 0)
	if err != nil || len(def) == 0 {
		t.Fatalf("ReadAll with limit 0 (backend default) = %d events, %v", len(def), err)
	}
	// From the middle: strictly after the given position.
	mid, err := s.ReadAll(context.Background(), all[9].Position, 5)
	if err != nil || len(mid) != 5 || mid[0].ID != all[10].ID || mid[4].ID != all[14].ID {
		t.Fatalf("ReadAll after the 10th event = %d events, %v; want events 11 to 15", len(mid), err)
	}
	if evs, err := s.ReadAll(context.Background(), all[len(all)-1].Position, 10); err != nil || len(evs) != 0 {
		t.Fatalf("ReadAll after the head = %d events, %v; want none", len(evs), err)
	}
}

func testHead(t *testing.T, s eventstore.Store) {
	if h := mustHead(t, s); h != eventstore.Start {
		t.Fatalf("head of an empty store = %d, want Start", h)
	}
	res := mustAppend(t, s, "head", eventstore.NoStream(), event("head.moved", `{}`))
	if h := mustHead(t, s); h != res.Position {
		t.Fatalf("head = %d, want the append's position %d", h, res.Position)
	}
	res = mustAppend(t, s, "head-2", eventstore.NoStream(), events(3, "head.moved")...)
	if h := mustHead(t, s); h != res.Position {
		t.Fatalf("head = %d, want the last append's position %d", h, res.Position)
	}
}

// jsonString returns a JSON string value of exactly n bytes.
func jsonString(n int) []byte {
	b := make([]byte, n)
	b[0], b[n-1] = '"', '"'
	for i := 1; i < n-1; i++ {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

func testLargeEvent(t *testing.T, s eventstore.Store) {
	const stream = "large"
	big := event("large.attached", "")
	big.Data = jsonString(1 << 20)
	big.Metadata = jsonString(64 << 10)
	small := event("large.noted", `{}`)
	other := bigOther(big)
	mustAppend(t, s, stream, eventstore.NoStream(), big, small, other)
	got := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})
	if len(got) != 3 {
		t.Fatalf("stream has %d events, want 3", len(got))
	}
	checkEvent(t, got[0], big, stream, 0)
	checkEvent(t, got[1], small, stream, 1)
	checkEvent(t, got[2], other, stream, 2)
	all := readAll(t, s, 0)
	if len(all) != 3 {
		t.Fatalf("store has %d events, want 3", len(all))
	}
	checkEvent(t, all[0], big, stream, 0)
	checkEvent(t, all[2], other, stream, 2)

	c := newCollector()
	subscribe(t, s, eventstore.SubscribeOptions{}, c.handle)
	evs := c.waitFor(t, 3)
	checkEvent(t, evs[0], big, stream, 0)
	checkEvent(t, evs[2], other, stream, 2)
}

// bigOther is a second large event with other content, so that a backend
// that mixed up buffers would be caught.
func bigOther(e eventstore.EventData) eventstore.EventData {
	e2 := event(e.Type, "")
	e2.Data = append([]byte(`"`), strings.Repeat("Z", 1<<20-2)...)
	e2.Data = append(e2.Data, '"')
	return e2
}

func testUnicode(t *testing.T, s eventstore.Store) {
	const stream = "engagement/été-日本語-🚀"
	e := event("requirement.clarifié.✓", `{"note":"Ça marche — 漢字 🎉 \u00e9"}`)
	e.Metadata = []byte(`{"actor":"Zoë Ångström","lang":"中文"}`)
	mustAppend(t, s, "engagement/other", eventstore.NoStream(), event("requirement.added", `{}`))
	mustAppend(t, s, stream, eventstore.NoStream(), e)
	got := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})
	if len(got) != 1 {
		t.Fatalf("stream has %d events, want 1", len(got))
	}
	checkEvent(t, got[0], e, stream, 0)
	for _, f := range []eventstore.Filter{
		{StreamPrefixes: []string{"engagement/été"}},
		{TypePrefixes: []string{"requirement.clarifié"}},
	} {
		c := newCollector()
		sub := subscribe(t, s, eventstore.SubscribeOptions{Filter: f}, c.handle)
		c.waitFor(t, 1)
		sub.stop(t)
		if evs := c.events(); len(evs) != 1 {
			t.Fatalf("filter %+v delivered %d events, want 1", f, len(evs))
		}
		checkEvent(t, c.events()[0], e, stream, 0)
	}
}

func testRecordedAt(t *testing.T, s eventstore.Store) {
	// Generous bounds: a server backend's clock is not the test's.
	before := time.Now().Add(-time.Minute)
	mustAppend(t, s, "clock", eventstore.NoStream(), events(2, "clock.ticked")...)
	after := time.Now().Add(time.Minute)
	for _, e := range readAll(t, s, 0) {
		if e.RecordedAt.IsZero() || e.RecordedAt.Location() != time.UTC {
			t.Fatalf("RecordedAt = %v (location %v), want a UTC time", e.RecordedAt, e.RecordedAt.Location())
		}
		if e.RecordedAt.Before(before) || e.RecordedAt.After(after) {
			t.Fatalf("RecordedAt = %v, not around the append (%v to %v)", e.RecordedAt, before, after)
		}
	}
}

func testRoundTrip(t *testing.T, s eventstore.Store) {
	tests := []struct {
		name     string
		data     string
		metadata []byte
	}{
		{"metadata", `{"a":1}`, []byte(`{"actor":"alice","correlation_id":"c-1","causation_id":"e-0"}`)},
		{"nil metadata", `{"a":2}`, nil},
		{"nested data", `{"list":[1,2,{"x":null}],"s":"q\"uote"}`, []byte(`{}`)},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := event("trip.made", tc.data)
			e.Metadata = tc.metadata
			stream := "trip-" + string(rune('a'+i))
			mustAppend(t, s, stream, eventstore.NoStream(), e)
			got := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})
			// checkEvent compares as strings: nil and empty metadata agree.
			checkEvent(t, got[0], e, stream, 0)
		})
	}
}

func testManyEvents(t *testing.T, s eventstore.Store) {
	if testing.Short() {
		t.Skip("100k events: skipped with -short")
	}
	const total, batch, streams = 100_000, 500, 20
	var last eventstore.AppendResult
	for i := 0; i < total/batch; i++ {
		stream := "bulk-" + string(rune('a'+i%streams))
		last = mustAppend(t, s, stream, eventstore.Any(), events(batch, "bulk.loaded")...)
	}
	if h := mustHead(t, s); h != last.Position {
		t.Fatalf("head %d, last append at %d", h, last.Position)
	}
	all := readAll(t, s, 1000)
	if len(all) != total {
		t.Fatalf("ReadAll paged %d events, want %d", len(all), total)
	}
	checkIncreasing(t, all)
	one := mustReadStream(t, s, "bulk-c", eventstore.ReadStreamOptions{})
	if len(one) != total/streams {
		t.Fatalf("stream bulk-c has %d events, want %d", len(one), total/streams)
	}
	for i, e := range one {
		if e.Revision != uint64(i) {
			t.Fatalf("bulk-c event %d has revision %d", i, e.Revision)
		}
	}
	c := newCollector()
	sub := subscribe(t, s, eventstore.SubscribeOptions{}, c.handle)
	got := c.waitFor(t, total)
	sub.stop(t)
	if len(got) != total {
		t.Fatalf("subscription delivered %d events, want %d", len(got), total)
	}
	checkIncreasing(t, got)
}
