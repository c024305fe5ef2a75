// Package esdb is the eventstore.Store backend over EventStoreDB, through
// its official gRPC client (github.com/EventStore/EventStore-Client-Go/v4).
// Every operation maps onto EventStoreDB's own: the adapter adds no locking,
// no outbox and no second source of truth.
//
// # Mapping
//
//   - Append is AppendToStream with the expected revision as EventStoreDB's
//     Any, NoStream, StreamExists or Revision(n). A WrongExpectedVersion
//     answer becomes *eventstore.ConflictError with the stream's actual
//     revision as the server reported it. Events go with their own ids and
//     content type application/json.
//   - ReadStream is a stream read forwards or backwards from a revision
//     (End reads from the last event), with Limit as the read count; a
//     missing stream is eventstore.ErrStreamNotFound.
//   - ReadAll and Head read $all; SubscribeAll is a catch-up subscription
//     to $all with a server-side filter (stream-name prefixes, event-type
//     prefixes, or, for a zero Filter, the exclusion of system events).
//     System events (event types starting with "$") are never returned: they
//     are the server's, not Candor's.
//
// # Positions
//
// EventStoreDB positions an event in $all by a commit and a prepare
// position. Without explicit transactions (which this adapter never uses)
// both are equal for every event, so eventstore.Position is the commit
// position. They are log offsets: increasing, but not consecutive. Reading
// or subscribing "after" position p starts at EventStoreDB position {p, p}
// and drops the event at p itself; p must be Start or a position this store
// returned.
//
// # Guarantees, and EventStoreDB's idempotency window
//
// Atomicity, optimistic concurrency, ordering of $all and durability are
// EventStoreDB's own: an append is acknowledged once written to disk on the
// node, or on a majority of a cluster. Idempotency is EventStoreDB's too, by
// event id, and its window depends on the expectation (see the client's
// ExpectedRevision documentation and
// https://developers.eventstore.com/clients/grpc/appending-events.html):
// with NoStream, StreamExists or an exact revision the server guarantees it,
// comparing the ids with the events stored after the expected revision;
// with Any it only does its best, looking the ids up among recently written
// events ("in quick succession"), so a retry long after the first append,
// or after a server restart, may store the events a second time. Callers
// that retry appends should state an expectation.
//
// # Namespaces
//
// WithNamespace prefixes every stream name and hides other streams from
// ReadAll, Head and SubscribeAll, so that several stores (the contract
// suite's subtests against one real server, or tenants) share one server.
//
// # Failures
//
// A server that cannot be reached, stops answering within the operation
// timeout, or drops a connection gives errors wrapping
// eventstore.ErrUnavailable. The connection string's discovery settings are
// tightened when absent (maxDiscoverAttempts=2, discoveryInterval=50,
// gossipTimeout=3) so that a dead server is reported within about a second
// rather than the client's default of several. The client gives up for good
// after a failed discovery; the adapter then replaces it, so the store
// recovers by itself once the server is back. A call that fails on a broken
// connection is tried once more on a fresh one: reads are repeatable, and the
// server recognises a repeated append by its event ids (see the idempotency
// window above).
//
// SubscribeAll resumes by itself after a dropped connection, from the last
// event it delivered or the last checkpoint the server sent, whichever is
// later (a checkpoint is taken to carry the position of the last event the
// server's filter scanned, as the stand-in's does), and returns
// ErrUnavailable only when the server stays unreachable for the resubscribe
// window (WithResubscribeWindow).
package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/candor-ledger/candor/eventstore"
)

// ErrConnString reports a connection string the client cannot use.
var ErrConnString = errors.New("esdb: invalid connection string")

// ErrFilter reports a filter that sets both stream and type prefixes.
var ErrFilter = errors.New("esdb: filter sets both stream and type prefixes")

var _ eventstore.Store = (*Store)(nil)

// Defaults; see the Option functions.
const (
	defaultTimeout           = 3 * time.Second
	defaultResubscribeWindow = 10 * time.Second
	// defaultReadAllLimit is ReadAll's page when the caller gives none.
	defaultReadAllLimit = 1000
	// readPage bounds each $all read the adapter makes; system events are
	// skipped client-side, so a call may need more than one page.
	readPage = 512
)

// Option tunes a Store.
type Option func(*Store)

