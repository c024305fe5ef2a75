package sqlite

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/eventstore"
)

// A subscription repeats its filter at every commit: the read must reuse
// the statement it prepared (the SQL must not depend on map order), keep
// a bounded number of them, and give the same answer each time.
func TestFilteredReadsReuseBoundedStatements(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	for i := range 6 {
		stream := fmt.Sprintf("a-%d", i%3)
		typ := "x.done"
		if i%2 == 1 {
			typ = "y.done"
		}
		if _, err := s.Append(ctx, stream, eventstore.Any(), eventstore.EventData{ID: uuid.New(), Type: typ, Data: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.release(r)

	f := eventstore.Filter{StreamPrefixes: []string{"a-1", "a-2"}, TypePrefixes: []string{"y."}}
	var want []eventstore.Position
	for i := range 20 {
		evs, _, _, err := r.readFiltered(0, f, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []eventstore.Position
		for _, e := range evs {
			got = append(got, e.Position)
		}
		if i == 0 {
			want = got
			// a-1 at 2 and 5, a-2 at 3 and 6, y.done at 2, 4 and 6.
			if fmt.Sprint(got) != "[2 3 4 5 6]" {
				t.Fatalf("filtered read = %v", got)
			}
		} else if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("read %d = %v, first %v", i, got, want)
		}
	}
	if len(r.filtered) != 1 {
		t.Errorf("%d statements for one filter, want 1", len(r.filtered))
	}
	for i := range 3 * maxFiltered {
		if _, _, _, err := r.readFiltered(0, eventstore.Filter{StreamPrefixes: []string{fmt.Sprint("p", i)}}, 10); err != nil {
			t.Fatal(err)
		}
		if len(r.filtered) > maxFiltered {
			t.Fatalf("%d statements kept, bound %d", len(r.filtered), maxFiltered)
		}
	}
	evs, _, _, err := r.readFiltered(0, f, 100)
	if err != nil || len(evs) != len(want) {
		t.Errorf("after the cache was cleared: %d events, %v", len(evs), err)
	}
}
