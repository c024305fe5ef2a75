package projections

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/ledger"
)

// The transparency projection keeps, per engagement, only what the report
// needs (the open items with their start, the delays' lead times, ...);
// every time-relative figure is computed at query time from `now`.

type statsDoc struct {
	Title                string                   `json:"title"`
	Phase                domain.Phase             `json:"phase"`
	Delays               []statDelay              `json:"delays"`
	OpenAssumptions      map[string]statOpen      `json:"open_assumptions"`
	OpenQuestions        map[string]statOpen      `json:"open_questions"`
	LastClientInformedAt *time.Time               `json:"last_client_informed_at,omitempty"`
	Pending              map[string]statPending   `json:"pending"` // information with client recipients yet to acknowledge
	Decisions            int                      `json:"decisions"`
	WithoutClient        []statRef                `json:"without_client"`
	Features             map[string]statFeature   `json:"features"`
	People               map[string]statPerson    `json:"people"`
	Indicators           map[string]statIndicator `json:"indicators"`
	// The latest moment information is said to have reached the client
	// (claimed, or recorded when not claimed).
	LastClientInformedOccurredAt *time.Time `json:"last_client_informed_occurred_at,omitempty"`
	// Facts recorded with a claimed time, the largest gap (days) between
	// claim and record, and the facts recorded more than a day late.
	Claimed    int        `json:"claimed"`
	MaxGapDays *float64   `json:"max_gap_days,omitempty"`
	Late       []statLate `json:"late"`
}

// statLate is a fact recorded more than lateRecording after it is said to
// have happened.
type statLate struct {
	Revision   uint64    `json:"revision"`
	Type       string    `json:"type"`
	OccurredAt time.Time `json:"occurred_at"`
	RecordedAt time.Time `json:"recorded_at"`
	GapDays    float64   `json:"gap_days"`
}

type statDelay struct {
	ID          string    `json:"id"`
	MilestoneID string    `json:"milestone_id"`
	LeadDays    float64   `json:"lead_days"`
	DisclosedAt time.Time `json:"disclosed_at"`
	// ClaimedLeadDays is the lead time from the claimed disclosure, if any.
	ClaimedLeadDays *float64 `json:"claimed_lead_days,omitempty"`
}

type statOpen struct {
	Text          string    `json:"text"`
	RequirementID string    `json:"requirement_id,omitempty"`
	Since         time.Time `json:"since"`
}

type statPending struct {
	Subject    string    `json:"subject"`
	InformedAt time.Time `json:"informed_at"`
	Waiting    []string  `json:"waiting"`
}

type statRef struct {
	ID    string    `json:"id"`
	Title string    `json:"title"`
	At    time.Time `json:"at"`
}

type statFeature struct {
	Title     string        `json:"title"`
	Status    domain.Status `json:"status"`
	Delivered bool          `json:"delivered"`
}

type statPerson struct {
	Name     string       `json:"name" personal:"true"`
	Party    domain.Party `json:"party"`
	Late     bool         `json:"late"`
	Briefed  bool         `json:"briefed"`
	Left     bool         `json:"left"`
	JoinedAt time.Time    `json:"joined_at"`
	Informed bool         `json:"informed"` // a recipient of some information
}

type statIndicator struct {
	Name      string           `json:"name"`
	Target    float64          `json:"target"`
	Direction domain.Direction `json:"direction"`
	Latest    *Measurement     `json:"latest,omitempty"`
}

