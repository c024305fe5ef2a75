package tail

import (
	"slices"
	"testing"
)

// model is what a Tail must answer: the items of the log, by position,
// of which it holds the last ones put since the last gap.
func TestAfterAnswersAsTheLog(t *testing.T) {
	const capacity = 5
	tl := New[uint64](capacity)
	var held []uint64 // positions held, as the model sees them
	put := func(from uint64, n int) {
		items := make([]uint64, n)
		for i := range items {
			items[i] = from + uint64(i)
		}
		tl.Put(from, items)
		if len(held) > 0 && from != held[len(held)-1]+1 {
			held = nil
		}
		held = append(held, items...)
		if len(held) > capacity {
			held = held[len(held)-capacity:]
		}
	}
	check := func(step string) {
		t.Helper()
		for after := uint64(0); after < 40; after++ {
			for _, limit := range []int{1, 2, 100} {
				got, ok := tl.After(nil, after, limit)
				i := slices.Index(held, after+1)
				if ok != (i >= 0) {
					t.Fatalf("%s: After(%d) ok=%v, held %v", step, after, ok, held)
				}
				if !ok {
					continue
				}
				want := held[i:min(len(held), i+limit)]
				if !slices.Equal(got, want) {
					t.Fatalf("%s: After(%d, %d) = %v, want %v", step, after, limit, got, want)
				}
			}
		}
	}
	check("empty")
	put(1, 3)
	check("1..3")
	put(4, 1)
	check("1..4")
	put(5, 4) // beyond the capacity: the oldest go
	check("4..8")
	put(12, 2) // a gap: 9..11 were written by someone else
	check("12..13")
	put(14, 12) // more than the capacity at once
	check("21..25")
	tl.Put(26, nil)
	check("nothing put")
}
