package projections

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/ledger"
)

// Projection names.
const (
	NameEngagements    = "engagements"
	NameTimeline       = "timeline"
	NameRequirements   = "requirements"
	NameDelays         = "delays"
	NameDecisions      = "decisions"
	NameCommunications = "communications"
	NameIndicators     = "indicators"
	NameStakeholders   = "stakeholders"
	NameKnowledge      = "knowledge"
	NameTransparency   = "transparency"
)

// definitions lists the projections. Bump a version when the projection's
// logic or document shape changes: a new generation is then built from zero
// while the old one serves.
//
// Version 2 of every projection: the claimed times (occurred_at) beside the
// recorded ones, the opener's name on the first timeline entry, late
// recording and never-informed stakeholders in the transparency report.
var definitions = []definition{
	{name: NameEngagements, version: 3, tagged: true, apply: applyEngagement}, // 3: deliveries delivered again await acceptance
	{name: NameTimeline, version: 2, cost: 6, apply: applyTimeline},
	{name: NameRequirements, version: 2, apply: applyRequirements},
	{name: NameDelays, version: 3, apply: applyDelays}, // 3: the dependency that caused a delay
	{name: NameDecisions, version: 2, apply: applyDecisions},
	{name: NameCommunications, version: 2, apply: applyCommunications},
	{name: NameIndicators, version: 2, apply: applyIndicators},
	{name: NameStakeholders, version: 2, apply: applyStakeholders},
	{name: NameKnowledge, version: 2, cost: 2, apply: applyKnowledge},
	{name: NameTransparency, version: 2, apply: applyTransparency},
	{name: NameRAID, version: 2, apply: applyRAID}, // 2: exceptions and cadences
}

// errUnknownRef: an event refers to something its read model never saw. The
// ledger validated the fact, so this is a bug (or a store out of order):
// the projection stops rather than acknowledge an event it cannot apply.
var errUnknownRef = errors.New("projections: event refers to an unknown item")

func unknown(kind, id string) error { return fmt.Errorf("%w: %s %q", errUnknownRef, kind, id) }

// Document kinds.
const (
	kindEngagement  = "engagement"
	kindPeople      = "people"
	kindChunk       = "chunk"
	kindRequirement = "requirement"
	kindAssumption  = "assumption"
	kindChange      = "change"
	kindFeature     = "feature"
	kindMilestone   = "milestone"
	kindDelay       = "delay"
	kindDecision    = "decision"
	kindInformation = "information"
	kindIndicator   = "indicator"
	kindStakeholder = "stakeholder"
	kindKnowledge   = "k"
	kindStats       = "stats"
)

func ptr[T any](v T) *T { return &v }

func seqOf(r *ledger.Recorded) int64 { return int64(r.Position) }

// ---- engagements -----------------------------------------------------------

