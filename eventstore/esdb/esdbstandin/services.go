package esdbstandin

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gossipapi "github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	featuresapi "github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	streamsapi "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
)

// emulatedVersion is the server protocol level the stand-in answers to the
// features request (the client parses it as major.minor.patch). It is not
// the version of any real server.
const emulatedVersion = "23.10.0"

type featuresService struct {
	featuresapi.UnimplementedServerFeaturesServer
}

func (featuresService) GetSupportedMethods(context.Context, *shared.Empty) (*featuresapi.SupportedMethods, error) {
	const streams = "event_store.client.streams.streams"
	return &featuresapi.SupportedMethods{
		EventStoreServerVersion: emulatedVersion,
		Methods: []*featuresapi.SupportedMethod{
			{ServiceName: streams, MethodName: "read"},
			{ServiceName: streams, MethodName: "append"},
		},
	}, nil
}

type gossipService struct {
	gossipapi.UnimplementedGossipServer
	host string
	port int32
}

func (g gossipService) Read(context.Context, *shared.Empty) (*gossipapi.ClusterInfo, error) {
	return &gossipapi.ClusterInfo{Members: []*gossipapi.MemberInfo{{
		State:        gossipapi.MemberInfo_Leader,
		IsAlive:      true,
		HttpEndPoint: &gossipapi.EndPoint{Address: g.host, Port: uint32(g.port)},
	}}}, nil
}

type streamsService struct {
	streamsapi.UnimplementedStreamsServer
	log *eventLog
}

// Append receives the options, then the proposed events, and answers once
// the client closes its side.
func (s *streamsService) Append(srv streamsapi.Streams_AppendServer) error {
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil || opts.GetStreamIdentifier() == nil || len(opts.GetStreamIdentifier().GetStreamName()) == 0 {
		return status.Error(codes.InvalidArgument, "append: the first message must carry the options with a stream name")
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	var exp expectation
	switch v := opts.GetExpectedStreamRevision().(type) {
	case *streamsapi.AppendReq_Options_NoStream:
		exp.kind = expectNoStream
	case *streamsapi.AppendReq_Options_StreamExists:
		exp.kind = expectStreamExists
	case *streamsapi.AppendReq_Options_Revision:
		exp = expectation{kind: expectRevision, revision: v.Revision}
	default:
		exp.kind = expectAny
	}

	var events []proposed
	for {
		req, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		msg := req.GetProposedMessage()
		if msg == nil {
			return status.Error(codes.InvalidArgument, "append: expected a proposed message")
		}
		id, err := uuidFromProto(msg.GetId())
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "append: event id: %v", err)
		}
		typ := msg.GetMetadata()["type"]
		if typ == "" {
			return status.Error(codes.InvalidArgument, "append: event type is required")
		}
		events = append(events, proposed{
			id:      id,
			typ:     typ,
			content: msg.GetMetadata()["content-type"],
			data:    msg.GetData(),
			meta:    msg.GetCustomMetadata(),
		})
	}

	res := s.log.append(stream, exp, events)
	if res.ok {
		return srv.SendAndClose(&streamsapi.AppendResp{Result: &streamsapi.AppendResp_Success_{Success: &streamsapi.AppendResp_Success{
			CurrentRevisionOption: &streamsapi.AppendResp_Success_CurrentRevision{CurrentRevision: res.lastRevision},
			PositionOption: &streamsapi.AppendResp_Success_Position{Position: &streamsapi.AppendResp_Position{
				CommitPosition: res.lastPosition, PreparePosition: res.lastPosition,
			}},
		}}})
	}
	wrong := &streamsapi.AppendResp_WrongExpectedVersion{}
	if res.currentExists {
		wrong.CurrentRevisionOption = &streamsapi.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: res.currentRevision}
		wrong.CurrentRevisionOption_20_6_0 = &streamsapi.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: res.currentRevision}
	} else {
		wrong.CurrentRevisionOption = &streamsapi.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		wrong.CurrentRevisionOption_20_6_0 = &streamsapi.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	}
	switch exp.kind {
	case expectNoStream:
		wrong.ExpectedRevisionOption = &streamsapi.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case expectStreamExists:
		wrong.ExpectedRevisionOption = &streamsapi.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	case expectRevision:
		wrong.ExpectedRevisionOption = &streamsapi.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: exp.revision}
	default:
		wrong.ExpectedRevisionOption = &streamsapi.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	}
	return srv.SendAndClose(&streamsapi.AppendResp{Result: &streamsapi.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: wrong}})
}

