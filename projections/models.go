package projections

import (
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
)

// The read models, as the API serves them: snake_case JSON, times in RFC 3339
// UTC (every time comes from an event header or the store, both UTC). Fields
// named *_days are computed at query time from the `now` passed in. Fields
// tagged personal:"true" hold personal data, as in package domain.
//
// Two times per fact: the *_at fields are when Candor recorded it (the
// event header's At), the *_occurred_at ones when it is said to have
// happened, present only when the write claimed it (the header's
// OccurredAt). Every indicator counts from the recorded time, so that a
// claim cannot make a fact look timelier than its record; where a claim
// changes what an indicator would say, the claimed figure and the gap
// (recording_gap_days: recorded minus claimed) are shown beside it.

// EngagementSummary is one engagement at a glance.
type EngagementSummary struct {
	ID             string              `json:"id"`
	Title          string              `json:"title"`
	Description    string              `json:"description,omitempty"`
	Phase          domain.Phase        `json:"phase"`
	Parties        []PartyView         `json:"parties"`
	Counts         Counts              `json:"counts"`
	OpenedAt       time.Time           `json:"opened_at"`
	OpenedBy       string              `json:"opened_by"`
	ClosedAt       *time.Time          `json:"closed_at,omitempty"`
	LastActivityAt time.Time           `json:"last_activity_at"`
	LastEventType  string              `json:"last_event_type"`
	Revision       uint64              `json:"revision"` // stream revision of the last event
	Position       eventstore.Position `json:"position"` // global position of the last event
}

// PartyView is one party of an engagement and its perimeter, if defined.
type PartyView struct {
	Party     domain.Party `json:"party"`
	Name      string       `json:"name"`
	Perimeter *Perimeter   `json:"perimeter,omitempty"`
}

// Perimeter is what a party is responsible for.
type Perimeter struct {
	Description string    `json:"description"`
	Includes    []string  `json:"includes,omitempty"`
	Excludes    []string  `json:"excludes,omitempty"`
	DefinedAt   time.Time `json:"defined_at"`
	// DefinedOccurredAt is when it is said to have been defined, if claimed.
	DefinedOccurredAt *time.Time `json:"defined_occurred_at,omitempty"`
}

// Counts are running totals of an engagement. "open_*" count what still
// waits for the client side.
type Counts struct {
	Events             int `json:"events"`
	Stakeholders       int `json:"stakeholders"` // current (joined and not left)
	Requirements       int `json:"requirements"`
	OpenQuestions      int `json:"open_questions"`
	OpenAssumptions    int `json:"open_assumptions"`
	OpenChanges        int `json:"open_changes"`
	FeaturesProposed   int `json:"features_proposed"`
	Milestones         int `json:"milestones"`
	Delays             int `json:"delays"`
	Decisions          int `json:"decisions"`
	Informations       int `json:"informations"`
	Indicators         int `json:"indicators"`
	Deliveries         int `json:"deliveries"`
	DeliveriesAwaiting int `json:"deliveries_awaiting"`
}

// EngagementList is one page of engagements, by id (UUIDv7 ids: by creation).
type EngagementList struct {
	Items      []EngagementSummary `json:"items"`
	NextCursor string              `json:"next_cursor,omitempty"` // empty on the last page
}

// EngagementFilter selects engagements; zero fields do not filter.
type EngagementFilter struct {
	Phase domain.Phase
}

// Page asks for one page: after the item the cursor names (empty: from the
// start), at most Limit items (0: 50; capped at 500).
type Page struct {
	Cursor string
	Limit  int
}