// WithTimeout bounds each non-subscription call to the server (default 10s).
// When it expires the call fails with eventstore.ErrUnavailable.
func WithTimeout(d time.Duration) Option { return func(s *Store) { s.timeout = d } }

// WithResubscribeWindow is how long SubscribeAll keeps trying to resubscribe
// after losing the server before it returns eventstore.ErrUnavailable
// (default 10s).
func WithResubscribeWindow(d time.Duration) Option {
	return func(s *Store) { s.resubscribeWindow = d }
}

// WithCheckpoints sets the server-side filter's search window (events the
// server scans per batch) and checkpoint interval (in windows): the server
// sends a checkpoint every window*interval events scanned. Defaults: 32, 1.
func WithCheckpoints(window, interval int) Option {
	return func(s *Store) { s.searchWindow, s.checkpointInterval = window, interval }
}

// WithNamespace keeps the store's streams apart from others on the same
// server: every stream is stored as ns+name, and ReadAll, Head and
// SubscribeAll see only streams in the namespace. It lets several stores
// (tenants, or test runs against one server) share an EventStoreDB. ReadAll
// and Head still scan the other streams' events, so a namespace is no
// substitute for a server of one's own when $all is large.
func WithNamespace(ns string) Option { return func(s *Store) { s.ns = ns } }

// Store is an eventstore.Store over EventStoreDB. It is safe for concurrent
// use.
type Store struct {
	ns                 string
	conf               client.Configuration
	timeout            time.Duration
	resubscribeWindow  time.Duration
	searchWindow       int
	checkpointInterval int

	mu     sync.Mutex
	conn   *conn // the client in use
	closed bool
	done   chan struct{} // closed by Close
}

// conn is one client and the calls in flight on it. The client (v4.2.0)
// must not be closed while a call is starting on it (its Close closes a
// channel that calls send on), so a retired client is closed only when its
// last call ends.
type conn struct {
	client   *client.Client
	inflight int
	retired  bool
}

// Open connects to the EventStoreDB named by connString (for example
// "esdb://localhost:2113?tls=false") and checks that it answers.
func Open(ctx context.Context, connString string, opts ...Option) (*Store, error) {
	conf, err := parseConnString(connString)
	if err != nil {
		return nil, err
	}
	s := &Store{
		conf:               *conf,
		timeout:            defaultTimeout,
		resubscribeWindow:  defaultResubscribeWindow,
		searchWindow:       32,
		checkpointInterval: 1,
		done:               make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	c, err := client.NewClient(s.newConf())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConnString, err)
	}
	s.conn = &conn{client: c}
	if _, err := s.Head(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("esdb: open: %w", err)
	}
	return s, nil
}

func parseConnString(connString string) (*client.Configuration, error) {
	conf, err := client.ParseConnectionString(connString)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConnString, err)
	}
	conf.Logger = client.NoopLogging()
	// Fail fast unless the caller chose otherwise: the client's defaults
	// (10 discovery attempts, 5s gossip timeout) take seconds to report a
	// dead server.
	set := settingsIn(connString)
	if !set["maxdiscoverattempts"] {
		conf.MaxDiscoverAttempts = 2
	}
	if !set["discoveryinterval"] {
		conf.DiscoveryInterval = 50
	}
	if !set["gossiptimeout"] {
		conf.GossipTimeout = 3
	}
	return conf, nil
}

// settingsIn returns the (lower-cased) setting names in a connection string.
func settingsIn(connString string) map[string]bool {
	set := make(map[string]bool)
	_, query, ok := strings.Cut(connString, "?")
	if !ok {
		return set
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return set
	}
	for k := range values {
		set[strings.ToLower(k)] = true
	}
	return set
}

// newConf returns a copy of the configuration for a new client (the client
// keeps a pointer to it).
func (s *Store) newConf() *client.Configuration {
	c := s.conf
	return &c
}

// acquire returns the connection in use for one call, or ErrClosed. The
// caller must release it.
func (s *Store) acquire() (*conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	s.conn.inflight++
	return s.conn, nil
}

func (s *Store) release(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.inflight--
	s.closeIfIdle(c)
}

// closeIfIdle closes a retired connection with no call left; s.mu is held.
func (s *Store) closeIfIdle(c *conn) {
	if c.retired && c.inflight == 0 {
		c.client.Close()
	}
}

