package domain

import "time"

// Command is an intention, named in the imperative. ActorID, on every
// command, is the stakeholder id of whoever acts: the API fills it from the
// authenticated caller, never from the request body. Ids of the things a
// command creates are fields of the command (the API generates UUIDv7s when
// the client sends none), so that Decide stays deterministic. Commands may be
// passed to Decide by value or by pointer.
type Command interface {
	Actor() string
}

// Claim is embedded in the commands that report a fact which happened
// outside Candor (in a meeting, on the phone) and may be recorded after it
// happened. OccurredAt, when set, is the moment the fact is said to have
// happened; Candor records it beside the moment it recorded the fact (the
// event's At), never instead of it. Decide refuses a claim in the future,
// before the engagement opened, or before a fact the command names
// happened. Zero means the fact happened when it is recorded.
//
// The acts on the ledger itself (opening, advancing the phase, closing,
// recording a lesson) carry no claim: they happen when they are recorded.
// A workshop's held_at and a measurement's measured_at are those commands'
// claims, under their own names.
type Claim struct {
	OccurredAt time.Time `json:"occurred_at,omitzero"`
}

// Claimed returns the claimed moment, zero when none was given.
func (c Claim) Claimed() time.Time { return c.OccurredAt }

// NewStakeholder describes a person joining the engagement.
type NewStakeholder struct {
	StakeholderID string `json:"stakeholder_id"`
	Party         Party  `json:"party"`
	Name          string `json:"name" personal:"true"`
	Email         string `json:"email,omitempty" personal:"true"`
	Role          string `json:"role,omitempty"`
	PrincipalID   string `json:"principal_id,omitempty"` // the API principal who logs in as this stakeholder
}

// ---- Lifecycle -------------------------------------------------------------

// OpenEngagement starts an engagement; the opener (client or supplier side)
// becomes its first stakeholder. ActorID, when set, must equal
// Opener.StakeholderID.
type OpenEngagement struct {
	ActorID      string         `json:"-"`
	EngagementID string         `json:"engagement_id"`
	Title        string         `json:"title"`
	Description  string         `json:"description,omitempty"`
	ClientName   string         `json:"client_name"`
	SupplierName string         `json:"supplier_name"`
	Opener       NewStakeholder `json:"opener"`
}

// AdvancePhase moves the engagement to the next phase, To, which must be the
// one right after the current phase (closing is CloseEngagement).
type AdvancePhase struct {
	ActorID string `json:"-"`
	To      Phase  `json:"to"`
}

// CloseEngagement ends the engagement, from the acceptance phase, once no
// delivery awaits acceptance.
type CloseEngagement struct {
	ActorID string `json:"-"`
	Summary string `json:"summary,omitempty"`
	// RetentionDays, when set (1 to MaxRetentionDays), is how long the
	// personal data of the engagement's people is kept after the closing:
	// `candor retention` erases them once it has passed.
	RetentionDays int `json:"retention_days,omitempty"`
}

// MaxRetentionDays bounds a retention period: a hundred years.
const MaxRetentionDays = 36500

// RecordLesson keeps a lesson learnt; do it before closing.
type RecordLesson struct {
	ActorID  string `json:"-"`
	LessonID string `json:"lesson_id"`
	Text     string `json:"text"`
}

// ---- People ----------------------------------------------------------------

// JoinParty brings the provider (third-party implementer) in.
type JoinParty struct {
	ActorID string `json:"-"`
	Claim
	Party Party  `json:"party"`
	Name  string `json:"name"`
}

// DefinePerimeter states (or restates) what a party is responsible for.
type DefinePerimeter struct {
	ActorID string `json:"-"`
	Claim
	Party       Party    `json:"party"`
	Description string   `json:"description"`
	Includes    []string `json:"includes,omitempty"`
	Excludes    []string `json:"excludes,omitempty"`
}

// AddStakeholder adds a person to a party that has joined.
type AddStakeholder struct {
	ActorID string `json:"-"`
	Claim
	NewStakeholder
}

// BriefStakeholder records that the actor gave a late stakeholder the
// context they lacked.
type BriefStakeholder struct {
	ActorID string `json:"-"`
	Claim
	StakeholderID string `json:"stakeholder_id"`
	Summary       string `json:"summary"`
}

// RemoveStakeholder records that a stakeholder left.
type RemoveStakeholder struct {
	ActorID string `json:"-"`
	Claim
	StakeholderID string `json:"stakeholder_id"`
	Reason        string `json:"reason,omitempty"`
}

// ---- Emergence -------------------------------------------------------------