func applyEngagement(t *txn, r *ledger.Recorded) error {
	h := r.Event.Head()
	eng := h.EngagementID
	var s *EngagementSummary
	if ev, ok := r.Event.(*domain.EngagementOpened); ok {
		s = &EngagementSummary{
			ID: eng, Title: ev.Title, Description: ev.Description, Phase: domain.PhaseEmergence,
			Parties: []PartyView{
				{Party: domain.PartyClient, Name: ev.ClientName},
				{Party: domain.PartySupplier, Name: ev.SupplierName},
			},
			OpenedAt: h.At, OpenedBy: h.ActorID,
		}
	} else {
		var ok bool
		var err error
		if s, ok, err = load[EngagementSummary](t, kindEngagement, eng, ""); err != nil {
			return err
		} else if !ok {
			return unknown("engagement", eng)
		}
	}
	c := &s.Counts
	c.Events++
	s.LastActivityAt, s.LastEventType, s.Revision, s.Position = h.At, r.Type, r.Revision, r.Position
	switch ev := r.Event.(type) {
	case *domain.PhaseAdvanced:
		s.Phase = ev.To
	case *domain.EngagementClosed:
		s.Phase, s.ClosedAt = domain.PhaseClosed, ptr(h.At)
	case *domain.PartyJoined:
		s.Parties = append(s.Parties, PartyView{Party: ev.Party, Name: ev.Name})
	case *domain.PerimeterDefined:
		for i := range s.Parties {
			if s.Parties[i].Party == ev.Party {
				s.Parties[i].Perimeter = &Perimeter{Description: ev.Description, Includes: ev.Includes, Excludes: ev.Excludes,
					DefinedAt: h.At, DefinedOccurredAt: h.Claimed()}
			}
		}
	case *domain.StakeholderJoined:
		c.Stakeholders++
	case *domain.StakeholderLeft:
		c.Stakeholders--
	case *domain.RequirementRaised, *domain.NeedRaisedAtDelivery:
		c.Requirements++
	case *domain.QuestionAsked:
		c.OpenQuestions++
	case *domain.RequirementClarified:
		if ev.QuestionID != "" {
			c.OpenQuestions--
		}
	case *domain.AssumptionMade:
		c.OpenAssumptions++
	case *domain.AssumptionValidated, *domain.AssumptionRejected:
		c.OpenAssumptions--
	case *domain.ChangeRequested:
		c.OpenChanges++
	case *domain.ChangeApproved, *domain.ChangeRejected:
		c.OpenChanges--
	case *domain.FeatureProposed:
		c.FeaturesProposed++
	case *domain.MilestonePlanned:
		c.Milestones++
	case *domain.DelayDisclosed:
		c.Delays++
	case *domain.DecisionMade:
		c.Decisions++
	case *domain.ClientInformed:
		c.Informations++
	case *domain.IndicatorDefined:
		c.Indicators++
	case *domain.DeliveryMade:
		c.Deliveries++
		c.DeliveriesAwaiting++
	case *domain.DeliveryAccepted, *domain.DeliveryRejected:
		c.DeliveriesAwaiting--
	case *domain.DeliveryRedelivered:
		c.DeliveriesAwaiting++
	}
	t.put(kindEngagement, eng, "", seqOf(r), string(s.Phase), s)
	return nil
}

// ---- people (names for other read models) ----------------------------------

type personDoc struct {
	Name  string       `json:"name" personal:"true"`
	Party domain.Party `json:"party"`
}

// trackPeople keeps, in the projection's own table, the names and parties of
// an engagement's stakeholders, and returns them.
func trackPeople(t *txn, r *ledger.Recorded) (map[string]personDoc, error) {
	eng := r.Event.Head().EngagementID
	p, err := loadOrNew[map[string]personDoc](t, kindPeople, eng, "")
	if err != nil {
		return nil, err
	}
	if *p == nil {
		*p = map[string]personDoc{}
	}
	if ev, ok := r.Event.(*domain.StakeholderJoined); ok {
		(*p)[ev.StakeholderID] = personDoc{Name: ev.Name, Party: ev.Party}
		t.put(kindPeople, eng, "", 0, "", p)
	}
	return *p, nil
}

func persons(people map[string]personDoc, ids []string) []Person {
	out := make([]Person, 0, len(ids))
	for _, id := range ids {
		p := people[id]
		out = append(out, Person{ID: id, Name: p.Name, Party: p.Party})
	}
	return out
}

// ---- timeline ---------------------------------------------------------------

// Timeline entries are stored in chunks of timelineChunk consecutive stream
// revisions: one row written per engagement and batch instead of one per event.
const timelineChunk = 64

func chunkID(rev uint64) string {
	// fmt.Sprintf("%010d", rev/timelineChunk), without fmt's cost
	var b [20]byte
	n := strconv.AppendUint(b[:0], rev/timelineChunk, 10)
	if len(n) >= 10 {
		return string(n)
	}
	return "0000000000"[len(n):] + string(n)
}

