package esdbstandin

import (
	"sort"
	"time"

	"github.com/google/uuid"
)

// Record is one event of the stand-in's log as Rewrite shows it.
type Record struct {
	Stream   string
	Revision uint64
	Position uint64
	ID       uuid.UUID
	Type     string
	Data     []byte
	Meta     []byte
	Created  time.Time
}

// Rewrite replaces the stand-in's whole log with what fn returns, as
// someone with write access to a server's database files could: for tests
// that tamper with a store and expect to be caught. Records keep the
// positions fn gives them; each stream is ordered by revision. Rewrite
// while no client reads or subscribes.
func (s *Server) Rewrite(fn func([]Record) []Record) {
	l := s.log
	l.mu.Lock()
	defer l.mu.Unlock()
	in := make([]Record, len(l.records))
	for i, r := range l.records {
		in[i] = Record{Stream: r.stream, Revision: r.revision, Position: r.position, ID: r.id, Type: r.typ,
			Data: r.data, Meta: r.meta, Created: time.Unix(0, r.created*100).UTC()}
	}
	out := fn(in)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Position < out[j].Position })
	l.records = l.records[:0:0]
	l.streams = map[string][]*record{}
	for _, r := range out {
		rec := &record{stream: r.Stream, revision: r.Revision, position: r.Position, id: r.ID, typ: r.Type,
			content: "application/json", data: r.Data, meta: r.Meta, created: r.Created.UnixNano() / 100}
		l.records = append(l.records, rec)
		l.streams[r.Stream] = append(l.streams[r.Stream], rec)
	}
	for _, recs := range l.streams {
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].revision < recs[j].revision })
	}
	close(l.changed)
	l.changed = make(chan struct{})
}
