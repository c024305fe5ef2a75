package projections

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

const (
	defaultLimit = 50
	maxLimit     = 500
)

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return defaultLimit
	case p.Limit > maxLimit:
		return maxLimit
	}
	return p.Limit
}

// Cursors are opaque to clients: a prefix naming the list, then the key.
func encodeCursor(list, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + ":" + key))
}

func decodeCursor(list, c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), list+":") {
		return "", ErrInvalidCursor
	}
	return strings.TrimPrefix(string(b), list+":"), nil
}

// acquire returns the serving table of a projection, which stays there
// until release is called, even if a rebuild replaces it meanwhile.
func (e *Engine) acquire(name string) (table string, release func(), err error) {
	for {
		if e.closed.Load() {
			return "", nil, ErrClosed
		}
		e.mu.RLock()
		in, ok := e.live[name]
		e.mu.RUnlock()
		if !ok {
			return "", nil, fmt.Errorf("%w: %s", ErrNotReady, name)
		}
		in.readers.RLock()
		if !in.dropped {
			return in.table, in.readers.RUnlock, nil
		}
		in.readers.RUnlock() // replaced just now: take the new one
	}
}

// Engagements lists engagement summaries by id, optionally in one phase.
func (e *Engine) Engagements(ctx context.Context, f EngagementFilter, p Page) (EngagementList, error) {
	t, release, err := e.acquire(NameEngagements)
	if err != nil {
		return EngagementList{}, err
	}
	defer release()
	after, err := decodeCursor("eng", p.Cursor)
	if err != nil {
		return EngagementList{}, err
	}
	n := p.limit()
	var rows *sql.Rows
	if f.Phase != "" {
		rows, err = e.reads.QueryContext(ctx, fmt.Sprintf(`SELECT data FROM %s WHERE kind = ? AND tag = ? AND eng > ? ORDER BY eng LIMIT ?`, t),
			kindEngagement, string(f.Phase), after, n+1)
	} else {
		rows, err = e.reads.QueryContext(ctx, fmt.Sprintf(`SELECT data FROM %s WHERE eng > ? AND kind = ? ORDER BY eng LIMIT ?`, t),
			after, kindEngagement, n+1)
	}
	if err != nil {
		return EngagementList{}, fmt.Errorf("projections: engagements: %w", err)
	}
	items, err := scanDocs[EngagementSummary](rows, kindEngagement)
	if err != nil {
		return EngagementList{}, fmt.Errorf("projections: %w", err)
	}
	out := EngagementList{Items: items}
	if len(items) > n {
		out.Items = items[:n]
		out.NextCursor = encodeCursor("eng", items[n-1].ID)
	}
	if out.Items == nil {
		out.Items = []EngagementSummary{}
	}
	return out, nil
}

// Engagement returns one engagement's summary, or ErrNotFound.
func (e *Engine) Engagement(ctx context.Context, id string) (EngagementSummary, error) {
	t, release, err := e.acquire(NameEngagements)
	if err != nil {
		return EngagementSummary{}, err
	}
	defer release()
	s, ok, err := readDoc[EngagementSummary](ctx, e.reads, t, id, kindEngagement, "")
	if err != nil {
		return s, fmt.Errorf("projections: %w", err)
	}
	if !ok {
		return s, fmt.Errorf("%w: engagement %q", ErrNotFound, id)
	}
	return s, nil
}

// exists reports ErrNotFound for an engagement the summaries do not know. The
// per-engagement read models are empty rather than missing for a new
// engagement, so they ask this first.
func (e *Engine) exists(ctx context.Context, id string) error {
	t, release, err := e.acquire(NameEngagements)
	if err != nil {
		return err
	}
	defer release()
	var one int
	err = e.reads.QueryRowContext(ctx, fmt.Sprintf(`SELECT 1 FROM %s WHERE eng = ? AND kind = ? AND id = ?`, t), id, kindEngagement, "").Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: engagement %q", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("projections: %w", err)
	}
	return nil
}