// TimelineEntry is one fact of an engagement.
type TimelineEntry struct {
	Position      eventstore.Position `json:"position"`
	Revision      uint64              `json:"revision"`
	EventID       string              `json:"event_id"`
	Type          string              `json:"type"`
	ActorID       string              `json:"actor_id"`
	ActorName     string              `json:"actor_name,omitempty" personal:"true"`
	ActorParty    domain.Party        `json:"actor_party,omitempty"`
	At            time.Time           `json:"at"`          // when Candor recorded it (event header)
	RecordedAt    time.Time           `json:"recorded_at"` // when the store committed it
	Summary       string              `json:"summary"`
	CorrelationID string              `json:"correlation_id,omitempty"`
	// OccurredAt is when the fact is said to have happened, when the write
	// claimed it; RecordingGapDays is At minus OccurredAt, in days.
	OccurredAt       *time.Time `json:"occurred_at,omitempty"`
	RecordingGapDays *float64   `json:"recording_gap_days,omitempty"`
}

// Timeline is one page of an engagement's facts, in order.
type Timeline struct {
	EngagementID string          `json:"engagement_id"`
	Items        []TimelineEntry `json:"items"`
	NextCursor   string          `json:"next_cursor,omitempty"`
}

// RequirementsBoard is what the client needs and how well it is understood.
type RequirementsBoard struct {
	EngagementID string        `json:"engagement_id"`
	Requirements []Requirement `json:"requirements"`
	Changes      []Change      `json:"changes"` // change requests not tied to a requirement
	Assumptions  []Assumption  `json:"assumptions"`
	Features     []Feature     `json:"features"`
}

// Requirement with its questions, clarifications and change requests.
type Requirement struct {
	ID             string          `json:"id"`
	Title          string          `json:"title"`
	Description    string          `json:"description,omitempty"`
	Origin         string          `json:"origin"` // "client", or "delivery" for a need raised at delivery
	DeliveryID     string          `json:"delivery_id,omitempty"`
	RaisedBy       string          `json:"raised_by"`
	RaisedAt       time.Time       `json:"raised_at"`
	Clarified      bool            `json:"clarified"`
	Questions      []Question      `json:"questions"`
	Clarifications []Clarification `json:"clarifications"`
	Changes        []Change        `json:"changes"`
	DeliveredIn    []string        `json:"delivered_in,omitempty"` // delivery ids
	// RaisedOccurredAt is when it is said to have been raised, if claimed.
	RaisedOccurredAt *time.Time `json:"raised_occurred_at,omitempty"`
}

// Question asked about a requirement; open until a clarification answers it.
type Question struct {
	ID         string        `json:"id"`
	Text       string        `json:"text"`
	Status     domain.Status `json:"status"` // open | answered
	AskedBy    string        `json:"asked_by"`
	AskedAt    time.Time     `json:"asked_at"`
	Answer     string        `json:"answer,omitempty"`
	AnsweredBy string        `json:"answered_by,omitempty"`
	AnsweredAt *time.Time    `json:"answered_at,omitempty"`
	AgeDays    float64       `json:"age_days"` // open: until now; answered: until answered, both from asked_at
	// Claimed moments of the question and of its answer, if given.
	AskedOccurredAt    *time.Time `json:"asked_occurred_at,omitempty"`
	AnsweredOccurredAt *time.Time `json:"answered_occurred_at,omitempty"`
}

// Clarification of a requirement.
type Clarification struct {
	Text         string    `json:"text"`
	QuestionID   string    `json:"question_id,omitempty"`
	ClarifiedBy  string    `json:"clarified_by"`
	ClarifiedAt  time.Time `json:"clarified_at"`
	AnsweredBy   string    `json:"answered_by,omitempty"`
	QuotedAnswer string    `json:"answer,omitempty"`
	// ClarifiedOccurredAt is when it is said to have been clarified, if claimed.
	ClarifiedOccurredAt *time.Time `json:"clarified_occurred_at,omitempty"`
}

// Change request.
type Change struct {
	ID            string        `json:"id"`
	RequirementID string        `json:"requirement_id,omitempty"`
	Description   string        `json:"description"`
	Reason        string        `json:"reason,omitempty"`
	Status        domain.Status `json:"status"` // open | approved | rejected
	RequestedBy   string        `json:"requested_by"`
	RequestedAt   time.Time     `json:"requested_at"`
	DecidedBy     string        `json:"decided_by,omitempty"`
	DecidedAt     *time.Time    `json:"decided_at,omitempty"`
	Comment       string        `json:"comment,omitempty"`
	// Claimed moments of the request and of the decision on it, if given.
	RequestedOccurredAt *time.Time `json:"requested_occurred_at,omitempty"`
	DecidedOccurredAt   *time.Time `json:"decided_occurred_at,omitempty"`
}