func applyTimeline(t *txn, r *ledger.Recorded) error {
	h := r.Event.Head()
	people, err := trackPeople(t, r)
	if err != nil {
		return err
	}
	id := chunkID(r.Revision)
	c, err := loadList(t, kindChunk, h.EngagementID, id)
	if err != nil {
		return err
	}
	actor := people[h.ActorID]
	if j, ok := r.Event.(*domain.StakeholderJoined); ok && r.Revision == 1 && j.StakeholderID == h.ActorID {
		// The opener joins in the event right after engagement.opened,
		// whose entry could not name them yet.
		if err := nameOpener(c, actor); err != nil {
			return err
		}
	}
	// The entry is only encoded: the txn's scratch one spares an
	// allocation per event.
	entry := &t.tlEntry
	*entry = TimelineEntry{
		Position: r.Position, Revision: r.Revision, EventID: r.ID.String(), Type: r.Type,
		ActorID: h.ActorID, ActorName: actor.Name, ActorParty: actor.Party,
		At: h.At, RecordedAt: r.RecordedAt.UTC(), Summary: summarize(r.Event, people),
		CorrelationID: r.Meta.CorrelationID, OccurredAt: h.Claimed(), RecordingGapDays: gap(h),
	}
	err = c.add(entry, timelineChunk)
	if err != nil {
		return err
	}
	t.put(kindChunk, h.EngagementID, id, int64(r.Revision/timelineChunk), "", c)
	return nil
}

// nameOpener puts the opener's name and party on the first entry of the
// timeline (engagement.opened, revision 0), the only one of the chunk so
// far. Once per engagement: the chunk is decoded and encoded again.
func nameOpener(c *rawList, opener personDoc) error {
	var entries []TimelineEntry
	if err := json.Unmarshal(c.bytes(), &entries); err != nil {
		return fmt.Errorf("projections: timeline chunk: %w", err)
	}
	if len(entries) != 1 || entries[0].Revision != 0 || entries[0].ActorName != "" {
		return nil
	}
	entries[0].ActorName, entries[0].ActorParty = opener.Name, opener.Party
	c.reset()
	return c.add(&entries[0], timelineChunk)
}

// gap is how long after it is said to have happened the fact was
// recorded, in days; nil without a claim.
func gap(h *domain.Header) *float64 {
	if h.OccurredAt.IsZero() {
		return nil
	}
	return ptr(days(h.At.Sub(h.OccurredAt)))
}

// ---- requirements board -----------------------------------------------------