func applyTransparency(t *txn, r *ledger.Recorded) error {
	h := r.Event.Head()
	eng, at := h.EngagementID, h.At
	var s *statsDoc
	if ev, ok := r.Event.(*domain.EngagementOpened); ok {
		s = &statsDoc{Title: ev.Title, Phase: domain.PhaseEmergence}
	} else {
		var ok bool
		var err error
		if s, ok, err = load[statsDoc](t, kindStats, eng, ""); err != nil {
			return err
		} else if !ok {
			return unknown("engagement", eng)
		}
	}
	initMaps(s)
	claimed := !h.OccurredAt.IsZero()
	if claimed {
		s.Claimed++
		g := days(at.Sub(h.OccurredAt))
		if s.MaxGapDays == nil || g > *s.MaxGapDays {
			s.MaxGapDays = ptr(g)
		}
		if at.Sub(h.OccurredAt) > lateRecording {
			s.Late = append(s.Late, statLate{Revision: r.Revision, Type: r.Type, OccurredAt: h.OccurredAt, RecordedAt: at, GapDays: g})
		}
	}
	switch ev := r.Event.(type) {
	case *domain.PhaseAdvanced:
		s.Phase = ev.To
	case *domain.EngagementClosed:
		s.Phase = domain.PhaseClosed
	case *domain.StakeholderJoined:
		s.People[ev.StakeholderID] = statPerson{Name: ev.Name, Party: ev.Party, Late: ev.Late, JoinedAt: at}
	case *domain.StakeholderBriefed:
		p := s.People[ev.StakeholderID]
		p.Briefed = true
		s.People[ev.StakeholderID] = p
	case *domain.StakeholderLeft:
		p := s.People[ev.StakeholderID]
		p.Left = true
		s.People[ev.StakeholderID] = p
	case *domain.QuestionAsked:
		s.OpenQuestions[ev.QuestionID] = statOpen{Text: ev.Text, RequirementID: ev.RequirementID, Since: at}
	case *domain.RequirementClarified:
		delete(s.OpenQuestions, ev.QuestionID)
	case *domain.AssumptionMade:
		s.OpenAssumptions[ev.AssumptionID] = statOpen{Text: ev.Statement, RequirementID: ev.RequirementID, Since: at}
	case *domain.AssumptionValidated:
		delete(s.OpenAssumptions, ev.AssumptionID)
	case *domain.AssumptionRejected:
		delete(s.OpenAssumptions, ev.AssumptionID)
	case *domain.FeatureProposed:
		s.Features[ev.FeatureID] = statFeature{Title: ev.Title, Status: domain.StatusProposed}
	case *domain.FeatureAccepted:
		f := s.Features[ev.FeatureID]
		f.Status = domain.StatusAccepted
		s.Features[ev.FeatureID] = f
	case *domain.FeatureDeclined:
		f := s.Features[ev.FeatureID]
		f.Status = domain.StatusDeclined
		s.Features[ev.FeatureID] = f
	case *domain.DeliveryMade:
		for _, id := range ev.FeatureIDs {
			f := s.Features[id]
			f.Delivered = true
			s.Features[id] = f
		}
	case *domain.DelayDisclosed:
		d := statDelay{ID: ev.DelayID, MilestoneID: ev.MilestoneID, LeadDays: days(ev.LeadTime()), DisclosedAt: at}
		if claimed {
			d.ClaimedLeadDays = ptr(days(ev.PreviousDueDate.Sub(h.OccurredAt)))
		}
		s.Delays = append(s.Delays, d)
	case *domain.ClientInformed:
		s.LastClientInformedAt = ptr(at)
		if s.LastClientInformedOccurredAt == nil || h.Occurred().After(*s.LastClientInformedOccurredAt) {
			s.LastClientInformedOccurredAt = ptr(h.Occurred())
		}
		var waiting []string
		for _, id := range ev.Recipients {
			p := s.People[id]
			if p.Party == domain.PartyClient {
				waiting = append(waiting, id)
			}
			p.Informed = true
			s.People[id] = p
		}
		if len(waiting) > 0 {
			s.Pending[ev.InformationID] = statPending{Subject: ev.Subject, InformedAt: at, Waiting: waiting}
		}
	case *domain.InformationAcknowledged:
		p, ok := s.Pending[ev.InformationID]
		if ok {
			p.Waiting = slices.DeleteFunc(p.Waiting, func(id string) bool { return id == h.ActorID })
			if len(p.Waiting) == 0 {
				delete(s.Pending, ev.InformationID)
			} else {
				s.Pending[ev.InformationID] = p
			}
		}
	case *domain.DecisionMade:
		s.Decisions++
		if len(ev.ClientParticipants) == 0 {
			s.WithoutClient = append(s.WithoutClient, statRef{ID: ev.DecisionID, Title: ev.Title, At: at})
		}
	case *domain.IndicatorDefined:
		s.Indicators[ev.IndicatorID] = statIndicator{Name: ev.Name, Target: ev.Target, Direction: ev.Direction}
	case *domain.IndicatorMeasured:
		in := s.Indicators[ev.IndicatorID]
		if in.Latest == nil || !ev.MeasuredAt.Before(in.Latest.MeasuredAt) {
			in.Latest = &Measurement{ID: ev.MeasurementID, Value: ev.Value, MeasuredAt: ev.MeasuredAt, RecordedBy: h.ActorID}
		}
		s.Indicators[ev.IndicatorID] = in
	default:
		if _, ok := r.Event.(*domain.EngagementOpened); !ok && !claimed {
			return nil // nothing the report counts: no write
		}
	}
	t.put(kindStats, eng, "", seqOf(r), "", s)
	return nil
}

