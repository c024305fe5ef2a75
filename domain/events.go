package domain

import "time"

// Event is one immutable fact of an engagement. Every event struct embeds a
// Header (so its JSON is flat) and is handled by pointer: Decide returns
// pointers, Evolve and Marshal take them, Unmarshal returns them.
type Event interface {
	// EventType is the wire name, family.verb_past (e.g. "delay.disclosed").
	EventType() string
	// Head gives access to the fields every event carries.
	Head() *Header
}

// Header is embedded in every event: which engagement, who did it (the
// stakeholder id of the actor) and when (UTC). Correlation and causation ids
// are the ledger's business and travel in the store's metadata.
//
// At is when Candor recorded the fact: the moment the command was decided,
// on the ledger's clock. OccurredAt is when the fact is said to have
// happened, as the command claimed it (see Claim); it is zero when no claim
// was made, and then the fact happened At. Both are in the event's data,
// so both are under the ledger's hash chain. The indicators that measure
// trust (disclosure lead time, days since the client was informed) use At:
// a claim cannot make a late disclosure early.
type Header struct {
	EngagementID string    `json:"engagement_id"`
	ActorID      string    `json:"actor_id"`
	At           time.Time `json:"at"`
	OccurredAt   time.Time `json:"occurred_at,omitzero"`
}

// Head returns h itself, so that every *XxxHappened satisfies Event.
func (h *Header) Head() *Header { return h }

// Occurred is when the fact happened: OccurredAt when it was claimed, At
// otherwise.
func (h *Header) Occurred() time.Time {
	if h.OccurredAt.IsZero() {
		return h.At
	}
	return h.OccurredAt
}

// Claimed returns OccurredAt as a pointer, nil when no claim was made: the
// form read models show it in.
func (h *Header) Claimed() *time.Time {
	if h.OccurredAt.IsZero() {
		return nil
	}
	t := h.OccurredAt
	return &t
}

// Wire names of the events. They are stored with every event and never
// change; a new shape of the same fact gets a new schema version (see
// Marshal), not a new name.
const (
	// Lifecycle.
	TypeEngagementOpened = "engagement.opened"
	TypePhaseAdvanced    = "engagement.phase_advanced"
	TypeEngagementClosed = "engagement.closed"
	TypeLessonRecorded   = "lesson.recorded"

	// People.
	TypePartyJoined        = "party.joined"
	TypePerimeterDefined   = "perimeter.defined"
	TypeStakeholderJoined  = "stakeholder.joined"
	TypeStakeholderBriefed = "stakeholder.briefed"
	TypeStakeholderLeft    = "stakeholder.left"

	// Emergence.
	TypeExpertInvited          = "expert.invited"
	TypeExpertCommitted        = "expert.committed"
	TypeExpertWithdrew         = "expert.withdrew"
	TypeClientJoinedDiscussion = "discussion.client_joined"
	TypeAgreementSigned        = "agreement.signed"

	// Scoping.
	TypeWorkshopHeld      = "workshop.held"
	TypeIndicatorDefined  = "indicator.defined"
	TypeIndicatorMeasured = "indicator.measured"

	// Requirements.
	TypeRequirementRaised    = "requirement.raised"
	TypeQuestionAsked        = "question.asked"
	TypeRequirementClarified = "requirement.clarified"
	TypeAssumptionMade       = "assumption.made"
	TypeAssumptionValidated  = "assumption.validated"
	TypeAssumptionRejected   = "assumption.rejected"
	TypeChangeRequested      = "change.requested"
	TypeChangeApproved       = "change.approved"
	TypeChangeRejected       = "change.rejected"
	TypeFeatureProposed      = "feature.proposed"
	TypeFeatureAccepted      = "feature.accepted"
	TypeFeatureDeclined      = "feature.declined"

	// Commitments.
	TypeMilestonePlanned    = "milestone.planned"
	TypeDifficultyReported  = "difficulty.reported"
	TypeDelayDisclosed      = "delay.disclosed"
	TypeCostImpactDisclosed = "cost_impact.disclosed"
	TypeSkillsGapDisclosed  = "skills_gap.disclosed"

	// Communication.
	TypeClientInformed          = "client.informed"
	TypeInformationAcknowledged = "information.acknowledged"
	TypeDecisionMade            = "decision.made"

	// Delivery.
	TypeDeliveryMade         = "delivery.made"
	TypeDeliveryAccepted     = "delivery.accepted"
	TypeDeliveryRejected     = "delivery.rejected"
	TypeNeedRaisedAtDelivery = "delivery.need_raised"
)