func applyRequirements(t *txn, r *ledger.Recorded) error {
	h := r.Event.Head()
	eng, at, by, oc := h.EngagementID, h.At, h.ActorID, h.Claimed()
	req := func(id string) (*Requirement, error) {
		v, ok, err := load[Requirement](t, kindRequirement, eng, id)
		if err == nil && !ok {
			err = unknown("requirement", id)
		}
		return v, err
	}
	switch ev := r.Event.(type) {
	case *domain.RequirementRaised:
		t.put(kindRequirement, eng, ev.RequirementID, seqOf(r), "", &Requirement{
			ID: ev.RequirementID, Title: ev.Title, Description: ev.Description, Origin: "client", RaisedBy: by, RaisedAt: at, RaisedOccurredAt: oc})
	case *domain.NeedRaisedAtDelivery:
		t.put(kindRequirement, eng, ev.NeedID, seqOf(r), "", &Requirement{
			ID: ev.NeedID, Title: ev.Title, Description: ev.Description, Origin: "delivery", DeliveryID: ev.DeliveryID, RaisedBy: by, RaisedAt: at,
			RaisedOccurredAt: oc})
	case *domain.QuestionAsked:
		q, err := req(ev.RequirementID)
		if err != nil {
			return err
		}
		q.Questions = append(q.Questions, Question{ID: ev.QuestionID, Text: ev.Text, Status: domain.StatusOpen, AskedBy: by, AskedAt: at, AskedOccurredAt: oc})
		t.put(kindRequirement, eng, ev.RequirementID, 0, "", q)
	case *domain.RequirementClarified:
		q, err := req(ev.RequirementID)
		if err != nil {
			return err
		}
		q.Clarified = true
		q.Clarifications = append(q.Clarifications, Clarification{Text: ev.Clarification, QuestionID: ev.QuestionID,
			ClarifiedBy: by, ClarifiedAt: at, AnsweredBy: ev.AnsweredBy, QuotedAnswer: ev.Answer, ClarifiedOccurredAt: oc})
		if ev.QuestionID != "" {
			i := slices.IndexFunc(q.Questions, func(x Question) bool { return x.ID == ev.QuestionID })
			if i < 0 {
				return unknown("question", ev.QuestionID)
			}
			qq := &q.Questions[i]
			qq.Status, qq.Answer, qq.AnsweredAt, qq.AnsweredOccurredAt = domain.StatusAnswered, ev.Answer, ptr(at), oc
			qq.AnsweredBy = ev.AnsweredBy
			if qq.AnsweredBy == "" {
				qq.AnsweredBy = by
			}
			if qq.Answer == "" {
				qq.Answer = ev.Clarification
			}
		}
		t.put(kindRequirement, eng, ev.RequirementID, 0, "", q)
	case *domain.AssumptionMade:
		t.put(kindAssumption, eng, ev.AssumptionID, seqOf(r), "", &Assumption{ID: ev.AssumptionID, RequirementID: ev.RequirementID,
			Statement: ev.Statement, Status: domain.StatusOpen, MadeBy: by, MadeAt: at, MadeOccurredAt: oc})
	case *domain.AssumptionValidated:
		return resolveAssumption(t, eng, ev.AssumptionID, domain.StatusValidated, by, at, oc, ev.Comment)
	case *domain.AssumptionRejected:
		return resolveAssumption(t, eng, ev.AssumptionID, domain.StatusRejected, by, at, oc, ev.Reason)
	case *domain.ChangeRequested:
		t.put(kindChange, eng, ev.ChangeID, seqOf(r), "", &Change{ID: ev.ChangeID, RequirementID: ev.RequirementID,
			Description: ev.Description, Reason: ev.Reason, Status: domain.StatusOpen, RequestedBy: by, RequestedAt: at, RequestedOccurredAt: oc})
	case *domain.ChangeApproved:
		return decideChange(t, eng, ev.ChangeID, domain.StatusApproved, by, at, oc, ev.Comment)
	case *domain.ChangeRejected:
		return decideChange(t, eng, ev.ChangeID, domain.StatusRejected, by, at, oc, ev.Reason)
	case *domain.FeatureProposed:
		t.put(kindFeature, eng, ev.FeatureID, seqOf(r), "", &Feature{ID: ev.FeatureID, Title: ev.Title, Description: ev.Description,
			Status: domain.StatusProposed, ProposedBy: by, ProposedAt: at, ProposedOccurredAt: oc})
	case *domain.FeatureAccepted:
		return decideFeature(t, eng, ev.FeatureID, domain.StatusAccepted, by, at, oc)
	case *domain.FeatureDeclined:
		return decideFeature(t, eng, ev.FeatureID, domain.StatusDeclined, by, at, oc)
	case *domain.DeliveryMade:
		for _, id := range ev.RequirementIDs {
			q, err := req(id)
			if err != nil {
				return err
			}
			q.DeliveredIn = append(q.DeliveredIn, ev.DeliveryID)
			t.put(kindRequirement, eng, id, 0, "", q)
		}
		for _, id := range ev.FeatureIDs {
			f, ok, err := load[Feature](t, kindFeature, eng, id)
			if err != nil {
				return err
			}
			if !ok {
				return unknown("feature", id)
			}
			f.DeliveredIn = append(f.DeliveredIn, ev.DeliveryID)
			t.put(kindFeature, eng, id, 0, "", f)
		}
	}
	return nil
}

func resolveAssumption(t *txn, eng, id string, st domain.Status, by string, at time.Time, oc *time.Time, comment string) error {
	a, ok, err := load[Assumption](t, kindAssumption, eng, id)
	if err != nil {
		return err
	}
	if !ok {
		return unknown("assumption", id)
	}
	a.Status, a.ResolvedBy, a.ResolvedAt, a.ResolvedOccurredAt, a.Comment = st, by, ptr(at), oc, comment
	t.put(kindAssumption, eng, id, 0, "", a)
	return nil
}