func initMaps(s *statsDoc) {
	if s.OpenAssumptions == nil {
		s.OpenAssumptions = map[string]statOpen{}
	}
	if s.OpenQuestions == nil {
		s.OpenQuestions = map[string]statOpen{}
	}
	if s.Pending == nil {
		s.Pending = map[string]statPending{}
	}
	if s.Features == nil {
		s.Features = map[string]statFeature{}
	}
	if s.People == nil {
		s.People = map[string]statPerson{}
	}
	if s.Indicators == nil {
		s.Indicators = map[string]statIndicator{}
	}
}

// TransparencyReport makes the anti-patterns visible as numbers, for one
// engagement or across all of them. Every *_days figure is relative to as_of.
type TransparencyReport struct {
	EngagementID string    `json:"engagement_id,omitempty"` // empty: across all engagements
	Engagements  int       `json:"engagements"`
	AsOf         time.Time `json:"as_of"`

	Delays struct {
		Count int `json:"count"`
		// MedianLeadTimeDays is the median disclosure lead time (due date
		// minus the moment Candor recorded the disclosure); null without
		// delays. DisclosedAfterDue counts the negative ones.
		MedianLeadTimeDays *float64 `json:"median_lead_time_days"`
		DisclosedAfterDue  int      `json:"disclosed_after_due"`
		// MedianClaimedLeadTimeDays is the same median with each delay's
		// claimed disclosure, where one was given: what the supplier says,
		// beside what the record shows.
		MedianClaimedLeadTimeDays *float64 `json:"median_claimed_lead_time_days"`
	} `json:"delays"`

	OpenAssumptions struct {
		Open int `json:"open"`
		// OlderThan7Days are the open assumptions made more than 7 days ago.
		OlderThan7Days []AgedItem `json:"older_than_7_days"`
	} `json:"open_assumptions"`

	OpenQuestions []AgedItem `json:"open_questions"` // every open question, oldest first

	// DaysSinceClientInformed: for one engagement, since Candor last
	// recorded a ClientInformed (null if never); across all, the largest
	// among the engagements not closed (null if none was ever informed).
	// DaysSinceClientInformedAsClaimed is the same from the latest moment
	// information is said to have reached the client.
	DaysSinceClientInformed          *float64 `json:"days_since_client_informed"`
	DaysSinceClientInformedAsClaimed *float64 `json:"days_since_client_informed_as_claimed"`
	// NeverInformed counts engagements, not people: the engagements (not
	// closed, for the report across all) in which no information ever
	// reached the client side; 0 or 1 for one engagement. The client-side
	// people never informed are UninformedStakeholders.
	NeverInformed int `json:"never_informed"`
	// UninformedStakeholders are the current client-side stakeholders
	// never named as a recipient of information (client.informed); being
	// briefed or taking part in a workshop or a decision does not count.
	UninformedStakeholders []UninformedStakeholder `json:"uninformed_stakeholders"`

	NotAcknowledged []PendingInformation `json:"not_acknowledged"`

	Decisions struct {
		Total         int       `json:"total"`
		WithoutClient []AgedRef `json:"without_client"`
	} `json:"decisions"`

	Features struct {
		Proposed int `json:"proposed"`
		Accepted int `json:"accepted"`
		// NeverAccepted: proposed features still proposed or declined.
		NeverAccepted int `json:"never_accepted"`
		// DeliveredNotAccepted: delivered although the client never accepted them.
		DeliveredNotAccepted []AgedRef `json:"delivered_not_accepted"`
	} `json:"features"`

	UnbriefedStakeholders []UnbriefedStakeholder `json:"unbriefed_stakeholders"`

	Indicators struct {
		Total      int       `json:"total"`
		OnTarget   int       `json:"on_target"`
		Unmeasured []AgedRef `json:"unmeasured"`
		OffTarget  []AgedRef `json:"off_target"`
	} `json:"indicators"`

	// LateRecording: the gap between when facts are said to have happened
	// and when Candor recorded them. Claimed counts the facts recorded with
	// a claimed time; MaxGapDays is the largest gap (null without claims);
	// LaterThan1Day lists the facts recorded more than a day after they
	// are said to have happened, the largest gap first.
	LateRecording struct {
		Claimed       int          `json:"claimed"`
		MaxGapDays    *float64     `json:"max_gap_days"`
		LaterThan1Day []LateRecord `json:"later_than_1_day"`
	} `json:"late_recording"`

	// Risks, dependencies and difficulties, from the RAID register (raid.go).
	GovernanceIndicators
}

