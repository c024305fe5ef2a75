package domain

import (
	"slices"
	"time"
)

// Engagement is the current state of one engagement, rebuilt by folding its
// events (Fold, Evolve). Collections keep insertion order. Accessors return
// pointers into the state: readers must not modify them, and a caller that
// keeps a state while others read it hands out Clone()s.
type Engagement struct {
	ID           string        `json:"id"`
	Title        string        `json:"title"`
	Description  string        `json:"description,omitempty"`
	Phase        Phase         `json:"phase"`
	OpenedAt     time.Time     `json:"opened_at"`
	ClosedAt     time.Time     `json:"closed_at,omitzero"`
	Summary      string        `json:"summary,omitempty"` // given when closing
	UpdatedAt    time.Time     `json:"updated_at"`        // time of the last event
	Version      int           `json:"version"`           // number of events folded
	PhaseHistory []PhaseChange `json:"phase_history"`
	// RetentionDays is the retention period set at closing (0: none).
	RetentionDays int64 `json:"retention_days,omitempty"`

	ClientInDiscussion bool       `json:"client_in_discussion"`
	Agreement          *Agreement `json:"agreement,omitempty"`

	Parties      []*PartyInfo     `json:"parties"`
	Stakeholders []*Stakeholder   `json:"stakeholders"`
	Experts      []*Expert        `json:"experts"`
	Workshops    []*Workshop      `json:"workshops"`
	Indicators   []*Indicator     `json:"indicators"`
	Requirements []*Requirement   `json:"requirements"`
	Questions    []*Question      `json:"questions"`
	Assumptions  []*Assumption    `json:"assumptions"`
	Changes      []*ChangeRequest `json:"changes"`
	Features     []*Feature       `json:"features"`
	Milestones   []*Milestone     `json:"milestones"`
	Difficulties []*Difficulty    `json:"difficulties"`
	Delays       []*Delay         `json:"delays"`
	CostImpacts  []*CostImpact    `json:"cost_impacts"`
	SkillsGaps   []*SkillsGap     `json:"skills_gaps"`
	Informed     []*Information   `json:"information"` // what reached the client, in order
	Decisions    []*Decision      `json:"decisions"`
	Deliveries   []*Delivery      `json:"deliveries"`
	Lessons      []*Lesson        `json:"lessons"`

	// Governance: risks, dependencies (governance.go).
	Governance

	// ids maps every id created in the engagement (of any kind) to its kind
	// ("stakeholder", "requirement", ...): ids are unique across kinds.
	ids map[string]string
	// happened maps every id to when the fact that created it happened
	// (claimed, or recorded when no claim was made): a claim may not be
	// earlier than what the fact names.
	happened map[string]time.Time
	// Per-kind indexes into the slices above.
	stakeholders map[string]*Stakeholder
	experts      map[string]*Expert
	workshops    map[string]*Workshop
	indicators   map[string]*Indicator
	requirements map[string]*Requirement
	questions    map[string]*Question
	assumptions  map[string]*Assumption
	changes      map[string]*ChangeRequest
	features     map[string]*Feature
	milestones   map[string]*Milestone
	difficulties map[string]*Difficulty
	delays       map[string]*Delay
	information  map[string]*Information
	decisions    map[string]*Decision
	deliveries   map[string]*Delivery
}

// PhaseChange is one step of the engagement's life.
type PhaseChange struct {
	Phase Phase     `json:"phase"`
	At    time.Time `json:"at"`
}

// Agreement is the signed contract paperwork.
type Agreement struct {
	ID          string    `json:"id"`
	Reference   string    `json:"reference,omitempty"`
	Signatories []string  `json:"signatories"`
	SignedAt    time.Time `json:"signed_at"`
	// SignedOccurredAt is when it is said to have been signed, if claimed.
	SignedOccurredAt time.Time `json:"signed_occurred_at,omitzero"`
}

// PartyInfo is one side of the engagement and its perimeter.
type PartyInfo struct {
	Party     Party      `json:"party"`
	Name      string     `json:"name"`
	JoinedAt  time.Time  `json:"joined_at"`
	Perimeter *Perimeter `json:"perimeter,omitempty"`
	// JoinedOccurredAt is when the party is said to have joined, if claimed.
	JoinedOccurredAt time.Time `json:"joined_occurred_at,omitzero"`
}