func decideChange(t *txn, eng, id string, st domain.Status, by string, at time.Time, oc *time.Time, comment string) error {
	c, ok, err := load[Change](t, kindChange, eng, id)
	if err != nil {
		return err
	}
	if !ok {
		return unknown("change", id)
	}
	c.Status, c.DecidedBy, c.DecidedAt, c.DecidedOccurredAt, c.Comment = st, by, ptr(at), oc, comment
	t.put(kindChange, eng, id, 0, "", c)
	return nil
}

func decideFeature(t *txn, eng, id string, st domain.Status, by string, at time.Time, oc *time.Time) error {
	f, ok, err := load[Feature](t, kindFeature, eng, id)
	if err != nil {
		return err
	}
	if !ok {
		return unknown("feature", id)
	}
	f.Status, f.DecidedBy, f.DecidedAt, f.DecidedOccurredAt = st, by, ptr(at), oc
	t.put(kindFeature, eng, id, 0, "", f)
	return nil
}

// ---- delays -----------------------------------------------------------------

func days(d time.Duration) float64 { return d.Hours() / 24 }

func applyDelays(t *txn, r *ledger.Recorded) error {
	h := r.Event.Head()
	eng := h.EngagementID
	switch ev := r.Event.(type) {
	case *domain.MilestonePlanned:
		t.put(kindMilestone, eng, ev.MilestoneID, seqOf(r), "", &Milestone{ID: ev.MilestoneID, Title: ev.Title,
			OriginalDueDate: ev.DueDate, DueDate: ev.DueDate, PlannedBy: h.ActorID, PlannedAt: h.At, PlannedOccurredAt: h.Claimed()})
	case *domain.DelayDisclosed:
		m, ok, err := load[Milestone](t, kindMilestone, eng, ev.MilestoneID)
		if err != nil {
			return err
		}
		if !ok {
			return unknown("milestone", ev.MilestoneID)
		}
		lead := ev.LeadTime() // from the recorded disclosure: a claim does not make it early
		d := &Delay{ID: ev.DelayID, MilestoneID: m.ID, MilestoneTitle: m.Title,
			OriginalDueDate: m.OriginalDueDate, PreviousDueDate: ev.PreviousDueDate, NewDueDate: ev.NewDueDate, Reason: ev.Reason,
			DisclosedBy: h.ActorID, DisclosedAt: h.At, LeadTimeDays: days(lead), DisclosedAfterDue: lead < 0,
			DisclosedOccurredAt: h.Claimed(), RecordingGapDays: gap(h),
			DependencyID: ev.DependencyID, DependencyLate: ev.DependencyLate, DependencyParty: ev.DependencyParty}
		if d.DisclosedOccurredAt != nil {
			d.ClaimedLeadTimeDays = ptr(days(ev.PreviousDueDate.Sub(h.OccurredAt)))
		}
		t.put(kindDelay, eng, ev.DelayID, seqOf(r), "", d)
		m.DueDate = ev.NewDueDate
		m.Delays++
		t.put(kindMilestone, eng, m.ID, 0, "", m)
	}
	return nil
}

// ---- decisions --------------------------------------------------------------

func applyDecisions(t *txn, r *ledger.Recorded) error {
	people, err := trackPeople(t, r)
	if err != nil {
		return err
	}
	if ev, ok := r.Event.(*domain.DecisionMade); ok {
		h := r.Event.Head()
		t.put(kindDecision, h.EngagementID, ev.DecisionID, seqOf(r), "", &Decision{ID: ev.DecisionID, Title: ev.Title, Kind: ev.Kind,
			Options: ev.Options, Chosen: ev.Chosen, Rationale: ev.Rationale,
			Participants: persons(people, ev.Participants), ClientParticipants: persons(people, ev.ClientParticipants),
			WithoutClient: len(ev.ClientParticipants) == 0, About: ev.About, DecidedBy: h.ActorID, DecidedAt: h.At, DecidedOccurredAt: h.Claimed()})
	}
	return nil
}

// ---- communications ---------------------------------------------------------