// LateRecord is a fact recorded more than a day after it is said to have
// happened.
type LateRecord struct {
	EngagementID string    `json:"engagement_id"`
	Revision     uint64    `json:"revision"` // of the event, as on the timeline
	Type         string    `json:"type"`
	OccurredAt   time.Time `json:"occurred_at"`
	RecordedAt   time.Time `json:"recorded_at"`
	GapDays      float64   `json:"gap_days"`
}

// UninformedStakeholder is a current client-side stakeholder no
// information ever named as a recipient.
type UninformedStakeholder struct {
	EngagementID  string       `json:"engagement_id"`
	StakeholderID string       `json:"stakeholder_id"`
	Name          string       `json:"name" personal:"true"`
	Party         domain.Party `json:"party"`
	JoinedAt      time.Time    `json:"joined_at"`
	DaysSinceJoin float64      `json:"days_since_joined"`
}

// AgedItem is something open, and for how long.
type AgedItem struct {
	EngagementID  string    `json:"engagement_id"`
	ID            string    `json:"id"`
	Text          string    `json:"text"`
	RequirementID string    `json:"requirement_id,omitempty"`
	Since         time.Time `json:"since"`
	AgeDays       float64   `json:"age_days"`
}

// AgedRef names an item of an engagement.
type AgedRef struct {
	EngagementID string     `json:"engagement_id"`
	ID           string     `json:"id"`
	Title        string     `json:"title"`
	At           *time.Time `json:"at,omitempty"`
}

// PendingInformation is an information some client recipients have not
// acknowledged.
type PendingInformation struct {
	EngagementID string    `json:"engagement_id"`
	ID           string    `json:"id"`
	Subject      string    `json:"subject"`
	InformedAt   time.Time `json:"informed_at"`
	AgeDays      float64   `json:"age_days"`
	Waiting      []string  `json:"waiting"` // stakeholder ids
}

// UnbriefedStakeholder joined late and was never briefed.
type UnbriefedStakeholder struct {
	EngagementID  string       `json:"engagement_id"`
	StakeholderID string       `json:"stakeholder_id"`
	Name          string       `json:"name" personal:"true"`
	Party         domain.Party `json:"party"`
	JoinedAt      time.Time    `json:"joined_at"`
	DaysSinceJoin float64      `json:"days_since_joined"`
}

const (
	staleAssumption = 7 * 24 * time.Hour
	lateRecording   = 24 * time.Hour // a fact recorded later than this is listed
)