// Assumption the supplier made without the client.
type Assumption struct {
	ID            string        `json:"id"`
	RequirementID string        `json:"requirement_id,omitempty"`
	Statement     string        `json:"statement"`
	Status        domain.Status `json:"status"` // open | validated | rejected
	MadeBy        string        `json:"made_by"`
	MadeAt        time.Time     `json:"made_at"`
	ResolvedBy    string        `json:"resolved_by,omitempty"`
	ResolvedAt    *time.Time    `json:"resolved_at,omitempty"`
	Comment       string        `json:"comment,omitempty"`
	AgeDays       float64       `json:"age_days"` // open: until now; resolved: until resolved, both from made_at
	// Claimed moments of the assumption and of its resolution, if given.
	MadeOccurredAt     *time.Time `json:"made_occurred_at,omitempty"`
	ResolvedOccurredAt *time.Time `json:"resolved_occurred_at,omitempty"`
}

// Feature the supplier proposed without being asked.
type Feature struct {
	ID          string        `json:"id"`
	Title       string        `json:"title"`
	Description string        `json:"description,omitempty"`
	Status      domain.Status `json:"status"` // proposed | accepted | declined
	ProposedBy  string        `json:"proposed_by"`
	ProposedAt  time.Time     `json:"proposed_at"`
	DecidedBy   string        `json:"decided_by,omitempty"`
	DecidedAt   *time.Time    `json:"decided_at,omitempty"`
	DeliveredIn []string      `json:"delivered_in,omitempty"`
	// Claimed moments of the proposal and of the decision on it, if given.
	ProposedOccurredAt *time.Time `json:"proposed_occurred_at,omitempty"`
	DecidedOccurredAt  *time.Time `json:"decided_occurred_at,omitempty"`
}

// DelayRegister lists milestones and every delay disclosed against them.
type DelayRegister struct {
	EngagementID string      `json:"engagement_id"`
	Milestones   []Milestone `json:"milestones"`
	Delays       []Delay     `json:"delays"`
}

// Milestone is a dated commitment.
type Milestone struct {
	ID              string    `json:"id"`
	Title           string    `json:"title"`
	OriginalDueDate time.Time `json:"original_due_date"`
	DueDate         time.Time `json:"due_date"` // after the delays
	PlannedBy       string    `json:"planned_by"`
	PlannedAt       time.Time `json:"planned_at"`
	Delays          int       `json:"delays"`
	// PlannedOccurredAt is when it is said to have been planned, if claimed.
	PlannedOccurredAt *time.Time `json:"planned_occurred_at,omitempty"`
}

// Delay is one disclosure that a milestone moves.
type Delay struct {
	ID              string    `json:"id"`
	MilestoneID     string    `json:"milestone_id"`
	MilestoneTitle  string    `json:"milestone_title"`
	OriginalDueDate time.Time `json:"original_due_date"` // as first planned
	PreviousDueDate time.Time `json:"previous_due_date"` // when disclosed
	NewDueDate      time.Time `json:"new_due_date"`
	Reason          string    `json:"reason"`
	DisclosedBy     string    `json:"disclosed_by"`
	DisclosedAt     time.Time `json:"disclosed_at"`
	// LeadTimeDays is previous_due_date minus disclosed_at (when Candor
	// recorded the disclosure), in days; negative when disclosed after the
	// due date. DisclosedAfterDue says the same.
	LeadTimeDays      float64 `json:"lead_time_days"`
	DisclosedAfterDue bool    `json:"disclosed_after_due"`
	// When the disclosure is said to have happened earlier: that moment,
	// the lead time it would give, and how long after it the disclosure
	// was recorded (days).
	DisclosedOccurredAt *time.Time `json:"disclosed_occurred_at,omitempty"`
	ClaimedLeadTimeDays *float64   `json:"claimed_lead_time_days,omitempty"`
	RecordingGapDays    *float64   `json:"recording_gap_days,omitempty"`
	// The dependency said to have caused the delay, whether it was late
	// when the delay was disclosed, and whose it was.
	DependencyID    string       `json:"dependency_id,omitempty"`
	DependencyLate  bool         `json:"dependency_late,omitempty"`
	DependencyParty domain.Party `json:"dependency_party,omitempty"`
}