// Timeline returns one page of an engagement's facts in order. The cursor
// names the last revision returned.
func (e *Engine) Timeline(ctx context.Context, id string, p Page) (Timeline, error) {
	if err := e.exists(ctx, id); err != nil {
		return Timeline{}, err
	}
	from := uint64(0)
	if c, err := decodeCursor("tl", p.Cursor); err != nil {
		return Timeline{}, err
	} else if c != "" {
		rev, err := strconv.ParseUint(c, 10, 64)
		if err != nil {
			return Timeline{}, ErrInvalidCursor
		}
		from = rev + 1
	}
	t, release, err := e.acquire(NameTimeline)
	if err != nil {
		return Timeline{}, err
	}
	defer release()
	n := p.limit()
	out := Timeline{EngagementID: id, Items: []TimelineEntry{}}
	// Read whole chunks from the one holding `from` until the page is full.
	for chunk := from / timelineChunk; ; chunk += uint64(n/timelineChunk + 1) {
		last := chunk + uint64(n/timelineChunk+1)
		chunks, err := readDocRange[[]TimelineEntry](ctx, e.reads, t, id, kindChunk, chunkID(chunk*timelineChunk), chunkID(last*timelineChunk))
		if err != nil {
			return Timeline{}, fmt.Errorf("projections: timeline: %w", err)
		}
		for _, c := range chunks {
			for _, it := range c {
				if it.Revision < from {
					continue
				}
				if len(out.Items) == n {
					out.NextCursor = encodeCursor("tl", strconv.FormatUint(out.Items[n-1].Revision, 10))
					return out, nil
				}
				out.Items = append(out.Items, it)
			}
		}
		if len(chunks) == 0 || uint64(len(chunks)) < last-chunk {
			return out, nil
		}
	}
}

// Requirements returns the requirements board; ages are computed at now.
func (e *Engine) Requirements(ctx context.Context, id string, now time.Time) (RequirementsBoard, error) {
	if err := e.exists(ctx, id); err != nil {
		return RequirementsBoard{}, err
	}
	t, release, err := e.acquire(NameRequirements)
	if err != nil {
		return RequirementsBoard{}, err
	}
	defer release()
	b := RequirementsBoard{EngagementID: id}
	if b.Requirements, err = readDocs[Requirement](ctx, e.reads, t, id, kindRequirement); err != nil {
		return b, fmt.Errorf("projections: %w", err)
	}
	changes, err := readDocs[Change](ctx, e.reads, t, id, kindChange)
	if err != nil {
		return b, fmt.Errorf("projections: %w", err)
	}
	if b.Assumptions, err = e.assumptions(ctx, t, id, now); err != nil {
		return b, err
	}
	if b.Features, err = readDocs[Feature](ctx, e.reads, t, id, kindFeature); err != nil {
		return b, fmt.Errorf("projections: %w", err)
	}
	index := map[string]int{}
	for i := range b.Requirements {
		r := &b.Requirements[i]
		index[r.ID] = i
		r.Changes = []Change{}
		if r.Questions == nil {
			r.Questions = []Question{}
		}
		if r.Clarifications == nil {
			r.Clarifications = []Clarification{}
		}
		for j := range r.Questions {
			q := &r.Questions[j]
			end := now
			if q.AnsweredAt != nil {
				end = *q.AnsweredAt
			}
			q.AgeDays = days(end.Sub(q.AskedAt))
		}
	}
	b.Changes = []Change{}
	for _, c := range changes {
		if i, ok := index[c.RequirementID]; ok {
			b.Requirements[i].Changes = append(b.Requirements[i].Changes, c)
		} else {
			b.Changes = append(b.Changes, c)
		}
	}
	if b.Requirements == nil {
		b.Requirements = []Requirement{}
	}
	if b.Features == nil {
		b.Features = []Feature{}
	}
	return b, nil
}

// Assumptions returns the assumptions with their state and age at now.
func (e *Engine) Assumptions(ctx context.Context, id string, now time.Time) ([]Assumption, error) {
	if err := e.exists(ctx, id); err != nil {
		return nil, err
	}
	t, release, err := e.acquire(NameRequirements)
	if err != nil {
		return nil, err
	}
	defer release()
	return e.assumptions(ctx, t, id, now)
}

func (e *Engine) assumptions(ctx context.Context, t, id string, now time.Time) ([]Assumption, error) {
	as, err := readDocs[Assumption](ctx, e.reads, t, id, kindAssumption)
	if err != nil {
		return nil, fmt.Errorf("projections: %w", err)
	}
	for i := range as {
		end := now
		if as[i].ResolvedAt != nil {
			end = *as[i].ResolvedAt
		}
		as[i].AgeDays = days(end.Sub(as[i].MadeAt))
	}
	if as == nil {
		as = []Assumption{}
	}
	return as, nil
}