func applyCommunications(t *txn, r *ledger.Recorded) error {
	people, err := trackPeople(t, r)
	if err != nil {
		return err
	}
	h := r.Event.Head()
	switch ev := r.Event.(type) {
	case *domain.ClientInformed:
		in := &Information{ID: ev.InformationID, Subject: ev.Subject, Summary: ev.Summary, Channel: ev.Channel, About: ev.About,
			InformedBy: h.ActorID, InformedAt: h.At, InformedOccurredAt: h.Claimed(), RecordingGapDays: gap(h)}
		for _, p := range persons(people, ev.Recipients) {
			in.Recipients = append(in.Recipients, Recipient{Person: p})
		}
		t.put(kindInformation, h.EngagementID, ev.InformationID, seqOf(r), "", in)
	case *domain.InformationAcknowledged:
		in, ok, err := load[Information](t, kindInformation, h.EngagementID, ev.InformationID)
		if err != nil {
			return err
		}
		if !ok {
			return unknown("information", ev.InformationID)
		}
		i := slices.IndexFunc(in.Recipients, func(x Recipient) bool { return x.ID == h.ActorID })
		if i < 0 {
			return unknown("recipient", h.ActorID)
		}
		in.Recipients[i].AcknowledgedAt, in.Recipients[i].AcknowledgedOccurredAt = ptr(h.At), h.Claimed()
		t.put(kindInformation, h.EngagementID, ev.InformationID, 0, "", in)
	}
	return nil
}

// ---- indicators -------------------------------------------------------------

func indicatorStatus(dir domain.Direction, target float64, latest *Measurement) string {
	switch {
	case latest == nil:
		return IndicatorUnmeasured
	case dir == domain.AtMost && latest.Value <= target, dir != domain.AtMost && latest.Value >= target:
		return IndicatorOnTarget
	default:
		return IndicatorOffTarget
	}
}

func applyIndicators(t *txn, r *ledger.Recorded) error {
	h := r.Event.Head()
	switch ev := r.Event.(type) {
	case *domain.IndicatorDefined:
		t.put(kindIndicator, h.EngagementID, ev.IndicatorID, seqOf(r), "", &Indicator{ID: ev.IndicatorID, Name: ev.Name, Unit: ev.Unit,
			Target: ev.Target, Direction: ev.Direction, WorkshopID: ev.WorkshopID, DefinedBy: h.ActorID, DefinedAt: h.At,
			Measurements: []Measurement{}, Status: IndicatorUnmeasured, DefinedOccurredAt: h.Claimed()})
	case *domain.IndicatorMeasured:
		in, ok, err := load[Indicator](t, kindIndicator, h.EngagementID, ev.IndicatorID)
		if err != nil {
			return err
		}
		if !ok {
			return unknown("indicator", ev.IndicatorID)
		}
		m := Measurement{ID: ev.MeasurementID, Value: ev.Value, MeasuredAt: ev.MeasuredAt, Note: ev.Note, RecordedBy: h.ActorID, RecordedAt: h.At}
		in.Measurements = append(in.Measurements, m)
		// A measurement of an earlier moment, recorded late, does not
		// replace a more recent one.
		if in.Latest == nil || !m.MeasuredAt.Before(in.Latest.MeasuredAt) {
			in.Latest = &m
		}
		in.Status = indicatorStatus(in.Direction, in.Target, in.Latest)
		t.put(kindIndicator, h.EngagementID, ev.IndicatorID, 0, "", in)
	}
	return nil
}

// ---- stakeholders -----------------------------------------------------------

func applyStakeholders(t *txn, r *ledger.Recorded) error {
	h := r.Event.Head()
	eng := h.EngagementID
	get := func(id string) (*Stakeholder, error) {
		s, ok, err := load[Stakeholder](t, kindStakeholder, eng, id)
		if err == nil && !ok {
			err = unknown("stakeholder", id)
		}
		return s, err
	}
	switch ev := r.Event.(type) {
	case *domain.StakeholderJoined:
		t.put(kindStakeholder, eng, ev.StakeholderID, seqOf(r), "", &Stakeholder{ID: ev.StakeholderID, Party: ev.Party, Name: ev.Name,
			Email: ev.Email, Role: ev.Role, PrincipalID: ev.PrincipalID, JoinedAt: h.At, Late: ev.Late, NeverBriefed: ev.Late,
			JoinedOccurredAt: h.Claimed()})
	case *domain.StakeholderBriefed:
		s, err := get(ev.StakeholderID)
		if err != nil {
			return err
		}
		s.BriefedAt, s.BriefedBy, s.BriefingSummary, s.NeverBriefed = ptr(h.At), h.ActorID, ev.Summary, false
		s.BriefedOccurredAt = h.Claimed()
		t.put(kindStakeholder, eng, s.ID, 0, "", s)
	case *domain.StakeholderLeft:
		s, err := get(ev.StakeholderID)
		if err != nil {
			return err
		}
		s.LeftAt, s.LeftOccurredAt = ptr(h.At), h.Claimed()
		t.put(kindStakeholder, eng, s.ID, 0, "", s)
	}
	return nil
}