// Decision is a technical or strategic choice and who took part.
type Decision struct {
	ID                 string              `json:"id"`
	Title              string              `json:"title"`
	Kind               domain.DecisionKind `json:"kind"`
	Options            []string            `json:"options"`
	Chosen             string              `json:"chosen"`
	Rationale          string              `json:"rationale,omitempty"`
	Participants       []Person            `json:"participants"`
	ClientParticipants []Person            `json:"client_participants"`
	WithoutClient      bool                `json:"without_client"`
	About              []string            `json:"about,omitempty"`
	DecidedBy          string              `json:"decided_by"`
	DecidedAt          time.Time           `json:"decided_at"`
	// DecidedOccurredAt is when it is said to have been decided, if claimed.
	DecidedOccurredAt *time.Time `json:"decided_occurred_at,omitempty"`
}

// Person names a stakeholder.
type Person struct {
	ID    string       `json:"id"`
	Name  string       `json:"name,omitempty" personal:"true"`
	Party domain.Party `json:"party,omitempty"`
}

// Communications is who was informed of what.
type Communications struct {
	EngagementID         string        `json:"engagement_id"`
	LastClientInformedAt *time.Time    `json:"last_client_informed_at,omitempty"`
	Informations         []Information `json:"informations"`
	// LastClientInformedOccurredAt is the latest moment some information is
	// said to have reached the client (claimed, or recorded when not);
	// LastClientInformedAt is the latest recorded one.
	LastClientInformedOccurredAt *time.Time `json:"last_client_informed_occurred_at,omitempty"`
}

// Information is one message that reached named stakeholders.
type Information struct {
	ID             string         `json:"id"`
	Subject        string         `json:"subject"`
	Summary        string         `json:"summary,omitempty"`
	Channel        domain.Channel `json:"channel"`
	About          []string       `json:"about,omitempty"`
	InformedBy     string         `json:"informed_by"`
	InformedAt     time.Time      `json:"informed_at"`
	Recipients     []Recipient    `json:"recipients"`
	AcknowledgedBy []string       `json:"acknowledged_by"`
	// NotAcknowledged lists the client-side recipients (the ones who
	// acknowledge) who have not.
	NotAcknowledged []string `json:"not_acknowledged"`
	// Claimed moment it reached them, and how long after it Candor
	// recorded it (days).
	InformedOccurredAt *time.Time `json:"informed_occurred_at,omitempty"`
	RecordingGapDays   *float64   `json:"recording_gap_days,omitempty"`
}

// Recipient of an information.
type Recipient struct {
	Person
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	// AcknowledgedOccurredAt is when it is said to have been acknowledged, if claimed.
	AcknowledgedOccurredAt *time.Time `json:"acknowledged_occurred_at,omitempty"`
}

// Indicator is a success indicator with its measurements.
type Indicator struct {
	ID           string           `json:"id"`
	Name         string           `json:"name"`
	Unit         string           `json:"unit,omitempty"`
	Target       float64          `json:"target"`
	Direction    domain.Direction `json:"direction"`
	WorkshopID   string           `json:"workshop_id,omitempty"`
	DefinedBy    string           `json:"defined_by"`
	DefinedAt    time.Time        `json:"defined_at"`
	Measurements []Measurement    `json:"measurements"`
	Latest       *Measurement     `json:"latest,omitempty"` // latest by measured_at
	Status       string           `json:"status"`           // unmeasured | on_target | off_target
	// DefinedOccurredAt is when it is said to have been defined, if claimed.
	DefinedOccurredAt *time.Time `json:"defined_occurred_at,omitempty"`
}