// InviteExpert opens the opportunity to an expert.
type InviteExpert struct {
	ActorID string `json:"-"`
	Claim
	ExpertID  string `json:"expert_id"`
	Name      string `json:"name" personal:"true"`
	Email     string `json:"email,omitempty" personal:"true"`
	Expertise string `json:"expertise,omitempty"`
}

// CommitExpert records that an invited expert joins the team.
type CommitExpert struct {
	ActorID string `json:"-"`
	Claim
	ExpertID string `json:"expert_id"`
}

// WithdrawExpert records that an expert leaves the team.
type WithdrawExpert struct {
	ActorID string `json:"-"`
	Claim
	ExpertID string `json:"expert_id"`
	Reason   string `json:"reason,omitempty"`
}

// JoinDiscussion: the client (the actor is client side) joins the discussion.
type JoinDiscussion struct {
	ActorID string `json:"-"`
	Claim
	Note string `json:"note,omitempty"`
}

// SignAgreement records the signed contract paperwork.
type SignAgreement struct {
	ActorID string `json:"-"`
	Claim
	AgreementID string   `json:"agreement_id"`
	Reference   string   `json:"reference,omitempty"`
	Signatories []string `json:"signatories"`
}

// ---- Scoping ---------------------------------------------------------------

// HoldWorkshop records a scoping workshop that took place.
type HoldWorkshop struct {
	ActorID      string    `json:"-"`
	WorkshopID   string    `json:"workshop_id"`
	HeldAt       time.Time `json:"held_at"` // the claim (see Claim); zero means "now"
	Participants []string  `json:"participants"`
	Notes        string    `json:"notes,omitempty"`
}

// DefineIndicator records a success indicator co-defined with the client.
type DefineIndicator struct {
	ActorID string `json:"-"`
	Claim
	IndicatorID string    `json:"indicator_id"`
	WorkshopID  string    `json:"workshop_id,omitempty"`
	Name        string    `json:"name"`
	Unit        string    `json:"unit,omitempty"`
	Target      float64   `json:"target"`
	Direction   Direction `json:"direction"`
}

// MeasureIndicator records one measurement of a success indicator.
type MeasureIndicator struct {
	ActorID       string    `json:"-"`
	MeasurementID string    `json:"measurement_id"`
	IndicatorID   string    `json:"indicator_id"`
	Value         float64   `json:"value"`
	MeasuredAt    time.Time `json:"measured_at"` // the claim (see Claim); zero means "now"
	Note          string    `json:"note,omitempty"`
}

// ---- Requirements ----------------------------------------------------------

// RaiseRequirement records something the client needs.
type RaiseRequirement struct {
	ActorID string `json:"-"`
	Claim
	RequirementID string `json:"requirement_id"`
	Title         string `json:"title"`
	Description   string `json:"description,omitempty"`
}

// AskQuestion questions a requirement (supplier side).
type AskQuestion struct {
	ActorID string `json:"-"`
	Claim
	QuestionID    string `json:"question_id"`
	RequirementID string `json:"requirement_id"`
	Text          string `json:"text"`
}

// ClarifyRequirement settles a requirement's meaning. A client-side actor
// may clarify directly (optionally answering QuestionID). A supplier-side
// actor must quote the client: QuestionID (an open question of this
// requirement), Answer (the client's words) and AnsweredBy (the client-side
// stakeholder who gave them).
type ClarifyRequirement struct {
	ActorID string `json:"-"`
	Claim
	RequirementID string `json:"requirement_id"`
	Clarification string `json:"clarification"`
	QuestionID    string `json:"question_id,omitempty"`
	Answer        string `json:"answer,omitempty"`
	AnsweredBy    string `json:"answered_by,omitempty"`
}

// MakeAssumption records an interpretation made without the client.
type MakeAssumption struct {
	ActorID string `json:"-"`
	Claim
	AssumptionID  string `json:"assumption_id"`
	RequirementID string `json:"requirement_id,omitempty"`
	Statement     string `json:"statement"`
}

// ValidateAssumption: a client-side stakeholder confirms an open assumption.
type ValidateAssumption struct {
	ActorID string `json:"-"`
	Claim
	AssumptionID string `json:"assumption_id"`
	Comment      string `json:"comment,omitempty"`
}

// RejectAssumption: a client-side stakeholder rejects an open assumption.
type RejectAssumption struct {
	ActorID string `json:"-"`
	Claim
	AssumptionID string `json:"assumption_id"`
	Reason       string `json:"reason,omitempty"`
}