// EventTypes lists every event type, grouped by family in the order of
// DOMAIN.md. The slice is fresh on every call.
func EventTypes() []string {
	out := make([]string, len(registry))
	for i, r := range registry {
		out[i] = r.typ
	}
	return out
}

// ---- Lifecycle -------------------------------------------------------------

// EngagementOpened starts an engagement in the emergence phase. The client
// and supplier parties exist from this moment; the opener joins as the first
// stakeholder in a StakeholderJoined emitted right after.
type EngagementOpened struct {
	Header
	Title        string `json:"title"`
	Description  string `json:"description,omitempty"`
	ClientName   string `json:"client_name"`
	SupplierName string `json:"supplier_name"`
}

// PhaseAdvanced moves the engagement one phase forward (never to closed:
// that is EngagementClosed).
type PhaseAdvanced struct {
	Header
	From Phase `json:"from"`
	To   Phase `json:"to"`
}

// EngagementClosed is the last event of an engagement.
type EngagementClosed struct {
	Header
	Summary       string `json:"summary,omitempty"`
	RetentionDays int64  `json:"retention_days,omitempty"` // 0: none set
}

// LessonRecorded keeps something learnt. Lessons are recorded before the
// engagement is closed, since a closed engagement takes no more commands.
type LessonRecorded struct {
	Header
	LessonID string `json:"lesson_id"`
	Text     string `json:"text"`
}

// ---- People ----------------------------------------------------------------

// PartyJoined brings the third party (the provider) into the engagement.
type PartyJoined struct {
	Header
	Party Party  `json:"party"`
	Name  string `json:"name"`
}

// PerimeterDefined states what a party is responsible for. A later
// definition for the same party replaces the earlier one.
type PerimeterDefined struct {
	Header
	Party       Party    `json:"party"`
	Description string   `json:"description"`
	Includes    []string `json:"includes,omitempty"`
	Excludes    []string `json:"excludes,omitempty"`
}

// StakeholderJoined adds a person on one party's side. Late is true when the
// engagement had already left emergence: such a stakeholder lacks context
// and stays unbriefed until another stakeholder briefs them.
type StakeholderJoined struct {
	Header
	StakeholderID string `json:"stakeholder_id"`
	Party         Party  `json:"party"`
	Name          string `json:"name" personal:"true"`
	Email         string `json:"email,omitempty" personal:"true"`
	Role          string `json:"role,omitempty"`
	PrincipalID   string `json:"principal_id,omitempty"`
	Late          bool   `json:"late"`
}

// StakeholderBriefed records that a late stakeholder was given the context
// by another stakeholder (the actor).
type StakeholderBriefed struct {
	Header
	StakeholderID string `json:"stakeholder_id"`
	Summary       string `json:"summary"`
}

// StakeholderLeft removes a person from the engagement; their past events
// stay, they can no longer act.
type StakeholderLeft struct {
	Header
	StakeholderID string `json:"stakeholder_id"`
	Reason        string `json:"reason,omitempty"`
}

// ---- Emergence -------------------------------------------------------------

// ExpertInvited opens the opportunity to an expert, before any quote.
type ExpertInvited struct {
	Header
	ExpertID  string `json:"expert_id"`
	Name      string `json:"name" personal:"true"`
	Email     string `json:"email,omitempty" personal:"true"`
	Expertise string `json:"expertise,omitempty"`
}

// ExpertCommitted: the invited expert joins the emerging team.
type ExpertCommitted struct {
	Header
	ExpertID string `json:"expert_id"`
}

// ExpertWithdrew: the expert leaves the emerging team (or declines).
type ExpertWithdrew struct {
	Header
	ExpertID string `json:"expert_id"`
	Reason   string `json:"reason,omitempty"`
}

// ClientJoinedDiscussion: the client joins the discussion in which the team
// emerged, before any paperwork.
type ClientJoinedDiscussion struct {
	Header
	Note string `json:"note,omitempty"`
}