// Delays returns the delay register.
func (e *Engine) Delays(ctx context.Context, id string) (DelayRegister, error) {
	if err := e.exists(ctx, id); err != nil {
		return DelayRegister{}, err
	}
	t, release, err := e.acquire(NameDelays)
	if err != nil {
		return DelayRegister{}, err
	}
	defer release()
	reg := DelayRegister{EngagementID: id}
	if reg.Milestones, err = readDocs[Milestone](ctx, e.reads, t, id, kindMilestone); err != nil {
		return reg, fmt.Errorf("projections: %w", err)
	}
	if reg.Delays, err = readDocs[Delay](ctx, e.reads, t, id, kindDelay); err != nil {
		return reg, fmt.Errorf("projections: %w", err)
	}
	reg.Milestones = nonNil(reg.Milestones)
	reg.Delays = nonNil(reg.Delays)
	return reg, nil
}

// Decisions returns the decision log.
func (e *Engine) Decisions(ctx context.Context, id string) ([]Decision, error) {
	return engagementDocs[Decision](ctx, e, NameDecisions, id, kindDecision)
}

// Indicators returns the success indicators with their measurements.
func (e *Engine) Indicators(ctx context.Context, id string) ([]Indicator, error) {
	return engagementDocs[Indicator](ctx, e, NameIndicators, id, kindIndicator)
}

// Stakeholders returns the stakeholder register.
func (e *Engine) Stakeholders(ctx context.Context, id string) ([]Stakeholder, error) {
	return engagementDocs[Stakeholder](ctx, e, NameStakeholders, id, kindStakeholder)
}

// Communications returns who was informed of what, and who acknowledged.
func (e *Engine) Communications(ctx context.Context, id string) (Communications, error) {
	infos, err := engagementDocs[Information](ctx, e, NameCommunications, id, kindInformation)
	if err != nil {
		return Communications{}, err
	}
	c := Communications{EngagementID: id, Informations: infos}
	for i := range infos {
		in := &infos[i]
		in.AcknowledgedBy, in.NotAcknowledged = []string{}, []string{}
		for _, r := range in.Recipients {
			switch {
			case r.AcknowledgedAt != nil:
				in.AcknowledgedBy = append(in.AcknowledgedBy, r.ID)
			case r.Party == domain.PartyClient:
				in.NotAcknowledged = append(in.NotAcknowledged, r.ID)
			}
		}
		if c.LastClientInformedAt == nil || in.InformedAt.After(*c.LastClientInformedAt) {
			c.LastClientInformedAt = ptr(in.InformedAt)
		}
		occurred := in.InformedAt
		if in.InformedOccurredAt != nil {
			occurred = *in.InformedOccurredAt
		}
		if c.LastClientInformedOccurredAt == nil || occurred.After(*c.LastClientInformedOccurredAt) {
			c.LastClientInformedOccurredAt = ptr(occurred)
		}
	}
	return c, nil
}