// ---- knowledge --------------------------------------------------------------

type infoDoc struct {
	Subject string         `json:"subject"`
	Channel domain.Channel `json:"channel"`
}

// Knowledge items are stored per stakeholder in chunks that follow the
// stream's revisions (id "<stakeholder>/<chunk>"), like the timeline.
func knowledgeID(stakeholder string, rev uint64) string { return stakeholder + "/" + chunkID(rev) }

// knowledgeRoom is how many items a new knowledge chunk makes room for: a
// stakeholder learns of a fraction of the events of a timeline chunk.
const knowledgeRoom = 16

func applyKnowledge(t *txn, r *ledger.Recorded) error {
	h := r.Event.Head()
	eng := h.EngagementID
	add := func(who string, it KnowledgeItem) error {
		id := knowledgeID(who, r.Revision)
		c, err := loadList(t, kindKnowledge, eng, id)
		if err != nil {
			return err
		}
		it.Position, it.At, it.Type, it.By, it.OccurredAt = r.Position, h.At, r.Type, h.ActorID, h.Claimed()
		t.kItem = it // only encoded: the txn's scratch item spares an allocation
		if err := c.add(&t.kItem, knowledgeRoom); err != nil {
			return err
		}
		t.put(kindKnowledge, eng, id, seqOf(r), "", c)
		return nil
	}
	each := func(ids []string, it KnowledgeItem) error {
		for _, id := range ids {
			if err := add(id, it); err != nil {
				return err
			}
		}
		return nil
	}
	switch ev := r.Event.(type) {
	case *domain.ClientInformed:
		t.put(kindInformation, eng, ev.InformationID, seqOf(r), "", &infoDoc{Subject: ev.Subject, Channel: ev.Channel})
		return each(ev.Recipients, KnowledgeItem{Kind: KnowInformed, RefID: ev.InformationID, Subject: ev.Subject, Channel: ev.Channel, About: ev.About})
	case *domain.InformationAcknowledged:
		in, ok, err := load[infoDoc](t, kindInformation, eng, ev.InformationID)
		if err != nil {
			return err
		}
		if !ok {
			return unknown("information", ev.InformationID)
		}
		return add(h.ActorID, KnowledgeItem{Kind: KnowAcknowledged, RefID: ev.InformationID, Subject: in.Subject, Channel: in.Channel})
	case *domain.DecisionMade:
		return each(ev.Participants, KnowledgeItem{Kind: KnowDecision, RefID: ev.DecisionID, Subject: ev.Title + ": " + ev.Chosen, About: ev.About})
	case *domain.WorkshopHeld:
		return each(ev.Participants, KnowledgeItem{Kind: KnowWorkshop, RefID: ev.WorkshopID, Subject: ev.Notes})
	case *domain.StakeholderBriefed:
		if err := add(ev.StakeholderID, KnowledgeItem{Kind: KnowBriefed, RefID: h.ActorID, Subject: ev.Summary}); err != nil {
			return err
		}
		return add(h.ActorID, KnowledgeItem{Kind: KnowBriefingGiven, RefID: ev.StakeholderID, Subject: ev.Summary})
	case *domain.AgreementSigned:
		return each(ev.Signatories, KnowledgeItem{Kind: KnowSigned, RefID: ev.AgreementID, Subject: ev.Reference})
	}
	return nil
}