// buildReport computes the report from the engagements' stats documents
// (keyed by engagement id) at now.
func buildReport(id string, docs map[string]*statsDoc, now time.Time) TransparencyReport {
	now = now.UTC()
	rep := TransparencyReport{EngagementID: id, Engagements: len(docs), AsOf: now}
	rep.OpenQuestions = []AgedItem{}
	rep.OpenAssumptions.OlderThan7Days = []AgedItem{}
	rep.NotAcknowledged = []PendingInformation{}
	rep.Decisions.WithoutClient = []AgedRef{}
	rep.Features.DeliveredNotAccepted = []AgedRef{}
	rep.UnbriefedStakeholders = []UnbriefedStakeholder{}
	rep.Indicators.Unmeasured = []AgedRef{}
	rep.Indicators.OffTarget = []AgedRef{}
	rep.UninformedStakeholders = []UninformedStakeholder{}
	rep.LateRecording.LaterThan1Day = []LateRecord{}

	var leads, claimedLeads []float64
	engs := make([]string, 0, len(docs))
	for e := range docs {
		engs = append(engs, e)
	}
	sort.Strings(engs)
	for _, eng := range engs {
		s := docs[eng]
		for _, d := range s.Delays {
			leads = append(leads, d.LeadDays)
			if d.LeadDays < 0 {
				rep.Delays.DisclosedAfterDue++
			}
			claimedLeads = append(claimedLeads, d.LeadDays)
			if d.ClaimedLeadDays != nil {
				claimedLeads[len(claimedLeads)-1] = *d.ClaimedLeadDays
			}
		}
		for aid, a := range s.OpenAssumptions {
			rep.OpenAssumptions.Open++
			if now.Sub(a.Since) > staleAssumption {
				rep.OpenAssumptions.OlderThan7Days = append(rep.OpenAssumptions.OlderThan7Days, aged(eng, aid, a, now))
			}
		}
		for qid, q := range s.OpenQuestions {
			rep.OpenQuestions = append(rep.OpenQuestions, aged(eng, qid, q, now))
		}
		if s.Phase != domain.PhaseClosed || id != "" {
			if s.LastClientInformedAt == nil {
				rep.NeverInformed++
			} else if d := days(now.Sub(*s.LastClientInformedAt)); rep.DaysSinceClientInformed == nil || d > *rep.DaysSinceClientInformed {
				rep.DaysSinceClientInformed = &d
			}
			if last := s.LastClientInformedOccurredAt; last != nil {
				if d := days(now.Sub(*last)); rep.DaysSinceClientInformedAsClaimed == nil || d > *rep.DaysSinceClientInformedAsClaimed {
					rep.DaysSinceClientInformedAsClaimed = &d
				}
			}
		}
		rep.LateRecording.Claimed += s.Claimed
		if g := s.MaxGapDays; g != nil && (rep.LateRecording.MaxGapDays == nil || *g > *rep.LateRecording.MaxGapDays) {
			rep.LateRecording.MaxGapDays = ptr(*g)
		}
		for _, l := range s.Late {
			rep.LateRecording.LaterThan1Day = append(rep.LateRecording.LaterThan1Day, LateRecord{EngagementID: eng, Revision: l.Revision,
				Type: l.Type, OccurredAt: l.OccurredAt, RecordedAt: l.RecordedAt, GapDays: l.GapDays})
		}
		for iid, p := range s.Pending {
			rep.NotAcknowledged = append(rep.NotAcknowledged, PendingInformation{EngagementID: eng, ID: iid, Subject: p.Subject,
				InformedAt: p.InformedAt, AgeDays: days(now.Sub(p.InformedAt)), Waiting: p.Waiting})
		}
		rep.Decisions.Total += s.Decisions
		for _, d := range s.WithoutClient {
			rep.Decisions.WithoutClient = append(rep.Decisions.WithoutClient, AgedRef{EngagementID: eng, ID: d.ID, Title: d.Title, At: ptr(d.At)})
		}
		for fid, f := range s.Features {
			rep.Features.Proposed++
			if f.Status == domain.StatusAccepted {
				rep.Features.Accepted++
				continue
			}
			rep.Features.NeverAccepted++
			if f.Delivered {
				rep.Features.DeliveredNotAccepted = append(rep.Features.DeliveredNotAccepted, AgedRef{EngagementID: eng, ID: fid, Title: f.Title})
			}
		}
		for pid, p := range s.People {
			if p.Late && !p.Briefed && !p.Left {
				rep.UnbriefedStakeholders = append(rep.UnbriefedStakeholders, UnbriefedStakeholder{EngagementID: eng, StakeholderID: pid,
					Name: p.Name, Party: p.Party, JoinedAt: p.JoinedAt, DaysSinceJoin: days(now.Sub(p.JoinedAt))})
			}
			if p.Party == domain.PartyClient && !p.Informed && !p.Left {
				rep.UninformedStakeholders = append(rep.UninformedStakeholders, UninformedStakeholder{EngagementID: eng, StakeholderID: pid,
					Name: p.Name, Party: p.Party, JoinedAt: p.JoinedAt, DaysSinceJoin: days(now.Sub(p.JoinedAt))})
			}
		}
		for iid, in := range s.Indicators {
			rep.Indicators.Total++
			ref := AgedRef{EngagementID: eng, ID: iid, Title: in.Name}
			switch indicatorStatus(in.Direction, in.Target, in.Latest) {
			case IndicatorUnmeasured:
				rep.Indicators.Unmeasured = append(rep.Indicators.Unmeasured, ref)
			case IndicatorOffTarget:
				ref.At = ptr(in.Latest.MeasuredAt)
				rep.Indicators.OffTarget = append(rep.Indicators.OffTarget, ref)
			default:
				rep.Indicators.OnTarget++
			}
		}
	}
	rep.Delays.Count = len(leads)
	rep.Delays.MedianLeadTimeDays = median(leads)
	rep.Delays.MedianClaimedLeadTimeDays = median(claimedLeads)

	// Deterministic order: oldest first, then by engagement and id.
	byAge := func(a, b AgedItem) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(a.EngagementID+a.ID, b.EngagementID+b.ID)
	}
	slices.SortFunc(rep.OpenQuestions, byAge)
	slices.SortFunc(rep.OpenAssumptions.OlderThan7Days, byAge)
	slices.SortFunc(rep.NotAcknowledged, func(a, b PendingInformation) int {
		if c := a.InformedAt.Compare(b.InformedAt); c != 0 {
			return c
		}
		return strings.Compare(a.EngagementID+a.ID, b.EngagementID+b.ID)
	})
	byRef := func(a, b AgedRef) int { return strings.Compare(a.EngagementID+"/"+a.ID, b.EngagementID+"/"+b.ID) }
	slices.SortFunc(rep.Features.DeliveredNotAccepted, byRef)
	slices.SortFunc(rep.Indicators.Unmeasured, byRef)
	slices.SortFunc(rep.Indicators.OffTarget, byRef)
	slices.SortFunc(rep.UnbriefedStakeholders, func(a, b UnbriefedStakeholder) int {
		if c := a.JoinedAt.Compare(b.JoinedAt); c != 0 {
			return c
		}
		return strings.Compare(a.EngagementID+a.StakeholderID, b.EngagementID+b.StakeholderID)
	})
	slices.SortFunc(rep.UninformedStakeholders, func(a, b UninformedStakeholder) int {
		if c := a.JoinedAt.Compare(b.JoinedAt); c != 0 {
			return c
		}
		return strings.Compare(a.EngagementID+a.StakeholderID, b.EngagementID+b.StakeholderID)
	})
	slices.SortFunc(rep.LateRecording.LaterThan1Day, func(a, b LateRecord) int {
		switch {
		case a.GapDays > b.GapDays:
			return -1
		case a.GapDays < b.GapDays:
			return 1
		}
		if c := strings.Compare(a.EngagementID, b.EngagementID); c != 0 {
			return c
		}
		return cmp.Compare(a.Revision, b.Revision)
	})
	return rep
}

func aged(eng, id string, o statOpen, now time.Time) AgedItem {
	return AgedItem{EngagementID: eng, ID: id, Text: o.Text, RequirementID: o.RequirementID, Since: o.Since, AgeDays: days(now.Sub(o.Since))}
}

// median of xs (sorted in place); nil when empty.
func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	n := len(xs)
	m := xs[n/2]
	if n%2 == 0 {
		m = (xs[n/2-1] + xs[n/2]) / 2
	}
	return &m
}