// RequestChange asks for a change to what was agreed.
type RequestChange struct {
	ActorID string `json:"-"`
	Claim
	ChangeID      string `json:"change_id"`
	RequirementID string `json:"requirement_id,omitempty"`
	Description   string `json:"description"`
	Reason        string `json:"reason,omitempty"`
}

// ApproveChange: the client side approves an open change request.
type ApproveChange struct {
	ActorID string `json:"-"`
	Claim
	ChangeID string `json:"change_id"`
	Comment  string `json:"comment,omitempty"`
}

// RejectChange: the client side rejects an open change request.
type RejectChange struct {
	ActorID string `json:"-"`
	Claim
	ChangeID string `json:"change_id"`
	Reason   string `json:"reason,omitempty"`
}

// ProposeFeature: the supplier side proposes an unrequested feature.
type ProposeFeature struct {
	ActorID string `json:"-"`
	Claim
	FeatureID   string `json:"feature_id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// AcceptFeature: the client side accepts a proposed feature.
type AcceptFeature struct {
	ActorID string `json:"-"`
	Claim
	FeatureID string `json:"feature_id"`
	Comment   string `json:"comment,omitempty"`
}

// DeclineFeature: the client side declines a proposed feature.
type DeclineFeature struct {
	ActorID string `json:"-"`
	Claim
	FeatureID string `json:"feature_id"`
	Reason    string `json:"reason,omitempty"`
}

// ---- Commitments -----------------------------------------------------------

// PlanMilestone records a dated commitment. DueDate may be past (a
// milestone recorded late) or future, not before the engagement opened.
type PlanMilestone struct {
	ActorID string `json:"-"`
	Claim
	MilestoneID string    `json:"milestone_id"`
	Title       string    `json:"title"`
	DueDate     time.Time `json:"due_date"`
}

// ReportDifficulty: the supplier side reports a problem.
type ReportDifficulty struct {
	ActorID string `json:"-"`
	Claim
	DifficultyID string `json:"difficulty_id"`
	MilestoneID  string `json:"milestone_id,omitempty"`
	Description  string `json:"description"`
}

// DiscloseDelay: the supplier side moves a planned milestone to a later
// NewDueDate. Disclosing after the due date is allowed.
type DiscloseDelay struct {
	ActorID string `json:"-"`
	Claim
	DelayID     string    `json:"delay_id"`
	MilestoneID string    `json:"milestone_id"`
	NewDueDate  time.Time `json:"new_due_date"`
	Reason      string    `json:"reason"`
	// DependencyID, optional, names the dependency that caused the delay.
	DependencyID string `json:"dependency_id,omitempty"`
}

// DiscloseCostImpact: the supplier side discloses what a problem costs.
type DiscloseCostImpact struct {
	ActorID string `json:"-"`
	Claim
	CostImpactID string `json:"cost_impact_id"`
	DifficultyID string `json:"difficulty_id,omitempty"`
	Amount       int64  `json:"amount"` // minor units, non-zero
	Currency     string `json:"currency"`
	Reason       string `json:"reason"`
}

// DiscloseSkillsGap: the supplier side discloses a missing skill.
type DiscloseSkillsGap struct {
	ActorID string `json:"-"`
	Claim
	SkillsGapID  string `json:"skills_gap_id"`
	DifficultyID string `json:"difficulty_id,omitempty"`
	Skill        string `json:"skill"`
	Mitigation   string `json:"mitigation,omitempty"`
}

// ---- Communication ---------------------------------------------------------

// InformClient records that information reached named stakeholders.
type InformClient struct {
	ActorID string `json:"-"`
	Claim
	InformationID string   `json:"information_id"`
	Subject       string   `json:"subject"`
	Summary       string   `json:"summary,omitempty"`
	Channel       Channel  `json:"channel"`
	Recipients    []string `json:"recipients"`
	About         []string `json:"about,omitempty"`
}

// AcknowledgeInformation: a client-side recipient confirms receipt.
type AcknowledgeInformation struct {
	ActorID string `json:"-"`
	Claim
	InformationID string `json:"information_id"`
}

// MakeDecision records a technical or strategic choice and who took part.
type MakeDecision struct {
	ActorID string `json:"-"`
	Claim
	DecisionID   string       `json:"decision_id"`
	Title        string       `json:"title"`
	Kind         DecisionKind `json:"kind"`
	Options      []string     `json:"options"`
	Chosen       string       `json:"chosen"`
	Rationale    string       `json:"rationale,omitempty"`
	Participants []string     `json:"participants"`
	About        []string     `json:"about,omitempty"`
}

// ---- Delivery --------------------------------------------------------------

// MakeDelivery: the supplier side hands something over.
type MakeDelivery struct {
	ActorID string `json:"-"`
	Claim
	DeliveryID     string   `json:"delivery_id"`
	Title          string   `json:"title"`
	Description    string   `json:"description,omitempty"`
	MilestoneID    string   `json:"milestone_id,omitempty"`
	RequirementIDs []string `json:"requirement_ids,omitempty"`
	FeatureIDs     []string `json:"feature_ids,omitempty"`
}

// AcceptDelivery: a client-side stakeholder accepts a delivery.
type AcceptDelivery struct {
	ActorID string `json:"-"`
	Claim
	DeliveryID string `json:"delivery_id"`
	Comment    string `json:"comment,omitempty"`
	// Verdicts on each acceptance criterion of the delivery
	// (acceptance.go): all met.
	Verdicts
}

// RejectDelivery: a client-side stakeholder rejects a delivery.
type RejectDelivery struct {
	ActorID string `json:"-"`
	Claim
	DeliveryID string `json:"delivery_id"`
	Reason     string `json:"reason"`
	// Verdicts on each acceptance criterion of the delivery
	// (acceptance.go): at least one unmet.
	Verdicts
}

// RaiseNeedAtDelivery records a need voiced at a delivery.
type RaiseNeedAtDelivery struct {
	ActorID string `json:"-"`
	Claim
	NeedID      string `json:"need_id"`
	DeliveryID  string `json:"delivery_id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Actor implementations.

// Actor returns ActorID, or the opener's id when ActorID is empty.
func (c OpenEngagement) Actor() string {
	if c.ActorID != "" {
		return c.ActorID
	}
	return c.Opener.StakeholderID
}

func (c AdvancePhase) Actor() string           { return c.ActorID }
func (c CloseEngagement) Actor() string        { return c.ActorID }
func (c RecordLesson) Actor() string           { return c.ActorID }
func (c JoinParty) Actor() string              { return c.ActorID }
func (c DefinePerimeter) Actor() string        { return c.ActorID }
func (c AddStakeholder) Actor() string         { return c.ActorID }
func (c BriefStakeholder) Actor() string       { return c.ActorID }
func (c RemoveStakeholder) Actor() string      { return c.ActorID }
func (c InviteExpert) Actor() string           { return c.ActorID }
func (c CommitExpert) Actor() string           { return c.ActorID }
func (c WithdrawExpert) Actor() string         { return c.ActorID }
func (c JoinDiscussion) Actor() string         { return c.ActorID }
func (c SignAgreement) Actor() string          { return c.ActorID }
func (c HoldWorkshop) Actor() string           { return c.ActorID }
func (c DefineIndicator) Actor() string        { return c.ActorID }
func (c MeasureIndicator) Actor() string       { return c.ActorID }
func (c RaiseRequirement) Actor() string       { return c.ActorID }
func (c AskQuestion) Actor() string            { return c.ActorID }
func (c ClarifyRequirement) Actor() string     { return c.ActorID }
func (c MakeAssumption) Actor() string         { return c.ActorID }
func (c ValidateAssumption) Actor() string     { return c.ActorID }
func (c RejectAssumption) Actor() string       { return c.ActorID }
func (c RequestChange) Actor() string          { return c.ActorID }
func (c ApproveChange) Actor() string          { return c.ActorID }
func (c RejectChange) Actor() string           { return c.ActorID }
func (c ProposeFeature) Actor() string         { return c.ActorID }
func (c AcceptFeature) Actor() string          { return c.ActorID }
func (c DeclineFeature) Actor() string         { return c.ActorID }
func (c PlanMilestone) Actor() string          { return c.ActorID }
func (c ReportDifficulty) Actor() string       { return c.ActorID }
func (c DiscloseDelay) Actor() string          { return c.ActorID }
func (c DiscloseCostImpact) Actor() string     { return c.ActorID }
func (c DiscloseSkillsGap) Actor() string      { return c.ActorID }
func (c InformClient) Actor() string           { return c.ActorID }
func (c AcknowledgeInformation) Actor() string { return c.ActorID }
func (c MakeDecision) Actor() string           { return c.ActorID }
func (c MakeDelivery) Actor() string           { return c.ActorID }
func (c AcceptDelivery) Actor() string         { return c.ActorID }
func (c RejectDelivery) Actor() string         { return c.ActorID }
func (c RaiseNeedAtDelivery) Actor() string    { return c.ActorID }