// renew replaces old, whose client has given up, by a new client.
// Concurrent callers that saw the same old connection renew it once.
func (s *Store) renew(old *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.conn != old {
		return
	}
	c, err := client.NewClient(s.newConf())
	if err != nil {
		// The configuration was accepted once; it cannot turn invalid.
		return
	}
	old.retired = true
	s.closeIfIdle(old)
	s.conn = &conn{client: c}
}

// Close closes the connection and ends subscriptions. It is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.done)
	s.conn.retired = true
	s.closeIfIdle(s.conn)
	return nil
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// do runs one call to the server with the operation timeout, renews the
// client when it has given up, tries once more after a connection failure,
// and maps connection failures to eventstore.ErrUnavailable. Other errors
// pass through for the caller to map.
func (s *Store) do(ctx context.Context, op func(ctx context.Context, c *client.Client) error) error {
	for attempt := 0; ; attempt++ {
		c, err := s.acquire()
		if err != nil {
			return err
		}
		callCtx, cancel := context.WithTimeout(ctx, s.timeout)
		// The client does not always honour the context: while it looks
		// for a node after the server went away it can block far beyond
		// the deadline. Run the call aside and stop waiting at the
		// deadline; the abandoned call releases its client when it ends,
		// and the client is replaced.
		done := make(chan error, 1)
		go func() { done <- op(callCtx, c.client) }()
		abandoned := false
		select {
		case err = <-done:
		case <-callCtx.Done():
			err, abandoned = callCtx.Err(), true
		}
		timedOut := errors.Is(callCtx.Err(), context.DeadlineExceeded)
		cancel()
		if abandoned {
			go func() { <-done; s.release(c) }()
			s.renew(c)
			if ctx.Err() != nil {
				return fmt.Errorf("esdb: %w", ctx.Err())
			}
			return fmt.Errorf("%w: no answer within %s", eventstore.ErrUnavailable, s.timeout)
		}
		s.release(c)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("esdb: %w", ctx.Err())
		}
		if s.isClosed() {
			return eventstore.ErrClosed
		}
		if isCode(err, client.ErrorCodeConnectionClosed) {
			s.renew(c)
		}
		if attempt == 0 && !timedOut && unavailable(err) {
			// A connection that broke while idle (server restarted, say)
			// fails the first call on it; the client then reconnects. One
			// more try makes that invisible. Reads are safe to repeat, and
			// so are appends: the server recognises the event ids.
			continue
		}
		if timedOut {
			return fmt.Errorf("%w: no answer within %s: %w", eventstore.ErrUnavailable, s.timeout, err)
		}
		if unavailable(err) {
			return fmt.Errorf("%w: %w", eventstore.ErrUnavailable, err)
		}
		return err
	}
}

func isCode(err error, code client.ErrorCode) bool {
	var e *client.Error
	return errors.As(err, &e) && e.Code() == code
}

// unavailable reports whether err means the server could not be reached or
// cannot serve now (as opposed to a refusal of this request).
func unavailable(err error) bool {
	var e *client.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case client.ErrorUnavailable, client.ErrorCodeConnectionClosed,
			client.ErrorCodeDeadlineExceeded, client.ErrorCodeNotLeader, client.ErrorAborted:
			return true
		}
	}
	switch status.Code(unwrapStatus(err)) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted:
		return true
	}
	// gRPC's Send answers io.EOF when the stream already broke, which is
	// how the first append on a connection the server dropped (a restart)
	// fails: the client wraps it with an unknown code.
	return errors.Is(err, io.EOF)
}