// AgreementSigned: the contract paperwork, produced together, is signed by
// at least one client-side and one supplier-side stakeholder.
type AgreementSigned struct {
	Header
	AgreementID string   `json:"agreement_id"`
	Reference   string   `json:"reference,omitempty"`
	Signatories []string `json:"signatories"`
}

// ---- Scoping ---------------------------------------------------------------

// WorkshopHeld: a scoping workshop took place with these stakeholders.
type WorkshopHeld struct {
	Header
	WorkshopID   string    `json:"workshop_id"`
	HeldAt       time.Time `json:"held_at"`
	Participants []string  `json:"participants"`
	Notes        string    `json:"notes,omitempty"`
}

// IndicatorDefined: a success indicator co-defined with the client.
type IndicatorDefined struct {
	Header
	IndicatorID string    `json:"indicator_id"`
	WorkshopID  string    `json:"workshop_id,omitempty"`
	Name        string    `json:"name"`
	Unit        string    `json:"unit,omitempty"`
	Target      float64   `json:"target"`
	Direction   Direction `json:"direction"`
}

// IndicatorMeasured: one measurement of a success indicator.
type IndicatorMeasured struct {
	Header
	MeasurementID string    `json:"measurement_id"`
	IndicatorID   string    `json:"indicator_id"`
	Value         float64   `json:"value"`
	MeasuredAt    time.Time `json:"measured_at"`
	Note          string    `json:"note,omitempty"`
}

// ---- Requirements ----------------------------------------------------------

// RequirementRaised: something the client needs.
type RequirementRaised struct {
	Header
	RequirementID string `json:"requirement_id"`
	Title         string `json:"title"`
	Description   string `json:"description,omitempty"`
}

// QuestionAsked: the supplier side questions a requirement instead of
// guessing. The question stays open until answered by a clarification.
type QuestionAsked struct {
	Header
	QuestionID    string `json:"question_id"`
	RequirementID string `json:"requirement_id"`
	Text          string `json:"text"`
}

// RequirementClarified: the requirement's meaning is settled, by a
// client-side stakeholder (the actor), or by the supplier quoting the
// client's answer (Answer, given by AnsweredBy) to the open question
// QuestionID. When QuestionID is set, that question becomes answered.
type RequirementClarified struct {
	Header
	RequirementID string `json:"requirement_id"`
	Clarification string `json:"clarification"`
	QuestionID    string `json:"question_id,omitempty"`
	Answer        string `json:"answer,omitempty"`
	AnsweredBy    string `json:"answered_by,omitempty"`
}

// AssumptionMade: an interpretation the supplier made without the client.
// It is open until a client-side stakeholder validates or rejects it.
type AssumptionMade struct {
	Header
	AssumptionID  string `json:"assumption_id"`
	RequirementID string `json:"requirement_id,omitempty"`
	Statement     string `json:"statement"`
}

// AssumptionValidated: the client confirms the assumption.
type AssumptionValidated struct {
	Header
	AssumptionID string `json:"assumption_id"`
	Comment      string `json:"comment,omitempty"`
}

// AssumptionRejected: the client says the assumption is wrong.
type AssumptionRejected struct {
	Header
	AssumptionID string `json:"assumption_id"`
	Reason       string `json:"reason,omitempty"`
}

// ChangeRequested: a change to what was agreed, open until the client side
// approves or rejects it.
type ChangeRequested struct {
	Header
	ChangeID      string `json:"change_id"`
	RequirementID string `json:"requirement_id,omitempty"`
	Description   string `json:"description"`
	Reason        string `json:"reason,omitempty"`
}

// ChangeApproved: the client side approves the change.
type ChangeApproved struct {
	Header
	ChangeID string `json:"change_id"`
	Comment  string `json:"comment,omitempty"`
}

// ChangeRejected: the client side rejects the change.
type ChangeRejected struct {
	Header
	ChangeID string `json:"change_id"`
	Reason   string `json:"reason,omitempty"`
}