// Perimeter is what a party is responsible for.
type Perimeter struct {
	Description string    `json:"description"`
	Includes    []string  `json:"includes,omitempty"`
	Excludes    []string  `json:"excludes,omitempty"`
	DefinedBy   string    `json:"defined_by"`
	DefinedAt   time.Time `json:"defined_at"`
	// DefinedOccurredAt is when it is said to have been defined, if claimed.
	DefinedOccurredAt time.Time `json:"defined_occurred_at,omitzero"`
}

// Stakeholder is a person on one party's side.
type Stakeholder struct {
	ID          string    `json:"id"`
	Party       Party     `json:"party"`
	Name        string    `json:"name" personal:"true"`
	Email       string    `json:"email,omitempty" personal:"true"`
	Role        string    `json:"role,omitempty"`
	PrincipalID string    `json:"principal_id,omitempty"`
	JoinedAt    time.Time `json:"joined_at"`
	Late        bool      `json:"late"`    // joined after emergence
	Briefed     bool      `json:"briefed"` // always true when not late
	BriefedBy   string    `json:"briefed_by,omitempty"`
	BriefedAt   time.Time `json:"briefed_at,omitzero"`
	Left        bool      `json:"left"`
	LeftAt      time.Time `json:"left_at,omitzero"`
	// The *OccurredAt fields are the claimed moments of joining, being
	// briefed and leaving, when the command gave one (see Claim); the
	// *At fields beside them are when Candor recorded those facts.
	JoinedOccurredAt  time.Time `json:"joined_occurred_at,omitzero"`
	BriefedOccurredAt time.Time `json:"briefed_occurred_at,omitzero"`
	LeftOccurredAt    time.Time `json:"left_occurred_at,omitzero"`
}

// ClientSide reports whether the stakeholder is on the client's side.
func (s *Stakeholder) ClientSide() bool { return s.Party == PartyClient }

// Expert is a person invited to the opportunity during emergence.
type Expert struct {
	ID        string    `json:"id"`
	Name      string    `json:"name" personal:"true"`
	Email     string    `json:"email,omitempty" personal:"true"`
	Expertise string    `json:"expertise,omitempty"`
	Status    Status    `json:"status"` // invited, committed, withdrawn
	InvitedBy string    `json:"invited_by"`
	InvitedAt time.Time `json:"invited_at"`
	ChangedAt time.Time `json:"changed_at"`
	Reason    string    `json:"reason,omitempty"` // of the withdrawal
	// Claimed moments of the invitation and of the last change, if given.
	InvitedOccurredAt time.Time `json:"invited_occurred_at,omitzero"`
	ChangedOccurredAt time.Time `json:"changed_occurred_at,omitzero"`
}

// Workshop is a scoping workshop that took place.
type Workshop struct {
	ID           string    `json:"id"`
	HeldAt       time.Time `json:"held_at"`
	Participants []string  `json:"participants"`
	Notes        string    `json:"notes,omitempty"`
	RecordedBy   string    `json:"recorded_by"`
	// RecordedAt is when Candor recorded the workshop; HeldAt is when it
	// took place (the command's claim, or RecordedAt when none was given).
	RecordedAt time.Time `json:"recorded_at"`
}

// Indicator is a success indicator and its measurements, oldest first.
type Indicator struct {
	ID           string        `json:"id"`
	WorkshopID   string        `json:"workshop_id,omitempty"`
	Name         string        `json:"name"`
	Unit         string        `json:"unit,omitempty"`
	Target       float64       `json:"target"`
	Direction    Direction     `json:"direction"`
	DefinedBy    string        `json:"defined_by"`
	DefinedAt    time.Time     `json:"defined_at"`
	Measurements []Measurement `json:"measurements"`
	// DefinedOccurredAt is when it is said to have been defined, if claimed.
	DefinedOccurredAt time.Time `json:"defined_occurred_at,omitzero"`
}