// unwrapStatus finds the innermost error carrying a gRPC status, if any.
func unwrapStatus(err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if _, ok := status.FromError(e); ok {
			return e
		}
	}
	return err
}

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if len(events) == 0 {
		return eventstore.AppendResult{}, eventstore.ErrEmptyAppend
	}
	data := make([]client.EventData, len(events))
	for i, e := range events {
		data[i] = client.EventData{
			EventID:     e.ID,
			EventType:   e.Type,
			ContentType: client.ContentTypeJson,
			Data:        e.Data,
			Metadata:    e.Metadata,
		}
	}
	var res *client.WriteResult
	err := s.do(ctx, func(ctx context.Context, c *client.Client) error {
		r, err := c.AppendToStream(ctx, s.ns+stream, client.AppendToStreamOptions{ExpectedRevision: toExpected(expected)}, data...)
		res = r
		return err
	})
	if isCode(err, client.ErrorCodeWrongExpectedVersion) {
		conflict := &eventstore.ConflictError{Stream: stream, Expected: expected}
		if actual, exists, ok := parseWrongExpectedVersion(err); ok {
			conflict.Actual, conflict.Exists = actual, exists
		} else if conflict.Actual, conflict.Exists, err = s.lastRevision(ctx, stream); err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %q: conflict, and reading its revision: %w", stream, err)
		}
		return eventstore.AppendResult{}, conflict
	}
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %q: %w", stream, err)
	}
	// The answer names only the last event's commit position (none for an
	// idempotent retry): the events' own record says where and when each
	// one is, as reads will report it.
	out := eventstore.AppendResult{NextRevision: res.NextExpectedVersion}
	first := res.NextExpectedVersion + 1 - uint64(len(events))
	evs, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: first, Limit: len(events)})
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %q: stored, reading where: %w", stream, err)
	}
	if len(evs) != len(events) {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %q: stored %d events, read back %d", stream, len(events), len(evs))
	}
	for i, e := range evs {
		if e.ID != events[i].ID {
			return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %q: revision %d holds event %s, not %s", stream, e.Revision, e.ID, events[i].ID)
		}
		out.Events = append(out.Events, eventstore.Stored{Position: e.Position, RecordedAt: e.RecordedAt})
	}
	out.Position = out.Events[len(out.Events)-1].Position
	return out, nil
}

func toExpected(e eventstore.ExpectedRevision) client.ExpectedRevision {
	if rev, ok := e.Exact(); ok {
		return client.Revision(rev)
	}
	switch {
	case e.IsNoStream():
		return client.NoStream{}
	case e.IsStreamExists():
		return client.StreamExists{}
	default:
		return client.Any{}
	}
}

// gotRevision finds the current revision in the client's wrong-expected-
// version error. The client (v4.2.0) receives it from the server as a field
// but exposes it only in the error text, "... but got '<revision>'" or
// "... but got 'no_stream'"; reading the stream afterwards would race with
// other writers, so the text is the more faithful source.
var gotRevision = regexp.MustCompile(`but got '([^']*)'`)

func parseWrongExpectedVersion(err error) (actual uint64, exists, ok bool) {
	m := gotRevision.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false, false
	}
	if m[1] == "no_stream" {
		return 0, false, true
	}
	rev, perr := strconv.ParseUint(m[1], 10, 64)
	if perr != nil {
		return 0, false, false
	}
	return rev, true, true
}

