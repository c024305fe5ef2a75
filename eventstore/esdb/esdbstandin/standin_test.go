package esdbstandin_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/candor-ledger/candor/eventstore/esdb/esdbstandin"
)

// These tests drive the stand-in with the official client directly, to pin
// the protocol behaviour the adapter relies on.

func dial(t *testing.T, conn string) *client.Client {
	t.Helper()
	conf, err := client.ParseConnectionString(conn)
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = client.NoopLogging()
	c, err := client.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ev(typ string) client.EventData {
	return client.EventData{EventID: uuid.New(), EventType: typ, ContentType: client.ContentTypeJson, Data: []byte(`{}`)}
}

func readAll(t *testing.T, c *client.Client, opts client.ReadAllOptions, n uint64) []*client.RecordedEvent {
	t.Helper()
	rs, err := c.ReadAll(context.Background(), opts, n)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []*client.RecordedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Event)
	}
}

func TestAppendRevisionsAndWrongExpectedVersion(t *testing.T) {
	ctx := context.Background()
	srv := esdbstandin.StartT(t)
	c := dial(t, srv.ConnString())

	res, err := c.AppendToStream(ctx, "s", client.AppendToStreamOptions{ExpectedRevision: client.NoStream{}}, ev("a"), ev("b"), ev("c"))
	if err != nil {
		t.Fatal(err)
	}
	if res.NextExpectedVersion != 2 || res.CommitPosition == 0 || res.CommitPosition != res.PreparePosition {
		t.Fatalf("append result = %+v, want revision 2 and equal non-zero positions", res)
	}
	tests := []struct {
		name string
		exp  client.ExpectedRevision
		want string // the current revision as the client reports it
	}{
		{"no stream", client.NoStream{}, "'2'"},
		{"revision", client.Revision(7), "'2'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.AppendToStream(ctx, "s", client.AppendToStreamOptions{ExpectedRevision: tt.exp}, ev("d"))
			var e *client.Error
			if !errors.As(err, &e) || e.Code() != client.ErrorCodeWrongExpectedVersion {
				t.Fatalf("append = %v, want WrongExpectedVersion", err)
			}
			if !strings.Contains(err.Error(), "but got "+tt.want) {
				t.Fatalf("error %q does not carry current revision %s", err, tt.want)
			}
		})
	}
	_, err = c.AppendToStream(ctx, "missing", client.AppendToStreamOptions{ExpectedRevision: client.StreamExists{}}, ev("d"))
	if err == nil || !strings.Contains(err.Error(), "but got 'no_stream'") {
		t.Fatalf("StreamExists on a missing stream = %v, want WrongExpectedVersion with no_stream", err)
	}
}

func TestIdempotentRetryAndPositionsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	srv := esdbstandin.StartT(t)
	c := dial(t, srv.ConnString())
	a, b := ev("a"), ev("b")
	first, err := c.AppendToStream(ctx, "s", client.AppendToStreamOptions{ExpectedRevision: client.NoStream{}}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.AppendToStream(ctx, "s", client.AppendToStreamOptions{ExpectedRevision: client.NoStream{}}, a, b)
	if err != nil || *again != *first {
		t.Fatalf("retry = %+v, %v; want %+v", again, err, first)
	}

	srv.Stop()
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	c = dial(t, srv.ConnString())
	all := readAll(t, c, client.ReadAllOptions{From: client.Start{}}, 100)
	// One system event from the stand-in, then a and b.
	if len(all) != 3 || all[0].EventType[0] != '$' || all[1].EventID != a.EventID || all[2].EventID != b.EventID {
		t.Fatalf("$all after restart = %d events", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Position.Commit <= all[i-1].Position.Commit+1 {
			t.Fatalf("positions %d then %d: want increasing log offsets, not counters", all[i-1].Position.Commit, all[i].Position.Commit)
		}
	}
	// Forwards reads of $all include their starting position; backwards
	// reads exclude it.
	fwd := readAll(t, c, client.ReadAllOptions{From: all[1].Position}, 10)
	if len(fwd) != 2 || fwd[0].EventID != a.EventID {
		t.Fatalf("forwards from a's position = %d events", len(fwd))
	}
	back := readAll(t, c, client.ReadAllOptions{Direction: client.Backwards, From: all[2].Position}, 10)
	if len(back) != 2 || back[0].EventID != a.EventID {
		t.Fatalf("backwards from b's position = %d events, want a then the system event", len(back))
	}
	if got := time.Since(all[1].CreatedDate); got < 0 || got > time.Minute {
		t.Fatalf("created date %v is not about now", all[1].CreatedDate)
	}
}

func TestFilteredSubscriptionSendsCheckpoints(t *testing.T) {
	ctx := context.Background()
	srv := esdbstandin.StartT(t)
	c := dial(t, srv.ConnString())
	for range 9 {
		if _, err := c.AppendToStream(ctx, "noise", client.AppendToStreamOptions{}, ev("n")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.AppendToStream(ctx, "wanted", client.AppendToStreamOptions{}, ev("w")); err != nil {
		t.Fatal(err)
	}
	sub, err := c.SubscribeToAll(ctx, client.SubscribeToAllOptions{
		From:               client.Start{},
		Filter:             &client.SubscriptionFilter{Type: client.StreamFilterType, Prefixes: []string{"wanted"}},
		MaxSearchWindow:    2,
		CheckpointInterval: 2, // a checkpoint every 4 events scanned
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	// 11 records (1 system, 9 noise, 1 wanted): checkpoints after the 4th
	// and 8th, then the wanted event, then caught up.
	var checkpoints []uint64
	for {
		e := sub.Recv()
		switch {
		case e.CheckPointReached != nil:
			checkpoints = append(checkpoints, e.CheckPointReached.Commit)
		case e.EventAppeared != nil:
			if e.EventAppeared.Event.StreamID != "wanted" {
				t.Fatalf("filter let through %q", e.EventAppeared.Event.StreamID)
			}
			if len(checkpoints) != 2 || checkpoints[0] >= checkpoints[1] || checkpoints[1] >= e.EventAppeared.Event.Position.Commit {
				t.Fatalf("checkpoints before the event = %v, want 2 increasing, below %d", checkpoints, e.EventAppeared.Event.Position.Commit)
			}
		case e.CaughtUp != nil:
			if len(checkpoints) != 2 {
				t.Fatalf("caught up after %d checkpoints, want 2", len(checkpoints))
			}
			return
		case e.SubscriptionDropped != nil:
			t.Fatalf("dropped: %v", e.SubscriptionDropped.Error)
		}
	}
}

func TestStopCutsSubscriptionsAndRestartRefusesWhileRunning(t *testing.T) {
	ctx := context.Background()
	srv := esdbstandin.StartT(t)
	if err := srv.Restart(ctx); !errors.Is(err, esdbstandin.ErrRunning) {
		t.Fatalf("Restart while running = %v, want ErrRunning", err)
	}
	c := dial(t, srv.ConnString())
	sub, err := c.SubscribeToAll(ctx, client.SubscribeToAllOptions{From: client.End{}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	srv.Stop()
	for {
		e := sub.Recv()
		if e.SubscriptionDropped != nil {
			return
		}
	}
}