// OnTarget reports whether v is on the indicator's side of its target.
func (i *Indicator) OnTarget(v float64) bool {
	if i.Direction == AtMost {
		return v <= i.Target
	}
	return v >= i.Target
}

// Measurement is one value of an indicator.
type Measurement struct {
	ID         string    `json:"id"`
	Value      float64   `json:"value"`
	MeasuredAt time.Time `json:"measured_at"`
	Note       string    `json:"note,omitempty"`
	By         string    `json:"by"`
	// RecordedAt is when Candor recorded it; MeasuredAt is the moment
	// measured (the command's claim, or RecordedAt when none was given).
	RecordedAt time.Time `json:"recorded_at"`
}

// Requirement origins.
const (
	OriginRaised   = "raised"   // RequirementRaised
	OriginDelivery = "delivery" // NeedRaisedAtDelivery
)

// Requirement is something the client needs, with its clarifications.
type Requirement struct {
	ID             string          `json:"id"`
	Title          string          `json:"title"`
	Description    string          `json:"description,omitempty"`
	Origin         string          `json:"origin"`
	DeliveryID     string          `json:"delivery_id,omitempty"` // when raised at a delivery
	RaisedBy       string          `json:"raised_by"`
	RaisedAt       time.Time       `json:"raised_at"`
	Clarifications []Clarification `json:"clarifications"`
	// RaisedOccurredAt is when it is said to have been raised, if claimed.
	RaisedOccurredAt time.Time `json:"raised_occurred_at,omitzero"`
}

