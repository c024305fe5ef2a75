package evidence_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/evidence"
	"github.com/candor-ledger/candor/ledger"
)

// TestVouch: the log vouches for a stream's end as read from the store (its
// last event, whether events were removed after it, whether the stream is
// gone), which no hash chain can do for the last link.
func TestVouch(t *testing.T) {
	ctx := context.Background()
	f := newSQLiteFixture(t)
	f.exec(openReq())
	f.exec(invite("ex-1"))
	f.receipt(f.exec(invite("ex-2"))) // the log has taken every event in
	stream := ledger.StreamName(engID)
	evs, err := f.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
	if err != nil || len(evs) < 3 {
		t.Fatalf("ReadStream = %d events, %v", len(evs), err)
	}
	last := evs[len(evs)-1]
	edited := last
	edited.Data = []byte(strings.Replace(string(last.Data), "ex-2", "ex-9", 1))
	moved := last
	moved.RecordedAt = last.RecordedAt.Add(time.Hour)
	unknown := last
	unknown.Position = 1 << 40 // beyond what the log has taken in: not checked yet

	for _, tt := range []struct {
		name   string
		stream string
		last   *eventstore.RecordedEvent
		want   string // a part of the breach's reason; empty: vouched for
	}{
		{"as stored", stream, &last, ""},
		{"the last event edited", stream, &edited, "content"},
		{"its recorded time changed", stream, &moved, "recorded time"},
		{"events removed from the end", stream, &evs[len(evs)-2], "removed from the end"},
		{"the stream removed", stream, nil, "stream was removed"},
		{"a stream the log never had", "engagement-unknown", nil, ""},
		{"an event the log has not taken in yet", stream, &unknown, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := f.log.Vouch(ctx, tt.stream, tt.last)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Vouch = %v, want nil", err)
				}
				return
			}
			var b *evidence.Breach
			if !errors.As(err, &b) || !errors.Is(err, evidence.ErrBreach) || !strings.Contains(b.Reason, tt.want) {
				t.Fatalf("Vouch = %v, want a breach naming %q", err, tt.want)
			}
		})
	}
}