// Read serves stream reads, $all reads and subscriptions.
func (s *streamsService) Read(req *streamsapi.ReadReq, srv streamsapi.Streams_ReadServer) error {
	opts := req.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "read: options are required")
	}
	structured := opts.GetUuidOption().GetString_() == nil
	filter, err := newFilter(opts.GetFilter())
	if err != nil {
		return err
	}
	_, subscribe := opts.GetCountOption().(*streamsapi.ReadReq_Options_Subscription)

	switch {
	case opts.GetStream() != nil && subscribe:
		return s.subscribeStream(opts.GetStream(), structured, srv)
	case opts.GetStream() != nil:
		return s.readStream(opts.GetStream(), opts.GetReadDirection(), opts.GetCount(), structured, srv)
	case opts.GetAll() != nil && subscribe:
		return s.subscribeAll(opts.GetAll(), filter, structured, srv)
	case opts.GetAll() != nil:
		return s.readAll(opts.GetAll(), opts.GetReadDirection(), opts.GetCount(), filter, structured, srv)
	default:
		return status.Error(codes.InvalidArgument, "read: a stream or $all is required")
	}
}

func (s *streamsService) readStream(o *streamsapi.ReadReq_Options_StreamOptions, dir streamsapi.ReadReq_Options_ReadDirection, count uint64, structured bool, srv streamsapi.Streams_ReadServer) error {
	name := o.GetStreamIdentifier().GetStreamName()
	recs := s.log.streamRecords(string(name))
	if len(recs) == 0 {
		return srv.Send(&streamsapi.ReadResp{Content: &streamsapi.ReadResp_StreamNotFound_{StreamNotFound: &streamsapi.ReadResp_StreamNotFound{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: name},
		}}})
	}
	last := uint64(len(recs) - 1) // revisions are indexes: no deletes here
	var sent uint64
	send := func(r *record) error {
		sent++
		return srv.Send(eventResp(r, structured))
	}
	if dir == streamsapi.ReadReq_Options_Backwards {
		from := last
		if v, ok := o.GetRevisionOption().(*streamsapi.ReadReq_Options_StreamOptions_Revision); ok && v.Revision < last {
			from = v.Revision
		}
		if _, ok := o.GetRevisionOption().(*streamsapi.ReadReq_Options_StreamOptions_Start); ok {
			from = 0
		}
		for i := int64(from); i >= 0 && sent < count; i-- {
			if err := send(recs[i]); err != nil {
				return err
			}
		}
		return nil
	}
	var from uint64
	switch v := o.GetRevisionOption().(type) {
	case *streamsapi.ReadReq_Options_StreamOptions_Revision:
		from = v.Revision
	case *streamsapi.ReadReq_Options_StreamOptions_End:
		from = last + 1
	}
	for i := from; i <= last && sent < count; i++ {
		if err := send(recs[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *streamsService) readAll(o *streamsapi.ReadReq_Options_AllOptions, dir streamsapi.ReadReq_Options_ReadDirection, count uint64, f *filter, structured bool, srv streamsapi.Streams_ReadServer) error {
	recs := s.log.all()
	var sent uint64
	if dir == streamsapi.ReadReq_Options_Backwards {
		end := len(recs) // exclusive index
		if p := o.GetPosition(); p != nil {
			end = sort.Search(len(recs), func(i int) bool { return recs[i].position >= p.GetCommitPosition() })
		}
		if o.GetStart() != nil {
			end = 0
		}
		for i := end - 1; i >= 0 && sent < count; i-- {
			if !f.match(recs[i]) {
				continue
			}
			sent++
			if err := srv.Send(eventResp(recs[i], structured)); err != nil {
				return err
			}
		}
		return nil
	}
	start := 0
	if p := o.GetPosition(); p != nil {
		start = sort.Search(len(recs), func(i int) bool { return recs[i].position >= p.GetCommitPosition() })
	}
	if o.GetEnd() != nil {
		start = len(recs)
	}
	for i := start; i < len(recs) && sent < count; i++ {
		if !f.match(recs[i]) {
			continue
		}
		sent++
		if err := srv.Send(eventResp(recs[i], structured)); err != nil {
			return err
		}
	}
	return nil
}

func (s *streamsService) subscribeAll(o *streamsapi.ReadReq_Options_AllOptions, f *filter, structured bool, srv streamsapi.Streams_ReadServer) error {
	if err := confirm(srv); err != nil {
		return err
	}
	recs := s.log.all()
	next := 0
	switch {
	case o.GetEnd() != nil:
		next = len(recs)
	case o.GetPosition() != nil:
		// Exclusive: the first event after the given position.
		after := o.GetPosition().GetCommitPosition()
		next = sort.Search(len(recs), func(i int) bool { return recs[i].position > after })
	}
	return s.follow(next, f, structured, srv, func(*record) bool { return true })
}

func (s *streamsService) subscribeStream(o *streamsapi.ReadReq_Options_StreamOptions, structured bool, srv streamsapi.Streams_ReadServer) error {
	if err := confirm(srv); err != nil {
		return err
	}
	name := string(o.GetStreamIdentifier().GetStreamName())
	recs := s.log.all()
	next := 0
	switch v := o.GetRevisionOption().(type) {
	case *streamsapi.ReadReq_Options_StreamOptions_End:
		next = len(recs)
	case *streamsapi.ReadReq_Options_StreamOptions_Revision:
		stream := s.log.streamRecords(name)
		if v.Revision < uint64(len(stream)) {
			after := stream[v.Revision].position
			next = sort.Search(len(recs), func(i int) bool { return recs[i].position > after })
		} else {
			next = len(recs)
		}
	}
	return s.follow(next, nil, structured, srv, func(r *record) bool { return r.stream == name })
}

// follow sends the records of the global log from index next on that pass
// keep and f, catching up first and then waiting for new ones, until the
// client goes away or the server stops. Filtered subscriptions get a
// checkpoint every checkpoint interval of scanned records.
func (s *streamsService) follow(next int, f *filter, structured bool, srv streamsapi.Streams_ReadServer, keep func(*record) bool) error {
	ctx := srv.Context()
	scanned := 0
	caughtUp := false
	for {
		recs, changed := s.log.since(next)
		for _, r := range recs {
			next++
			if keep(r) && f.match(r) {
				if err := srv.Send(eventResp(r, structured)); err != nil {
					return err
				}
			}
			if f == nil {
				continue
			}
			scanned++
			if scanned >= f.checkpointEvery {
				scanned = 0
				if err := srv.Send(&streamsapi.ReadResp{Content: &streamsapi.ReadResp_Checkpoint_{Checkpoint: &streamsapi.ReadResp_Checkpoint{
					CommitPosition: r.position, PreparePosition: r.position,
				}}}); err != nil {
					return err
				}
			}
		}
		if !caughtUp {
			caughtUp = true
			if err := srv.Send(&streamsapi.ReadResp{Content: &streamsapi.ReadResp_CaughtUp_{CaughtUp: &streamsapi.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		if len(recs) > 0 {
			continue // more may have come while sending
		}
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-changed:
		}
	}
}

func confirm(srv streamsapi.Streams_ReadServer) error {
	return srv.Send(&streamsapi.ReadResp{Content: &streamsapi.ReadResp_Confirmation{Confirmation: &streamsapi.ReadResp_SubscriptionConfirmation{
		SubscriptionId: uuid.NewString(),
	}}})
}

// filter is a server-side filter on stream names or event types. A nil
// *filter keeps everything.
type filter struct {
	onStream        bool
	prefixes        []string
	regex           *regexp.Regexp
	checkpointEvery int // records scanned between checkpoints
}

// defaultSearchWindow is what the server uses when the client asks for no
// maximum search window.
const defaultSearchWindow = 32

func newFilter(o *streamsapi.ReadReq_Options_FilterOptions) (*filter, error) {
	if o == nil {
		return nil, nil
	}
	expr := o.GetEventType()
	f := &filter{}
	if o.GetStreamIdentifier() != nil {
		expr = o.GetStreamIdentifier()
		f.onStream = true
	}
	if expr == nil {
		return nil, status.Error(codes.InvalidArgument, "filter: a stream or event type expression is required")
	}
	f.prefixes = expr.GetPrefix()
	if expr.GetRegex() != "" {
		re, err := regexp.Compile(expr.GetRegex())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "filter: regex: %v", err)
		}
		f.regex = re
	}
	window := defaultSearchWindow
	if m := o.GetMax(); m > 0 {
		window = int(m)
	}
	multiplier := int(o.GetCheckpointIntervalMultiplier())
	if multiplier < 1 {
		multiplier = 1
	}
	f.checkpointEvery = window * multiplier
	return f, nil
}

func (f *filter) match(r *record) bool {
	if f == nil {
		return true
	}
	subject := r.typ
	if f.onStream {
		subject = r.stream
	}
	if f.regex != nil && f.regex.MatchString(subject) {
		return true
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return false
}

func eventResp(r *record, structured bool) *streamsapi.ReadResp {
	return &streamsapi.ReadResp{Content: &streamsapi.ReadResp_Event{Event: &streamsapi.ReadResp_ReadEvent{
		Event: &streamsapi.ReadResp_ReadEvent_RecordedEvent{
			Id:               uuidToProto(r.id, structured),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.position,
			CommitPosition:   r.position,
			Metadata: map[string]string{
				"type":         r.typ,
				"content-type": r.content,
				"created":      strconv.FormatInt(r.created, 10),
			},
			CustomMetadata: r.meta,
			Data:           r.data,
		},
		Position: &streamsapi.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.position},
	}}}
}

func uuidToProto(id uuid.UUID, structured bool) *shared.UUID {
	if !structured {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

func uuidFromProto(p *shared.UUID) (uuid.UUID, error) {
	if s := p.GetStructured(); s != nil {
		var id uuid.UUID
		binary.BigEndian.PutUint64(id[:8], uint64(s.GetMostSignificantBits()))
		binary.BigEndian.PutUint64(id[8:], uint64(s.GetLeastSignificantBits()))
		return id, nil
	}
	if p.GetString_() != "" {
		return uuid.Parse(p.GetString_())
	}
	return uuid.UUID{}, errors.New("missing")
}