func engagementDocs[T any](ctx context.Context, e *Engine, name, id, kind string) ([]T, error) {
	if err := e.exists(ctx, id); err != nil {
		return nil, err
	}
	t, release, err := e.acquire(name)
	if err != nil {
		return nil, err
	}
	defer release()
	out, err := readDocs[T](ctx, e.reads, t, id, kind)
	if err != nil {
		return nil, fmt.Errorf("projections: %w", err)
	}
	return nonNil(out), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Knowledge returns what a stakeholder was informed of, acknowledged or took
// part in, in an engagement, up to the moment at (both bounds are
// inclusive; a zero AsOf means now). A time is compared with when each item
// was recorded (BasisRecorded, or "") or with when it is said to have
// happened (BasisOccurred: its claim, or its recording when none); a
// position is always a recorded one. The engagement as a whole at a past
// moment is the ledger's StateAsOf.
func (e *Engine) Knowledge(ctx context.Context, engagementID, stakeholderID string, at ledger.AsOf, basis Basis) (Knowledge, error) {
	if err := e.exists(ctx, engagementID); err != nil {
		return Knowledge{}, err
	}
	t, release, err := e.acquire(NameKnowledge)
	if err != nil {
		return Knowledge{}, err
	}
	defer release()
	// "/" sorts just before "0": the range holds exactly this stakeholder's chunks.
	chunks, err := readDocRange[[]KnowledgeItem](ctx, e.reads, t, engagementID, kindKnowledge, stakeholderID+"/", stakeholderID+"0")
	if err != nil {
		return Knowledge{}, fmt.Errorf("projections: %w", err)
	}
	k := Knowledge{EngagementID: engagementID, StakeholderID: stakeholderID, Items: []KnowledgeItem{}}
	for _, c := range chunks {
		for _, it := range c {
			when := it.At
			if basis == BasisOccurred {
				when = it.Occurred()
			}
			if at.Position != nil && it.Position > *at.Position || at.Time != nil && when.After(*at.Time) {
				continue
			}
			k.Items = append(k.Items, it)
		}
	}
	slices.SortStableFunc(k.Items, func(a, b KnowledgeItem) int {
		if a.Position != b.Position {
			if a.Position < b.Position {
				return -1
			}
			return 1
		}
		return 0
	})
	return k, nil
}

// Transparency returns the transparency report of one engagement, or of all
// engagements when id is empty, with time-relative figures computed at now.
func (e *Engine) Transparency(ctx context.Context, id string, now time.Time) (TransparencyReport, error) {
	t, release, err := e.acquire(NameTransparency)
	if err != nil {
		return TransparencyReport{}, err
	}
	defer release()
	docs := map[string]*statsDoc{}
	if id != "" {
		s, ok, err := readDoc[statsDoc](ctx, e.reads, t, id, kindStats, "")
		if err != nil {
			return TransparencyReport{}, fmt.Errorf("projections: %w", err)
		}
		if !ok {
			return TransparencyReport{}, fmt.Errorf("%w: engagement %q", ErrNotFound, id)
		}
		docs[id] = &s
		return e.withGovernance(ctx, id, buildReport(id, docs, now))
	}
	rows, err := e.reads.QueryContext(ctx, fmt.Sprintf(`SELECT eng, data FROM %s WHERE kind = ?`, t), kindStats)
	if err != nil {
		return TransparencyReport{}, fmt.Errorf("projections: transparency: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			eng  string
			data []byte
		)
		if err := rows.Scan(&eng, &data); err != nil {
			return TransparencyReport{}, fmt.Errorf("projections: transparency: %w", err)
		}
		s := new(statsDoc)
		if err := json.Unmarshal(data, s); err != nil {
			return TransparencyReport{}, fmt.Errorf("projections: transparency: %w", err)
		}
		docs[eng] = s
	}
	if err := rows.Err(); err != nil {
		return TransparencyReport{}, fmt.Errorf("projections: transparency: %w", err)
	}
	return e.withGovernance(ctx, "", buildReport("", docs, now))
}

// FeedEvent is one event of an engagement's live feed, for Server-Sent
// Events: send Position as the SSE id, so that a client resuming with
// Last-Event-ID gets the events after it.
type FeedEvent struct {
	Position      eventstore.Position `json:"position"`
	Revision      uint64              `json:"revision"`
	ID            string              `json:"id"`
	Type          string              `json:"type"`
	ActorID       string              `json:"actor_id"`
	At            time.Time           `json:"at"`
	RecordedAt    time.Time           `json:"recorded_at"`
	CorrelationID string              `json:"correlation_id,omitempty"`
	Data          json.RawMessage     `json:"data"` // the event as stored
}

// ParseLastEventID reads an SSE Last-Event-ID header (a position); empty
// means from the start.
func ParseLastEventID(s string) (eventstore.Position, error) {
	if s == "" {
		return eventstore.Start, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: Last-Event-ID %q", ErrInvalidCursor, s)
	}
	return eventstore.Position(n), nil
}

// Feed follows one engagement's events with a position greater than after,
// first those stored then new ones, calling fn for each until ctx is done
// (it then returns nil) or fn fails. It reads the store directly (one
// subscription per caller), so it does not wait for the read models.
func (e *Engine) Feed(ctx context.Context, engagementID string, after eventstore.Position, fn func(FeedEvent) error) error {
	return Feed(ctx, e.store, engagementID, after, fn)
}

// Feed is Engine.Feed on any store.
func Feed(ctx context.Context, store eventstore.Store, engagementID string, after eventstore.Position, fn func(FeedEvent) error) error {
	stream := ledger.StreamName(engagementID)
	err := store.SubscribeAll(ctx, eventstore.SubscribeOptions{After: after, Filter: eventstore.Filter{StreamPrefixes: []string{stream}}},
		func(ctx context.Context, se eventstore.RecordedEvent) error {
			if se.Stream != stream { // a prefix filter also matches longer ids
				return nil
			}
			r, err := ledger.Decode(se)
			if err != nil {
				return fmt.Errorf("projections: feed: %w", err)
			}
			h := r.Event.Head()
			return fn(FeedEvent{Position: se.Position, Revision: se.Revision, ID: se.ID.String(), Type: se.Type,
				ActorID: h.ActorID, At: h.At, RecordedAt: se.RecordedAt.UTC(), CorrelationID: r.Meta.CorrelationID, Data: se.Data})
		})
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}
