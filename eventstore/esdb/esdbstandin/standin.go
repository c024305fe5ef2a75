// Package esdbstandin is an in-process STAND-IN for an EventStoreDB server,
// for tests only. It is NOT EventStoreDB: it speaks the subset of
// EventStoreDB's gRPC protocol that package esdb (our adapter, through
// github.com/EventStore/EventStore-Client-Go/v4) uses, on the generated
// server interfaces that the client module ships, and keeps its data in
// memory. Tests run the adapter against it when no real server is available;
// the same tests run against a real server when one is configured.
//
// # What it serves
//
//   - event_store.client.server_features.ServerFeatures/GetSupportedMethods,
//     which the client calls right after connecting;
//   - event_store.client.gossip.Gossip/Read, which the client calls only in
//     cluster mode (esdb+discover:// or several hosts); the stand-in reports
//     itself as the one live leader;
//   - event_store.client.streams.Streams/Append and Streams/Read (stream
//     reads, $all reads, stream and $all subscriptions, with or without a
//     server-side filter). Delete, Tombstone and BatchAppend answer
//     Unimplemented; persistent subscriptions, projections, ACLs, stream
//     metadata, link events and authentication are not served.
//
// # Semantics followed, and where they are documented
//
//   - Appending: stream revisions count from 0; an append checks the
//     expected revision (any, no stream, stream exists, or an exact
//     revision) and on a mismatch answers WrongExpectedVersion carrying the
//     stream's current revision (or "no stream"), storing nothing. The events
//     of one append are stored together. Appending again events whose ids
//     were all stored by one earlier append to the same stream is idempotent:
//     it succeeds with that append's result and stores nothing.
//     https://developers.eventstore.com/clients/grpc/appending-events.html
//     ("If two events with the same Uuid are appended to the same stream in
//     quick succession EventStoreDB will only append one copy"; see also the
//     idempotence notes of
//     https://developers.eventstore.com/clients/dotnet/20.10/appending/).
//     Difference: the stand-in remembers every event id for its lifetime,
//     whereas the server remembers ids for a bounded window when the
//     expected revision is "any" (see package esdb's documentation).
//   - Positions: every event has a commit and a prepare position in the
//     global log; for single appends (no explicit transaction) they are
//     equal, strictly increasing, and not dense (they are log offsets: the
//     stand-in advances them by the size of each record, so clients must not
//     assume consecutive numbers).
//     https://developers.eventstore.com/clients/grpc/reading-events.html
//     ("a Position that is the events logical position that is represented
//     by CommitPosition and a PreparePosition").
//   - Reading: a stream forwards from a revision (inclusive) or backwards
//     from a revision or the end; a missing stream answers StreamNotFound.
//     $all forwards from a position (inclusive) or backwards from a position
//     (exclusive) or the end, system events included, as the server does.
//     https://developers.eventstore.com/clients/grpc/reading-events.html
//   - Subscriptions (catch-up): a confirmation first, then the stored events
//     after the starting point (exclusive: "The positions provided to the
//     subscriptions are exclusive"), a CaughtUp message, then live events as
//     they are committed, in log order, without gap or duplicate.
//     https://docs.kurrent.io/clients/grpc/subscriptions
//     https://developers.eventstore.com/clients/grpc/subscriptions
//   - Server-side filtering of $all subscriptions by stream-name or
//     event-type prefixes or regular expression, with checkpoint messages:
//     the server scans the log in windows of maxSearchWindow events and sends
//     a checkpoint every checkpointIntervalMultiplier windows scanned, so a
//     client can resume a sparse filtered subscription without rescanning.
//     https://www.eventstore.com/blog/server-side-filtering
//     https://developers.eventstore.com/clients/grpc/subscriptions
//     (section "Server-side filtering"). The stand-in's checkpoint carries
//     the position of the last event scanned, so resuming from it
//     (exclusively) skips nothing.
//
// The stand-in writes one system event ($-prefixed stream and type) when its
// data is created, as a real server writes its own system events, so that
// clients are exercised on excluding them.
package esdbstandin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"

	"google.golang.org/grpc"

	gossipapi "github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	featuresapi "github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	streamsapi "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
)

// ErrRunning is returned by Restart when the stand-in is already serving.
var ErrRunning = errors.New("esdbstandin: already running")

// Server is a running (or stopped) stand-in. Its data lives as long as the
// Server value, across Stop and Restart.
type Server struct {
	log *eventLog

	mu      sync.Mutex
	addr    string // host:port, fixed after the first Start
	grpc    *grpc.Server
	done    chan struct{} // closed when the current Serve returns
	running bool
}

// Start starts a stand-in on a free loopback port.
func Start(ctx context.Context) (*Server, error) {
	s := &Server{log: newEventLog()}
	if err := s.listen(ctx, "127.0.0.1:0"); err != nil {
		return nil, err
	}
	return s, nil
}

// StartT starts a stand-in for a test and stops it when the test ends.
func StartT(t testing.TB) *Server {
	t.Helper()
	s, err := Start(context.Background())
	if err != nil {
		t.Fatalf("start EventStoreDB stand-in: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Addr returns the host:port the stand-in listens (or listened) on.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ConnString returns an EventStoreDB connection string for the stand-in,
// without TLS (the stand-in serves plain HTTP/2).
func (s *Server) ConnString() string {
	return "esdb://" + s.Addr() + "?tls=false"
}

// Stop stops serving at once: open connections, reads and subscriptions are
// cut, as when a server process dies. The data stays in memory. Stop on a
// stopped stand-in does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	g, done, running := s.grpc, s.done, s.running
	s.running = false
	s.mu.Unlock()
	if !running {
		return
	}
	g.Stop()
	<-done
}

// Restart serves again, on the same port and with the same data, after Stop.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	running, addr := s.running, s.addr
	s.mu.Unlock()
	if running {
		return ErrRunning
	}
	return s.listen(ctx, addr)
}

func (s *Server) listen(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("esdbstandin: listen on %s: %w", addr, err)
	}
	host, portText, err := net.SplitHostPort(lis.Addr().String())
	if err != nil {
		lis.Close()
		return fmt.Errorf("esdbstandin: listener address: %w", err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		lis.Close()
		return fmt.Errorf("esdbstandin: listener port: %w", err)
	}

	g := grpc.NewServer()
	streamsapi.RegisterStreamsServer(g, &streamsService{log: s.log})
	featuresapi.RegisterServerFeaturesServer(g, featuresService{})
	gossipapi.RegisterGossipServer(g, gossipService{host: host, port: int32(port)})

	done := make(chan struct{})
	s.mu.Lock()
	s.addr = lis.Addr().String()
	s.grpc = g
	s.done = done
	s.running = true
	s.mu.Unlock()

	go func() {
		defer close(done)
		// Serve returns when Stop is called; its error then says nothing
		// a caller could act on.
		_ = g.Serve(lis)
	}()
	return nil
}