// FeatureProposed: the supplier side proposes something the client never
// asked for. It counts only once the client accepts it.
type FeatureProposed struct {
	Header
	FeatureID   string `json:"feature_id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// FeatureAccepted: the client accepts a proposed feature.
type FeatureAccepted struct {
	Header
	FeatureID string `json:"feature_id"`
	Comment   string `json:"comment,omitempty"`
}

// FeatureDeclined: the client declines a proposed feature.
type FeatureDeclined struct {
	Header
	FeatureID string `json:"feature_id"`
	Reason    string `json:"reason,omitempty"`
}

// ---- Commitments -----------------------------------------------------------

// MilestonePlanned: a dated commitment. DueDate is a moment in UTC; a
// calendar date is sent as midnight UTC of that day.
type MilestonePlanned struct {
	Header
	MilestoneID string    `json:"milestone_id"`
	Title       string    `json:"title"`
	DueDate     time.Time `json:"due_date"`
}

// DifficultyReported: the supplier side does not keep a problem to itself.
type DifficultyReported struct {
	Header
	DifficultyID string `json:"difficulty_id"`
	MilestoneID  string `json:"milestone_id,omitempty"`
	Description  string `json:"description"`
}

// DelayDisclosed: a planned milestone moves from PreviousDueDate (its due
// date when the delay was disclosed) to the later NewDueDate. Schema v2; v1
// carried calendar dates only (see Unmarshal).
type DelayDisclosed struct {
	Header
	DelayID         string    `json:"delay_id"`
	MilestoneID     string    `json:"milestone_id"`
	PreviousDueDate time.Time `json:"previous_due_date"`
	NewDueDate      time.Time `json:"new_due_date"`
	Reason          string    `json:"reason"`
	// DependencyID names the dependency that caused the delay, if any;
	// DependencyLate says it was late when the delay was disclosed, and
	// DependencyParty whose it was (computed when deciding).
	DependencyID    string `json:"dependency_id,omitempty"`
	DependencyLate  bool   `json:"dependency_late,omitempty"`
	DependencyParty Party  `json:"dependency_party,omitempty"`
}

// LeadTime is the disclosure lead time: how long before the due date the
// delay was disclosed. Negative means disclosed after the due date.
func (d DelayDisclosed) LeadTime() time.Duration { return d.PreviousDueDate.Sub(d.At) }

// CostImpactDisclosed: what a problem costs, in minor units of Currency
// (ISO 4217), disclosed instead of avoided. Amount may be negative (a saving).
type CostImpactDisclosed struct {
	Header
	CostImpactID string `json:"cost_impact_id"`
	DifficultyID string `json:"difficulty_id,omitempty"`
	Amount       int64  `json:"amount"`
	Currency     string `json:"currency"`
	Reason       string `json:"reason"`
}

// SkillsGapDisclosed: the supplier side lacks a skill the engagement needs.
type SkillsGapDisclosed struct {
	Header
	SkillsGapID  string `json:"skills_gap_id"`
	DifficultyID string `json:"difficulty_id,omitempty"`
	Skill        string `json:"skill"`
	Mitigation   string `json:"mitigation,omitempty"`
}

// ---- Communication ---------------------------------------------------------

// ClientInformed: a message reached named stakeholders (at least one on the
// client side), through a channel, about some facts of the engagement
// (About holds their ids).
type ClientInformed struct {
	Header
	InformationID string   `json:"information_id"`
	Subject       string   `json:"subject"`
	Summary       string   `json:"summary,omitempty"`
	Channel       Channel  `json:"channel"`
	Recipients    []string `json:"recipients"`
	About         []string `json:"about,omitempty"`
}

// InformationAcknowledged: a client-side recipient (the actor) confirms
// they received the information.
type InformationAcknowledged struct {
	Header
	InformationID string `json:"information_id"`
}

// DecisionMade: a technical or strategic choice. ClientParticipants is the
// client-side subset of Participants, computed when deciding; it may be
// empty, which is what the indicators expose.
type DecisionMade struct {
	Header
	DecisionID         string       `json:"decision_id"`
	Title              string       `json:"title"`
	Kind               DecisionKind `json:"kind"`
	Options            []string     `json:"options"`
	Chosen             string       `json:"chosen"`
	Rationale          string       `json:"rationale,omitempty"`
	Participants       []string     `json:"participants"`
	ClientParticipants []string     `json:"client_participants"`
	About              []string     `json:"about,omitempty"`
}

// ---- Delivery --------------------------------------------------------------

// DeliveryMade: something handed over to the client; it awaits acceptance.
type DeliveryMade struct {
	Header
	DeliveryID     string   `json:"delivery_id"`
	Title          string   `json:"title"`
	Description    string   `json:"description,omitempty"`
	MilestoneID    string   `json:"milestone_id,omitempty"`
	RequirementIDs []string `json:"requirement_ids,omitempty"`
	FeatureIDs     []string `json:"feature_ids,omitempty"`
}

// DeliveryAccepted: a client-side stakeholder accepts the delivery.
type DeliveryAccepted struct {
	Header
	DeliveryID string `json:"delivery_id"`
	Comment    string `json:"comment,omitempty"`
	// The verdict on each acceptance criterion (acceptance.go).
	Verdicts
}

// DeliveryRejected: a client-side stakeholder rejects the delivery.
type DeliveryRejected struct {
	Header
	DeliveryID string `json:"delivery_id"`
	Reason     string `json:"reason"`
	// The verdict on each acceptance criterion (acceptance.go).
	Verdicts
}

// NeedRaisedAtDelivery: at delivery, the client voices a need nobody had
// thought of. It is recorded as a new requirement (id NeedID, origin
// "delivery") so that it can be questioned, clarified and delivered.
type NeedRaisedAtDelivery struct {
	Header
	NeedID      string `json:"need_id"`
	DeliveryID  string `json:"delivery_id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// EventType implementations.

func (EngagementOpened) EventType() string        { return TypeEngagementOpened }
func (PhaseAdvanced) EventType() string           { return TypePhaseAdvanced }
func (EngagementClosed) EventType() string        { return TypeEngagementClosed }
func (LessonRecorded) EventType() string          { return TypeLessonRecorded }
func (PartyJoined) EventType() string             { return TypePartyJoined }
func (PerimeterDefined) EventType() string        { return TypePerimeterDefined }
func (StakeholderJoined) EventType() string       { return TypeStakeholderJoined }
func (StakeholderBriefed) EventType() string      { return TypeStakeholderBriefed }
func (StakeholderLeft) EventType() string         { return TypeStakeholderLeft }
func (ExpertInvited) EventType() string           { return TypeExpertInvited }
func (ExpertCommitted) EventType() string         { return TypeExpertCommitted }
func (ExpertWithdrew) EventType() string          { return TypeExpertWithdrew }
func (ClientJoinedDiscussion) EventType() string  { return TypeClientJoinedDiscussion }
func (AgreementSigned) EventType() string         { return TypeAgreementSigned }
func (WorkshopHeld) EventType() string            { return TypeWorkshopHeld }
func (IndicatorDefined) EventType() string        { return TypeIndicatorDefined }
func (IndicatorMeasured) EventType() string       { return TypeIndicatorMeasured }
func (RequirementRaised) EventType() string       { return TypeRequirementRaised }
func (QuestionAsked) EventType() string           { return TypeQuestionAsked }
func (RequirementClarified) EventType() string    { return TypeRequirementClarified }
func (AssumptionMade) EventType() string          { return TypeAssumptionMade }
func (AssumptionValidated) EventType() string     { return TypeAssumptionValidated }
func (AssumptionRejected) EventType() string      { return TypeAssumptionRejected }
func (ChangeRequested) EventType() string         { return TypeChangeRequested }
func (ChangeApproved) EventType() string          { return TypeChangeApproved }
func (ChangeRejected) EventType() string          { return TypeChangeRejected }
func (FeatureProposed) EventType() string         { return TypeFeatureProposed }
func (FeatureAccepted) EventType() string         { return TypeFeatureAccepted }
func (FeatureDeclined) EventType() string         { return TypeFeatureDeclined }
func (MilestonePlanned) EventType() string        { return TypeMilestonePlanned }
func (DifficultyReported) EventType() string      { return TypeDifficultyReported }
func (DelayDisclosed) EventType() string          { return TypeDelayDisclosed }
func (CostImpactDisclosed) EventType() string     { return TypeCostImpactDisclosed }
func (SkillsGapDisclosed) EventType() string      { return TypeSkillsGapDisclosed }
func (ClientInformed) EventType() string          { return TypeClientInformed }
func (InformationAcknowledged) EventType() string { return TypeInformationAcknowledged }
func (DecisionMade) EventType() string            { return TypeDecisionMade }
func (DeliveryMade) EventType() string            { return TypeDeliveryMade }
func (DeliveryAccepted) EventType() string        { return TypeDeliveryAccepted }
func (DeliveryRejected) EventType() string        { return TypeDeliveryRejected }
func (NeedRaisedAtDelivery) EventType() string    { return TypeNeedRaisedAtDelivery }

type eventInfo struct {
	typ     string
	version int
	new     func() Event
}

// registry lists every event type with its current schema version and a
// constructor; the codec and EventTypes read it. Order follows DOMAIN.md.
var registry = append([]eventInfo{
	{TypeEngagementOpened, 1, func() Event { return new(EngagementOpened) }},
	{TypePhaseAdvanced, 1, func() Event { return new(PhaseAdvanced) }},
	{TypeEngagementClosed, 1, func() Event { return new(EngagementClosed) }},
	{TypeLessonRecorded, 1, func() Event { return new(LessonRecorded) }},
	{TypePartyJoined, 1, func() Event { return new(PartyJoined) }},
	{TypePerimeterDefined, 1, func() Event { return new(PerimeterDefined) }},
	{TypeStakeholderJoined, 1, func() Event { return new(StakeholderJoined) }},
	{TypeStakeholderBriefed, 1, func() Event { return new(StakeholderBriefed) }},
	{TypeStakeholderLeft, 1, func() Event { return new(StakeholderLeft) }},
	{TypeExpertInvited, 1, func() Event { return new(ExpertInvited) }},
	{TypeExpertCommitted, 1, func() Event { return new(ExpertCommitted) }},
	{TypeExpertWithdrew, 1, func() Event { return new(ExpertWithdrew) }},
	{TypeClientJoinedDiscussion, 1, func() Event { return new(ClientJoinedDiscussion) }},
	{TypeAgreementSigned, 1, func() Event { return new(AgreementSigned) }},
	{TypeWorkshopHeld, 1, func() Event { return new(WorkshopHeld) }},
	{TypeIndicatorDefined, 1, func() Event { return new(IndicatorDefined) }},
	{TypeIndicatorMeasured, 1, func() Event { return new(IndicatorMeasured) }},
	{TypeRequirementRaised, 1, func() Event { return new(RequirementRaised) }},
	{TypeQuestionAsked, 1, func() Event { return new(QuestionAsked) }},
	{TypeRequirementClarified, 1, func() Event { return new(RequirementClarified) }},
	{TypeAssumptionMade, 1, func() Event { return new(AssumptionMade) }},
	{TypeAssumptionValidated, 1, func() Event { return new(AssumptionValidated) }},
	{TypeAssumptionRejected, 1, func() Event { return new(AssumptionRejected) }},
	{TypeChangeRequested, 1, func() Event { return new(ChangeRequested) }},
	{TypeChangeApproved, 1, func() Event { return new(ChangeApproved) }},
	{TypeChangeRejected, 1, func() Event { return new(ChangeRejected) }},
	{TypeFeatureProposed, 1, func() Event { return new(FeatureProposed) }},
	{TypeFeatureAccepted, 1, func() Event { return new(FeatureAccepted) }},
	{TypeFeatureDeclined, 1, func() Event { return new(FeatureDeclined) }},
	{TypeMilestonePlanned, 1, func() Event { return new(MilestonePlanned) }},
	{TypeDifficultyReported, 1, func() Event { return new(DifficultyReported) }},
	{TypeDelayDisclosed, 2, func() Event { return new(DelayDisclosed) }},
	{TypeCostImpactDisclosed, 1, func() Event { return new(CostImpactDisclosed) }},
	{TypeSkillsGapDisclosed, 1, func() Event { return new(SkillsGapDisclosed) }},
	{TypeClientInformed, 1, func() Event { return new(ClientInformed) }},
	{TypeInformationAcknowledged, 1, func() Event { return new(InformationAcknowledged) }},
	{TypeDecisionMade, 1, func() Event { return new(DecisionMade) }},
	{TypeDeliveryMade, 1, func() Event { return new(DeliveryMade) }},
	{TypeDeliveryAccepted, 1, func() Event { return new(DeliveryAccepted) }},
	{TypeDeliveryRejected, 1, func() Event { return new(DeliveryRejected) }},
	{TypeNeedRaisedAtDelivery, 1, func() Event { return new(NeedRaisedAtDelivery) }},
}, governanceEvents...)