// lastRevision reads the stream's last revision (exists false if none).
func (s *Store) lastRevision(ctx context.Context, stream string) (uint64, bool, error) {
	evs, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End, Limit: 1})
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if len(evs) == 0 {
		return 0, false, nil
	}
	return evs[0].Revision, true, nil
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	count := uint64(math.MaxInt64)
	if opts.Limit > 0 {
		count = uint64(opts.Limit)
	}
	ro := client.ReadStreamOptions{Direction: client.Forwards, From: client.Revision(opts.From)}
	switch {
	case opts.Direction == eventstore.Backwards && opts.From == eventstore.End:
		ro = client.ReadStreamOptions{Direction: client.Backwards, From: client.End{}}
	case opts.Direction == eventstore.Backwards:
		ro.Direction = client.Backwards
	case opts.From == eventstore.End:
		// Forwards from End starts at the last event: read it backwards,
		// which is the same single event.
		ro = client.ReadStreamOptions{Direction: client.Backwards, From: client.End{}}
		count = 1
	}
	var out []eventstore.RecordedEvent
	err := s.do(ctx, func(ctx context.Context, c *client.Client) error {
		out = out[:0]
		rs, err := c.ReadStream(ctx, s.ns+stream, ro, count)
		if err != nil {
			return err
		}
		defer rs.Close()
		for {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if isCode(err, client.ErrorCodeResourceNotFound) || isCode(err, client.ErrorCodeStreamDeleted) {
				return eventstore.ErrStreamNotFound
			}
			if err != nil {
				return err
			}
			out = append(out, s.fromRecorded(ev.Event))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("esdb: read stream %q: %w", stream, err)
	}
	return out, nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if limit <= 0 {
		limit = defaultReadAllLimit
	}
	var out []eventstore.RecordedEvent
	seen := after // last position looked at; reads from it include it
	for len(out) < limit {
		var from client.AllPosition = client.Start{}
		if seen > 0 {
			from = client.Position{Commit: uint64(seen), Prepare: uint64(seen)}
		}
		page := min(limit-len(out)+1, readPage)
		got := 0
		err := s.do(ctx, func(ctx context.Context, c *client.Client) error {
			got = 0
			rs, err := c.ReadAll(ctx, client.ReadAllOptions{Direction: client.Forwards, From: from}, uint64(page))
			if err != nil {
				return err
			}
			defer rs.Close()
			for {
				ev, err := rs.Recv()
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
				got++
				rec := ev.Event
				if eventstore.Position(rec.Position.Commit) <= seen {
					continue
				}
				seen = eventstore.Position(rec.Position.Commit)
				if !s.mine(rec) || len(out) == limit {
					continue
				}
				out = append(out, s.fromRecorded(rec))
			}
		})
		if err != nil {
			return nil, fmt.Errorf("esdb: read $all after %d: %w", after, err)
		}
		if got < page {
			break // end of $all
		}
	}
	return out, nil
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	var from client.AllPosition = client.End{}
	var below uint64 = math.MaxUint64 // positions already looked at are >= below
	for {
		var head eventstore.Position
		var last *client.Position
		got := 0
		err := s.do(ctx, func(ctx context.Context, c *client.Client) error {
			got, head, last = 0, 0, nil
			rs, err := c.ReadAll(ctx, client.ReadAllOptions{Direction: client.Backwards, From: from}, readPage)
			if err != nil {
				return err
			}
			defer rs.Close()
			for {
				ev, err := rs.Recv()
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
				got++
				if ev.Event.Position.Commit >= below {
					continue
				}
				last = &ev.Event.Position
				if head == 0 && s.mine(ev.Event) {
					head = eventstore.Position(ev.Event.Position.Commit)
				}
			}
		})
		if err != nil {
			return 0, fmt.Errorf("esdb: head: %w", err)
		}
		if head != 0 || got < readPage || last == nil {
			return head, nil
		}
		from, below = *last, last.Commit
	}
}

// SubscribeAll implements eventstore.Store.
func (s *Store) SubscribeAll(ctx context.Context, opts eventstore.SubscribeOptions, h eventstore.Handler) error {
	f, err := s.toFilter(opts.Filter)
	if err != nil {
		return err
	}
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-subCtx.Done():
		}
	}()

	last := opts.After // delivered, or skipped by the server's filter
	var downSince time.Time
	backoff := 50 * time.Millisecond
	for {
		c, err := s.acquire()
		if err != nil {
			return err
		}
		var from client.AllPosition = client.Start{}
		if last > 0 {
			from = client.Position{Commit: uint64(last), Prepare: uint64(last)}
		}
		// As in do: the client can block here, looking for a node, far
		// beyond any deadline. Stop waiting after the operation timeout,
		// replace the client, and try again; the abandoned call closes
		// what it gets and releases its client when it ends.
		type subscribed struct {
			sub *client.Subscription
			err error
		}
		got := make(chan subscribed, 1)
		go func() {
			sub, err := c.client.SubscribeToAll(subCtx, client.SubscribeToAllOptions{
				From:               from,
				Filter:             f,
				MaxSearchWindow:    s.searchWindow,
				CheckpointInterval: s.checkpointInterval,
			})
			got <- subscribed{sub, err}
		}()
		var sub *client.Subscription
		abandoned := false
		select {
		case r := <-got:
			sub, err = r.sub, r.err
		case <-time.After(s.timeout):
			abandoned = true
		case <-subCtx.Done():
			abandoned = true
		}
		if abandoned {
			go func(c *conn) {
				if r := <-got; r.sub != nil {
					r.sub.Close()
				}
				s.release(c)
			}(c)
			s.renew(c)
			err = fmt.Errorf("%w: no subscription within %s", eventstore.ErrUnavailable, s.timeout)
		} else {
			if err == nil {
				downSince = time.Time{}
				backoff = 50 * time.Millisecond
				err = s.pump(ctx, sub, opts.Filter, &last, h)
				sub.Close()
			}
			s.release(c)
		}
		var he handlerError
		if errors.As(err, &he) {
			return he.err
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case s.isClosed():
			return eventstore.ErrClosed
		case abandoned:
		case isCode(err, client.ErrorCodeConnectionClosed):
			s.renew(c)
		case !unavailable(err):
			return fmt.Errorf("esdb: subscribe to $all: %w", err)
		}
		if downSince.IsZero() {
			downSince = time.Now()
		} else if time.Since(downSince) > s.resubscribeWindow {
			return fmt.Errorf("%w: subscribe to $all: %w", eventstore.ErrUnavailable, err)
		}
		select {
		case <-subCtx.Done():
			continue // the next round reports why
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// handlerError marks an error returned by the subscriber's handler.
type handlerError struct{ err error }

func (e handlerError) Error() string { return e.err.Error() }

// pump delivers a subscription's events to h until it drops, and keeps last
// at the latest position delivered or checkpointed.
func (s *Store) pump(ctx context.Context, sub *client.Subscription, f eventstore.Filter, last *eventstore.Position, h eventstore.Handler) error {
	for {
		ev := sub.Recv()
		switch {
		case ev.EventAppeared != nil:
			rec := ev.EventAppeared.Event
			pos := eventstore.Position(rec.Position.Commit)
			if pos <= *last {
				continue // already delivered before a resubscription
			}
			// The server filtered already; checking again costs little and
			// keeps system events out whatever the filter (and applies type
			// prefixes within a namespace, which the server cannot combine
			// with the namespace's stream prefix).
			if e := s.fromRecorded(rec); s.mine(rec) && f.Match(&e) {
				if err := h(ctx, e); err != nil {
					return handlerError{err}
				}
			}
			*last = pos
		case ev.CheckPointReached != nil:
			if p := eventstore.Position(ev.CheckPointReached.Commit); p > *last {
				*last = p
			}
		case ev.SubscriptionDropped != nil:
			return ev.SubscriptionDropped.Error
		}
	}
}

// toFilter maps a Filter onto a server-side filter; a zero Filter excludes
// system events (or, in a namespace, keeps the namespace's streams).
func (s *Store) toFilter(f eventstore.Filter) (*client.SubscriptionFilter, error) {
	switch {
	case len(f.StreamPrefixes) > 0 && len(f.TypePrefixes) > 0:
		return nil, ErrFilter
	case len(f.StreamPrefixes) > 0:
		prefixes := make([]string, len(f.StreamPrefixes))
		for i, p := range f.StreamPrefixes {
			prefixes[i] = s.ns + p
		}
		return &client.SubscriptionFilter{Type: client.StreamFilterType, Prefixes: prefixes}, nil
	case s.ns != "":
		return &client.SubscriptionFilter{Type: client.StreamFilterType, Prefixes: []string{s.ns}}, nil
	case len(f.TypePrefixes) > 0:
		return &client.SubscriptionFilter{Type: client.EventFilterType, Prefixes: f.TypePrefixes}, nil
	default:
		return client.ExcludeSystemEventsFilter(), nil
	}
}

// mine reports whether e is one of this store's events: not an EventStoreDB
// system event (type starting with "$", which Candor never writes), and in
// the store's namespace.
func (s *Store) mine(e *client.RecordedEvent) bool {
	return !strings.HasPrefix(e.EventType, "$") && strings.HasPrefix(e.StreamID, s.ns)
}

func (s *Store) fromRecorded(e *client.RecordedEvent) eventstore.RecordedEvent {
	return eventstore.RecordedEvent{
		Stream:     strings.TrimPrefix(e.StreamID, s.ns),
		Revision:   e.EventNumber,
		Position:   eventstore.Position(e.Position.Commit),
		ID:         e.EventID,
		Type:       e.EventType,
		Data:       nonEmpty(e.Data),
		Metadata:   nonEmpty(e.UserMetadata),
		RecordedAt: e.CreatedDate.UTC(),
	}
}

// nonEmpty returns nil for empty bytes: the wire does not tell nil from
// empty, and nil is what a caller that gave no metadata gave.
func nonEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