// Clarification settles part of a requirement's meaning.
type Clarification struct {
	Text       string    `json:"text"`
	QuestionID string    `json:"question_id,omitempty"`
	Answer     string    `json:"answer,omitempty"`
	AnsweredBy string    `json:"answered_by,omitempty"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
	// OccurredAt is when it is said to have been clarified, if claimed.
	OccurredAt time.Time `json:"occurred_at,omitzero"`
}

// Question is the supplier questioning a requirement.
type Question struct {
	ID            string    `json:"id"`
	RequirementID string    `json:"requirement_id"`
	Text          string    `json:"text"`
	Status        Status    `json:"status"` // open, answered
	AskedBy       string    `json:"asked_by"`
	AskedAt       time.Time `json:"asked_at"`
	Answer        string    `json:"answer,omitempty"`
	AnsweredBy    string    `json:"answered_by,omitempty"`
	AnsweredAt    time.Time `json:"answered_at,omitzero"`
	// Claimed moments of the question and of its answer, if given.
	AskedOccurredAt    time.Time `json:"asked_occurred_at,omitzero"`
	AnsweredOccurredAt time.Time `json:"answered_occurred_at,omitzero"`
}

// Assumption is an interpretation the supplier made without the client.
type Assumption struct {
	ID            string    `json:"id"`
	RequirementID string    `json:"requirement_id,omitempty"`
	Statement     string    `json:"statement"`
	Status        Status    `json:"status"` // open, validated, rejected
	MadeBy        string    `json:"made_by"`
	MadeAt        time.Time `json:"made_at"`
	ResolvedBy    string    `json:"resolved_by,omitempty"`
	ResolvedAt    time.Time `json:"resolved_at,omitzero"`
	Comment       string    `json:"comment,omitempty"`
	// Claimed moments of the assumption and of its resolution, if given.
	MadeOccurredAt     time.Time `json:"made_occurred_at,omitzero"`
	ResolvedOccurredAt time.Time `json:"resolved_occurred_at,omitzero"`
}

// ChangeRequest is a requested change to what was agreed.
type ChangeRequest struct {
	ID            string    `json:"id"`
	RequirementID string    `json:"requirement_id,omitempty"`
	Description   string    `json:"description"`
	Reason        string    `json:"reason,omitempty"`
	Status        Status    `json:"status"` // open, approved, rejected
	RequestedBy   string    `json:"requested_by"`
	RequestedAt   time.Time `json:"requested_at"`
	ResolvedBy    string    `json:"resolved_by,omitempty"`
	ResolvedAt    time.Time `json:"resolved_at,omitzero"`
	Comment       string    `json:"comment,omitempty"`
	// Claimed moments of the request and of its resolution, if given.
	RequestedOccurredAt time.Time `json:"requested_occurred_at,omitzero"`
	ResolvedOccurredAt  time.Time `json:"resolved_occurred_at,omitzero"`
	// Impact is the latest assessment (changes.go): schedule and cost, and
	// who must approve it by when.
	Impact *ChangeImpact `json:"impact,omitempty"`
}

// Feature is something the supplier proposed that the client never asked
// for. It counts only once Status is accepted.
type Feature struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Status      Status    `json:"status"` // proposed, accepted, declined
	ProposedBy  string    `json:"proposed_by"`
	ProposedAt  time.Time `json:"proposed_at"`
	ResolvedBy  string    `json:"resolved_by,omitempty"`
	ResolvedAt  time.Time `json:"resolved_at,omitzero"`
	Comment     string    `json:"comment,omitempty"`
	// Claimed moments of the proposal and of its resolution, if given.
	ProposedOccurredAt time.Time `json:"proposed_occurred_at,omitzero"`
	ResolvedOccurredAt time.Time `json:"resolved_occurred_at,omitzero"`
}

// Milestone is a dated commitment. DueDate moves with each disclosed delay;
// OriginalDueDate does not.
type Milestone struct {
	ID              string    `json:"id"`
	Title           string    `json:"title"`
	DueDate         time.Time `json:"due_date"`
	OriginalDueDate time.Time `json:"original_due_date"`
	PlannedBy       string    `json:"planned_by"`
	PlannedAt       time.Time `json:"planned_at"`
	DelayIDs        []string  `json:"delay_ids"`
	// PlannedOccurredAt is when it is said to have been planned, if claimed.
	PlannedOccurredAt time.Time `json:"planned_occurred_at,omitzero"`
}

// Difficulty is a problem the supplier side reported.
type Difficulty struct {
	ID          string    `json:"id"`
	MilestoneID string    `json:"milestone_id,omitempty"`
	Description string    `json:"description"`
	ReportedBy  string    `json:"reported_by"`
	ReportedAt  time.Time `json:"reported_at"`
	// ReportedOccurredAt is when it is said to have been reported, if claimed.
	ReportedOccurredAt time.Time `json:"reported_occurred_at,omitzero"`
	// The issue lifecycle (issues.go): open until resolved, with an owner
	// and a severity once assigned; RiskID when a risk became it.
	Status             Status    `json:"status"` // open, resolved
	OwnerID            string    `json:"owner_id,omitempty"`
	Severity           Severity  `json:"severity,omitempty"`
	AssignedAt         time.Time `json:"assigned_at,omitzero"`
	Resolution         string    `json:"resolution,omitempty"`
	ResolvedBy         string    `json:"resolved_by,omitempty"`
	ResolvedAt         time.Time `json:"resolved_at,omitzero"`
	ResolvedOccurredAt time.Time `json:"resolved_occurred_at,omitzero"`
	RiskID             string    `json:"risk_id,omitempty"`
}

// Delay is a disclosed delay of a milestone.
type Delay struct {
	ID              string    `json:"id"`
	MilestoneID     string    `json:"milestone_id"`
	PreviousDueDate time.Time `json:"previous_due_date"`
	NewDueDate      time.Time `json:"new_due_date"`
	Reason          string    `json:"reason"`
	DisclosedBy     string    `json:"disclosed_by"`
	DisclosedAt     time.Time `json:"disclosed_at"`
	// DisclosedOccurredAt is when it is said to have been disclosed, if
	// claimed. The lead time is measured from DisclosedAt all the same.
	DisclosedOccurredAt time.Time `json:"disclosed_occurred_at,omitzero"`
	// The dependency said to have caused it, whether it was late then,
	// and whose it was.
	DependencyID    string `json:"dependency_id,omitempty"`
	DependencyLate  bool   `json:"dependency_late,omitempty"`
	DependencyParty Party  `json:"dependency_party,omitempty"`
}

// LeadTime is PreviousDueDate - DisclosedAt; negative means late disclosure.
func (d *Delay) LeadTime() time.Duration { return d.PreviousDueDate.Sub(d.DisclosedAt) }

// CostImpact is a disclosed cost, in minor units of Currency.
type CostImpact struct {
	ID           string    `json:"id"`
	DifficultyID string    `json:"difficulty_id,omitempty"`
	Amount       int64     `json:"amount"`
	Currency     string    `json:"currency"`
	Reason       string    `json:"reason"`
	DisclosedBy  string    `json:"disclosed_by"`
	DisclosedAt  time.Time `json:"disclosed_at"`
	// DisclosedOccurredAt is when it is said to have been disclosed, if claimed.
	DisclosedOccurredAt time.Time `json:"disclosed_occurred_at,omitzero"`
}

// SkillsGap is a disclosed missing skill.
type SkillsGap struct {
	ID           string    `json:"id"`
	DifficultyID string    `json:"difficulty_id,omitempty"`
	Skill        string    `json:"skill"`
	Mitigation   string    `json:"mitigation,omitempty"`
	DisclosedBy  string    `json:"disclosed_by"`
	DisclosedAt  time.Time `json:"disclosed_at"`
	// DisclosedOccurredAt is when it is said to have been disclosed, if claimed.
	DisclosedOccurredAt time.Time `json:"disclosed_occurred_at,omitzero"`
}

// Information is a message that reached named stakeholders.
type Information struct {
	ID               string            `json:"id"`
	Subject          string            `json:"subject"`
	Summary          string            `json:"summary,omitempty"`
	Channel          Channel           `json:"channel"`
	Recipients       []string          `json:"recipients"`
	About            []string          `json:"about,omitempty"`
	InformedBy       string            `json:"informed_by"`
	InformedAt       time.Time         `json:"informed_at"`
	Acknowledgements []Acknowledgement `json:"acknowledgements"`
	// InformedOccurredAt is when the information is said to have reached
	// them, if claimed; days since the client was informed count from
	// InformedAt all the same.
	InformedOccurredAt time.Time `json:"informed_occurred_at,omitzero"`
}

// Acknowledged reports whether stakeholderID acknowledged the information.
func (i *Information) Acknowledged(stakeholderID string) bool {
	for _, a := range i.Acknowledgements {
		if a.StakeholderID == stakeholderID {
			return true
		}
	}
	return false
}

// Acknowledgement is one recipient confirming receipt.
type Acknowledgement struct {
	StakeholderID string    `json:"stakeholder_id"`
	At            time.Time `json:"at"`
	// OccurredAt is when it is said to have been acknowledged, if claimed.
	OccurredAt time.Time `json:"occurred_at,omitzero"`
}

// Decision is a technical or strategic choice.
type Decision struct {
	ID                 string       `json:"id"`
	Title              string       `json:"title"`
	Kind               DecisionKind `json:"kind"`
	Options            []string     `json:"options"`
	Chosen             string       `json:"chosen"`
	Rationale          string       `json:"rationale,omitempty"`
	Participants       []string     `json:"participants"`
	ClientParticipants []string     `json:"client_participants"`
	About              []string     `json:"about,omitempty"`
	DecidedBy          string       `json:"decided_by"`
	DecidedAt          time.Time    `json:"decided_at"`
	// DecidedOccurredAt is when it is said to have been decided, if claimed.
	DecidedOccurredAt time.Time `json:"decided_occurred_at,omitzero"`
}

// Delivery is something handed over to the client.
type Delivery struct {
	ID             string    `json:"id"`
	Title          string    `json:"title"`
	Description    string    `json:"description,omitempty"`
	MilestoneID    string    `json:"milestone_id,omitempty"`
	RequirementIDs []string  `json:"requirement_ids,omitempty"`
	FeatureIDs     []string  `json:"feature_ids,omitempty"`
	Status         Status    `json:"status"` // awaiting_acceptance, accepted, rejected
	DeliveredBy    string    `json:"delivered_by"`
	DeliveredAt    time.Time `json:"delivered_at"`
	ResolvedBy     string    `json:"resolved_by,omitempty"`
	ResolvedAt     time.Time `json:"resolved_at,omitzero"`
	Comment        string    `json:"comment,omitempty"`
	NeedIDs        []string  `json:"need_ids,omitempty"` // requirements raised at this delivery
	// Claimed moments of the delivery and of its resolution, if given.
	DeliveredOccurredAt time.Time `json:"delivered_occurred_at,omitzero"`
	ResolvedOccurredAt  time.Time `json:"resolved_occurred_at,omitzero"`
	// Versions and verdicts against acceptance criteria (acceptance.go).
	DeliveryVersions
}

// Lesson is something learnt.
type Lesson struct {
	ID         string    `json:"id"`
	Text       string    `json:"text"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

// ---- Accessors -------------------------------------------------------------

func lookup[T any](m map[string]*T, id string) (*T, bool) {
	v, ok := m[id]
	return v, ok
}

// Party returns the party p if it has joined.
func (s *Engagement) Party(p Party) (*PartyInfo, bool) {
	for _, x := range s.Parties {
		if x.Party == p {
			return x, true
		}
	}
	return nil, false
}

// Stakeholder returns a stakeholder by id, including one who left.
func (s *Engagement) Stakeholder(id string) (*Stakeholder, bool) { return lookup(s.stakeholders, id) }

// StakeholderByPrincipal returns the current (not left) stakeholder linked to
// an API principal.
func (s *Engagement) StakeholderByPrincipal(principalID string) (*Stakeholder, bool) {
	if principalID == "" {
		return nil, false
	}
	for _, x := range s.Stakeholders {
		if !x.Left && x.PrincipalID == principalID {
			return x, true
		}
	}
	return nil, false
}

// Expert returns an expert by id.
func (s *Engagement) Expert(id string) (*Expert, bool) { return lookup(s.experts, id) }

// Workshop returns a workshop by id.
func (s *Engagement) Workshop(id string) (*Workshop, bool) { return lookup(s.workshops, id) }

// Indicator returns a success indicator by id.
func (s *Engagement) Indicator(id string) (*Indicator, bool) { return lookup(s.indicators, id) }

// Requirement returns a requirement (raised, or a need raised at delivery).
func (s *Engagement) Requirement(id string) (*Requirement, bool) { return lookup(s.requirements, id) }

// Question returns a question by id.
func (s *Engagement) Question(id string) (*Question, bool) { return lookup(s.questions, id) }

// Assumption returns an assumption by id.
func (s *Engagement) Assumption(id string) (*Assumption, bool) { return lookup(s.assumptions, id) }

// Change returns a change request by id.
func (s *Engagement) Change(id string) (*ChangeRequest, bool) { return lookup(s.changes, id) }

// Feature returns a proposed feature by id.
func (s *Engagement) Feature(id string) (*Feature, bool) { return lookup(s.features, id) }

// Milestone returns a milestone by id.
func (s *Engagement) Milestone(id string) (*Milestone, bool) { return lookup(s.milestones, id) }

// Difficulty returns a difficulty by id.
func (s *Engagement) Difficulty(id string) (*Difficulty, bool) { return lookup(s.difficulties, id) }

// Delay returns a disclosed delay by id.
func (s *Engagement) Delay(id string) (*Delay, bool) { return lookup(s.delays, id) }

// Information returns a piece of information by id.
func (s *Engagement) Information(id string) (*Information, bool) { return lookup(s.information, id) }

// Decision returns a decision by id.
func (s *Engagement) Decision(id string) (*Decision, bool) { return lookup(s.decisions, id) }

// Delivery returns a delivery by id.
func (s *Engagement) Delivery(id string) (*Delivery, bool) { return lookup(s.deliveries, id) }

// KindOfID returns the kind of thing id names in the engagement
// ("engagement", "stakeholder", "requirement", ...), or "" if none.
func (s *Engagement) KindOfID(id string) string { return s.ids[id] }

// AwaitingAcceptance returns the deliveries not yet accepted or rejected.
func (s *Engagement) AwaitingAcceptance() []*Delivery {
	var out []*Delivery
	for _, d := range s.Deliveries {
		if d.Status == StatusAwaiting {
			out = append(out, d)
		}
	}
	return out
}

// CurrentStakeholders returns the stakeholders who have not left.
func (s *Engagement) CurrentStakeholders() []*Stakeholder {
	var out []*Stakeholder
	for _, x := range s.Stakeholders {
		if !x.Left {
			out = append(out, x)
		}
	}
	return out
}

// ---- Indexes and Clone -----------------------------------------------------

// reindex rebuilds every unexported index from the exported slices.
func (s *Engagement) reindex() {
	s.ids = map[string]string{s.ID: "engagement"}
	s.happened = map[string]time.Time{s.ID: s.OpenedAt}
	s.stakeholders = index(s, s.Stakeholders, "stakeholder", func(x *Stakeholder) (string, time.Time) {
		return x.ID, occurred(x.JoinedOccurredAt, x.JoinedAt)
	})
	s.experts = index(s, s.Experts, "expert", func(x *Expert) (string, time.Time) {
		return x.ID, occurred(x.InvitedOccurredAt, x.InvitedAt)
	})
	s.workshops = index(s, s.Workshops, "workshop", func(x *Workshop) (string, time.Time) { return x.ID, x.HeldAt })
	s.indicators = index(s, s.Indicators, "indicator", func(x *Indicator) (string, time.Time) {
		return x.ID, occurred(x.DefinedOccurredAt, x.DefinedAt)
	})
	s.requirements = index(s, s.Requirements, "requirement", func(x *Requirement) (string, time.Time) {
		return x.ID, occurred(x.RaisedOccurredAt, x.RaisedAt)
	})
	s.questions = index(s, s.Questions, "question", func(x *Question) (string, time.Time) {
		return x.ID, occurred(x.AskedOccurredAt, x.AskedAt)
	})
	s.assumptions = index(s, s.Assumptions, "assumption", func(x *Assumption) (string, time.Time) {
		return x.ID, occurred(x.MadeOccurredAt, x.MadeAt)
	})
	s.changes = index(s, s.Changes, "change", func(x *ChangeRequest) (string, time.Time) {
		return x.ID, occurred(x.RequestedOccurredAt, x.RequestedAt)
	})
	s.features = index(s, s.Features, "feature", func(x *Feature) (string, time.Time) {
		return x.ID, occurred(x.ProposedOccurredAt, x.ProposedAt)
	})
	s.milestones = index(s, s.Milestones, "milestone", func(x *Milestone) (string, time.Time) {
		return x.ID, occurred(x.PlannedOccurredAt, x.PlannedAt)
	})
	s.difficulties = index(s, s.Difficulties, "difficulty", func(x *Difficulty) (string, time.Time) {
		return x.ID, occurred(x.ReportedOccurredAt, x.ReportedAt)
	})
	s.delays = index(s, s.Delays, "delay", func(x *Delay) (string, time.Time) {
		return x.ID, occurred(x.DisclosedOccurredAt, x.DisclosedAt)
	})
	s.information = index(s, s.Informed, "information", func(x *Information) (string, time.Time) {
		return x.ID, occurred(x.InformedOccurredAt, x.InformedAt)
	})
	s.decisions = index(s, s.Decisions, "decision", func(x *Decision) (string, time.Time) {
		return x.ID, occurred(x.DecidedOccurredAt, x.DecidedAt)
	})
	s.deliveries = index(s, s.Deliveries, "delivery", func(x *Delivery) (string, time.Time) {
		return x.ID, occurred(x.DeliveredOccurredAt, x.DeliveredAt)
	})
	for _, x := range s.CostImpacts {
		s.created(x.ID, "cost_impact", occurred(x.DisclosedOccurredAt, x.DisclosedAt))
	}
	for _, x := range s.SkillsGaps {
		s.created(x.ID, "skills_gap", occurred(x.DisclosedOccurredAt, x.DisclosedAt))
	}
	for _, x := range s.Lessons {
		s.created(x.ID, "lesson", x.RecordedAt)
	}
	for _, x := range s.Indicators {
		for _, m := range x.Measurements {
			s.created(m.ID, "measurement", m.MeasuredAt)
		}
	}
	if a := s.Agreement; a != nil {
		s.created(a.ID, "agreement", occurred(a.SignedOccurredAt, a.SignedAt))
	}
	s.reindexGovernance()
}

// created records a new id, its kind and when the fact that created it
// happened.
func (s *Engagement) created(id, kind string, at time.Time) {
	s.ids[id], s.happened[id] = kind, at
}

// occurred is a fact's moment: its claim, or when it was recorded.
func occurred(claimed, recorded time.Time) time.Time {
	if claimed.IsZero() {
		return recorded
	}
	return claimed
}

func index[T any](s *Engagement, xs []*T, kind string, key func(*T) (string, time.Time)) map[string]*T {
	m := make(map[string]*T, len(xs))
	for _, x := range xs {
		id, at := key(x)
		m[id] = x
		s.created(id, kind, at)
	}
	return m
}

// cloneAll deep-copies a slice of pointers with a per-element copier.
func cloneAll[T any](xs []*T, cp func(T) T) []*T {
	if xs == nil {
		return nil
	}
	out := make([]*T, len(xs))
	for i, x := range xs {
		c := cp(*x)
		out[i] = &c
	}
	return out
}

func same[T any](x T) T { return x }

// Clone returns a deep copy of s that shares no mutable memory with it.
func (s *Engagement) Clone() *Engagement {
	if s == nil {
		return nil
	}
	c := *s
	c.PhaseHistory = slices.Clone(s.PhaseHistory)
	if s.Agreement != nil {
		a := *s.Agreement
		a.Signatories = slices.Clone(a.Signatories)
		c.Agreement = &a
	}
	c.Parties = cloneAll(s.Parties, func(p PartyInfo) PartyInfo {
		if p.Perimeter != nil {
			q := *p.Perimeter
			q.Includes, q.Excludes = slices.Clone(q.Includes), slices.Clone(q.Excludes)
			p.Perimeter = &q
		}
		return p
	})
	c.Stakeholders = cloneAll(s.Stakeholders, same)
	c.Experts = cloneAll(s.Experts, same)
	c.Workshops = cloneAll(s.Workshops, func(w Workshop) Workshop {
		w.Participants = slices.Clone(w.Participants)
		return w
	})
	c.Indicators = cloneAll(s.Indicators, func(i Indicator) Indicator {
		i.Measurements = slices.Clone(i.Measurements)
		return i
	})
	c.Requirements = cloneAll(s.Requirements, func(r Requirement) Requirement {
		r.Clarifications = slices.Clone(r.Clarifications)
		return r
	})
	c.Questions = cloneAll(s.Questions, same)
	c.Assumptions = cloneAll(s.Assumptions, same)
	c.Changes = cloneAll(s.Changes, func(x ChangeRequest) ChangeRequest {
		if x.Impact != nil {
			i := *x.Impact
			x.Impact = &i
		}
		return x
	})
	c.Features = cloneAll(s.Features, same)
	c.Milestones = cloneAll(s.Milestones, func(m Milestone) Milestone {
		m.DelayIDs = slices.Clone(m.DelayIDs)
		return m
	})
	c.Difficulties = cloneAll(s.Difficulties, same)
	c.Delays = cloneAll(s.Delays, same)
	c.CostImpacts = cloneAll(s.CostImpacts, same)
	c.SkillsGaps = cloneAll(s.SkillsGaps, same)
	c.Informed = cloneAll(s.Informed, func(i Information) Information {
		i.Recipients, i.About = slices.Clone(i.Recipients), slices.Clone(i.About)
		i.Acknowledgements = slices.Clone(i.Acknowledgements)
		return i
	})
	c.Decisions = cloneAll(s.Decisions, func(d Decision) Decision {
		d.Options, d.Participants = slices.Clone(d.Options), slices.Clone(d.Participants)
		d.ClientParticipants, d.About = slices.Clone(d.ClientParticipants), slices.Clone(d.About)
		return d
	})
	c.Deliveries = cloneAll(s.Deliveries, func(d Delivery) Delivery {
		d.RequirementIDs, d.FeatureIDs = slices.Clone(d.RequirementIDs), slices.Clone(d.FeatureIDs)
		d.NeedIDs = slices.Clone(d.NeedIDs)
		d.DeliveryVersions = d.DeliveryVersions.clone()
		return d
	})
	c.Lessons = cloneAll(s.Lessons, same)
	c.Governance = s.Governance.clone()
	c.reindex()
	return &c
}
