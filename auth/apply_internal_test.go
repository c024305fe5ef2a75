package auth

import (
	"fmt"
	"testing"

	"github.com/candor-ledger/candor/eventstore"
)

// An event the subscription delivers again after newer ones were applied
// locally changes nothing: a disabling delivered late must not disable a
// principal enabled since, nor an enabling re-enable one disabled since.
func TestApplyIgnoresOlderToggles(t *testing.T) {
	r := &Registry{principals: map[string]*Principal{}, tokens: map[string]*Token{}, byHash: map[tokenHash]*Token{},
		hashes: map[string]tokenHash{}, toggled: map[string]uint64{}, changed: make(chan struct{})}
	ev := func(rev uint64, typ, data string) eventstore.RecordedEvent {
		return eventstore.RecordedEvent{Stream: Stream, Revision: rev, Position: eventstore.Position(rev + 1), Type: typ, Data: []byte(data)}
	}
	const id = "p1"
	toggle := fmt.Sprintf(`{"id":%q,"at":"2026-01-01T00:00:00Z"}`, id)
	steps := []struct {
		ev       eventstore.RecordedEvent
		disabled bool
	}{
		{ev(0, TypePrincipalCreated, fmt.Sprintf(`{"id":%q,"name":"P","role":"member"}`, id)), false},
		{ev(1, TypePrincipalDisabled, toggle), true},
		{ev(2, TypePrincipalEnabled, toggle), false},
		{ev(1, TypePrincipalDisabled, toggle), false}, // delivered again
		{ev(3, TypePrincipalDisabled, toggle), true},
		{ev(2, TypePrincipalEnabled, toggle), true}, // delivered again
	}
	for i, st := range steps {
		if err := r.apply(st.ev); err != nil {
			t.Fatal(err)
		}
		if got := r.principals[id].Disabled; got != st.disabled {
			t.Fatalf("step %d (%s at revision %d): disabled %v, want %v", i, st.ev.Type, st.ev.Revision, got, st.disabled)
		}
	}
}