// Measurement of an indicator.
type Measurement struct {
	ID         string    `json:"id"`
	Value      float64   `json:"value"`
	MeasuredAt time.Time `json:"measured_at"`
	Note       string    `json:"note,omitempty"`
	RecordedBy string    `json:"recorded_by"`
	// RecordedAt is when Candor recorded it; MeasuredAt is the moment
	// measured (claimed, or RecordedAt when not).
	RecordedAt time.Time `json:"recorded_at"`
}

// Indicator statuses.
const (
	IndicatorUnmeasured = "unmeasured"
	IndicatorOnTarget   = "on_target"
	IndicatorOffTarget  = "off_target"
)

// Stakeholder in the register.
type Stakeholder struct {
	ID              string       `json:"id"`
	Party           domain.Party `json:"party"`
	Name            string       `json:"name" personal:"true"`
	Email           string       `json:"email,omitempty" personal:"true"`
	Role            string       `json:"role,omitempty"`
	PrincipalID     string       `json:"principal_id,omitempty"`
	JoinedAt        time.Time    `json:"joined_at"`
	Late            bool         `json:"late"` // joined after emergence
	BriefedAt       *time.Time   `json:"briefed_at,omitempty"`
	BriefedBy       string       `json:"briefed_by,omitempty"`
	BriefingSummary string       `json:"briefing_summary,omitempty"`
	LeftAt          *time.Time   `json:"left_at,omitempty"`
	// NeverBriefed: joined late and not briefed (yet).
	NeverBriefed bool `json:"never_briefed"`
	// Claimed moments of joining, being briefed and leaving, if given.
	JoinedOccurredAt  *time.Time `json:"joined_occurred_at,omitempty"`
	BriefedOccurredAt *time.Time `json:"briefed_occurred_at,omitempty"`
	LeftOccurredAt    *time.Time `json:"left_occurred_at,omitempty"`
}

// Knowledge is what one stakeholder was informed of, acknowledged or took
// part in, up to a moment.
type Knowledge struct {
	EngagementID  string          `json:"engagement_id"`
	StakeholderID string          `json:"stakeholder_id"`
	Items         []KnowledgeItem `json:"items"`
}

// KnowledgeItem is one fact a stakeholder knew of, and since when.
type KnowledgeItem struct {
	Position eventstore.Position `json:"position"`
	At       time.Time           `json:"at"`
	// Kind: informed, acknowledged, decision, workshop, briefed,
	// briefing_given or signed.
	Kind    string         `json:"kind"`
	Type    string         `json:"type"` // event type
	RefID   string         `json:"ref_id,omitempty"`
	Subject string         `json:"subject,omitempty"`
	Channel domain.Channel `json:"channel,omitempty"`
	By      string         `json:"by"` // actor of the event
	About   []string       `json:"about,omitempty"`
	// OccurredAt is when it is said to have happened, if claimed; At is
	// when Candor recorded it.
	OccurredAt *time.Time `json:"occurred_at,omitempty"`
}

// Occurred is when the item happened: its claim, or when it was recorded.
func (k *KnowledgeItem) Occurred() time.Time {
	if k.OccurredAt != nil {
		return *k.OccurredAt
	}
	return k.At
}

// Basis says which time an as_of moment is compared with: when each fact
// was recorded (the default, and the audit's account of what Candor knew),
// or when it is said to have happened.
type Basis string

// The bases of an as_of moment.
const (
	BasisRecorded Basis = "recorded"
	BasisOccurred Basis = "occurred"
)

// Knowledge item kinds.
const (
	KnowInformed      = "informed"
	KnowAcknowledged  = "acknowledged"
	KnowDecision      = "decision"
	KnowWorkshop      = "workshop"
	KnowBriefed       = "briefed"
	KnowBriefingGiven = "briefing_given"
	KnowSigned        = "signed"
)
