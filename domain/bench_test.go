package domain

import "testing"

// BenchmarkFold folds the life story (every event type, 52 events).
func BenchmarkFold(b *testing.B) {
	evs := lifeStory(b).events
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fold(evs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs)), "events/op")
}

// BenchmarkDecide decides one command against a state in delivery.
func BenchmarkDecide(b *testing.B) {
	s := delivery(b)
	cmd := InformClient{ActorID: sup, InformationID: "i", Subject: "s", Channel: ChannelEmail, Recipients: []string{cli}, About: []string{"ms-1"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decide(s.state, cmd, s.now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClone copies the life story's final state.
func BenchmarkClone(b *testing.B) {
	s := lifeStory(b).state
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Clone()
	}
}
