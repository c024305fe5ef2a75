package domain

import "time"

// The risk register: a risk is raised with its probability, its impact,
// an owner and the response agreed for it; it is reviewed (rated again),
// escalated to someone who can act, and either occurs, becoming a
// difficulty, or is closed.
//
// Rules: any current stakeholder raises, reviews, escalates, records the
// occurrence of and closes a risk, in any phase but closed (an occurrence
// from scoping on, as difficulties are); probability and impact are 1 to 5
// and the score is their product; the owner and whom it is escalated to
// are current stakeholders; only an open risk (open or escalated) is
// reviewed, escalated, occurs or is closed.

// Statuses of risks (StatusOpen, then these), dependencies and
// difficulties.
const (
	StatusEscalated Status = "escalated" // risks: still open, in someone else's hands
	StatusOccurred  Status = "occurred"  // risks: it became a difficulty
	StatusClosed    Status = "closed"    // risks
	StatusMet       Status = "met"       // dependencies
	StatusResolved  Status = "resolved"  // difficulties
)

// Wire names of the risk events.
const (
	TypeRiskRaised    = "risk.raised"
	TypeRiskReviewed  = "risk.reviewed"
	TypeRiskEscalated = "risk.escalated"
	TypeRiskOccurred  = "risk.occurred"
	TypeRiskClosed    = "risk.closed"
)

// ---- commands ----------------------------------------------------------------

// RaiseRisk records a risk: what might happen, how likely (1-5), how bad
// (1-5), who owns it and the response agreed for it.
type RaiseRisk struct {
	ActorID string `json:"-"`
	Claim
	RiskID      string `json:"risk_id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Probability int    `json:"probability"`
	Impact      int    `json:"impact"`
	OwnerID     string `json:"owner_id"`
	Response    string `json:"response"`
	MilestoneID string `json:"milestone_id,omitempty"`
}

// ReviewRisk rates an open risk again, and may restate its response.
type ReviewRisk struct {
	ActorID string `json:"-"`
	Claim
	RiskID      string `json:"risk_id"`
	Probability int    `json:"probability"`
	Impact      int    `json:"impact"`
	Response    string `json:"response,omitempty"`
	Note        string `json:"note,omitempty"`
}

// EscalateRisk hands an open risk to someone who can act on it.
type EscalateRisk struct {
	ActorID string `json:"-"`
	Claim
	RiskID      string `json:"risk_id"`
	EscalatedTo string `json:"escalated_to"`
	Reason      string `json:"reason"`
}

// RecordRiskOccurred records that an open risk happened: it becomes the
// difficulty DifficultyID, reported at once (about the risk's milestone).
type RecordRiskOccurred struct {
	ActorID string `json:"-"`
	Claim
	RiskID       string `json:"risk_id"`
	DifficultyID string `json:"difficulty_id"`
	Description  string `json:"description"`
}

// CloseRisk closes an open risk that can no longer happen, or no longer
// matters.
type CloseRisk struct {
	ActorID string `json:"-"`
	Claim
	RiskID string `json:"risk_id"`
	Reason string `json:"reason"`
}

func (c RaiseRisk) Actor() string          { return c.ActorID }
func (c ReviewRisk) Actor() string         { return c.ActorID }
func (c EscalateRisk) Actor() string       { return c.ActorID }
func (c RecordRiskOccurred) Actor() string { return c.ActorID }
func (c CloseRisk) Actor() string          { return c.ActorID }

// ---- events ------------------------------------------------------------------

// RiskRaised: a risk, rated and owned, with its agreed response.
type RiskRaised struct {
	Header
	RiskID      string `json:"risk_id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Probability int64  `json:"probability"`
	Impact      int64  `json:"impact"`
	OwnerID     string `json:"owner_id"`
	Response    string `json:"response"`
	MilestoneID string `json:"milestone_id,omitempty"`
}

// RiskReviewed: the risk rated again; Response, when set, replaces the
// agreed response.
type RiskReviewed struct {
	Header
	RiskID      string `json:"risk_id"`
	Probability int64  `json:"probability"`
	Impact      int64  `json:"impact"`
	Response    string `json:"response,omitempty"`
	Note        string `json:"note,omitempty"`
}

// RiskEscalated: the risk is in EscalatedTo's hands.
type RiskEscalated struct {
	Header
	RiskID      string `json:"risk_id"`
	EscalatedTo string `json:"escalated_to"`
	Reason      string `json:"reason"`
}

// RiskOccurred: the risk happened and is now the difficulty DifficultyID
// (reported by the DifficultyReported just before it).
type RiskOccurred struct {
	Header
	RiskID       string `json:"risk_id"`
	DifficultyID string `json:"difficulty_id"`
}

// RiskClosed: the risk is closed without having happened.
type RiskClosed struct {
	Header
	RiskID string `json:"risk_id"`
	Reason string `json:"reason"`
}

func (RiskRaised) EventType() string    { return TypeRiskRaised }
func (RiskReviewed) EventType() string  { return TypeRiskReviewed }
func (RiskEscalated) EventType() string { return TypeRiskEscalated }
func (RiskOccurred) EventType() string  { return TypeRiskOccurred }
func (RiskClosed) EventType() string    { return TypeRiskClosed }

// ---- state -------------------------------------------------------------------

// Risk is one entry of the risk register. Score is Probability × Impact.
type Risk struct {
	ID           string       `json:"id"`
	Title        string       `json:"title"`
	Description  string       `json:"description,omitempty"`
	Probability  int64        `json:"probability"`
	Impact       int64        `json:"impact"`
	Score        int64        `json:"score"`
	OwnerID      string       `json:"owner_id"`
	Response     string       `json:"response"`
	MilestoneID  string       `json:"milestone_id,omitempty"`
	Status       Status       `json:"status"` // open, escalated, occurred, closed
	RaisedBy     string       `json:"raised_by"`
	RaisedAt     time.Time    `json:"raised_at"`
	Reviews      []RiskReview `json:"reviews"`
	EscalatedTo  string       `json:"escalated_to,omitempty"`
	EscalatedAt  time.Time    `json:"escalated_at,omitzero"`
	DifficultyID string       `json:"difficulty_id,omitempty"` // when it occurred
	ClosedBy     string       `json:"closed_by,omitempty"`     // who recorded the occurrence or the closure
	ClosedAt     time.Time    `json:"closed_at,omitzero"`
	Reason       string       `json:"reason,omitempty"` // of the escalation, then of the closure
	// Claimed moments of the raising and of the closure, if given.
	RaisedOccurredAt time.Time `json:"raised_occurred_at,omitzero"`
	ClosedOccurredAt time.Time `json:"closed_occurred_at,omitzero"`
}

// Open reports whether the risk can still happen (open or escalated).
func (r *Risk) Open() bool { return r.Status == StatusOpen || r.Status == StatusEscalated }

// RiskReview is one new rating of a risk.
type RiskReview struct {
	Probability int64     `json:"probability"`
	Impact      int64     `json:"impact"`
	Note        string    `json:"note,omitempty"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
	// OccurredAt is when it is said to have been reviewed, if claimed.
	OccurredAt time.Time `json:"occurred_at,omitzero"`
}

// ---- rules -------------------------------------------------------------------

func rating(field string, v int) *Error {
	if v < 1 || v > 5 {
		return invalid(CodeInvalidRating, field, "%s is rated from 1 (low) to 5 (high)", field)
	}
	return nil
}

func (d *decider) raiseRisk(c RaiseRisk) ([]Event, error) {
	if err := d.allow("raising a risk", anySide, anyOpenPhase); err != nil {
		return nil, err
	}
	if err := first(d.newID("risk_id", c.RiskID), required("title", c.Title), required("response", c.Response),
		rating("probability", c.Probability), rating("impact", c.Impact)); err != nil {
		return nil, err
	}
	if _, err := d.currentStakeholder("owner_id", c.OwnerID); err != nil {
		return nil, err
	}
	if err := optional(d.s.milestones, CodeMilestoneNotFound, "milestone_id", "milestone", c.MilestoneID); err != nil {
		return nil, err
	}
	return one(&RiskRaised{Header: d.h(), RiskID: c.RiskID, Title: c.Title, Description: c.Description,
		Probability: int64(c.Probability), Impact: int64(c.Impact), OwnerID: c.OwnerID, Response: c.Response, MilestoneID: c.MilestoneID})
}

// openRisk finds a risk that can still happen.
func (d *decider) openRisk(what, id string, phases []Phase) (*Risk, error) {
	if err := d.allow(what, anySide, phases); err != nil {
		return nil, err
	}
	return waiting(d.s.risks, CodeRiskNotFound, "risk", id, CodeRiskNotOpen)
}

func (d *decider) reviewRisk(c ReviewRisk) ([]Event, error) {
	x, err := d.openRisk("reviewing a risk", c.RiskID, anyOpenPhase)
	if err != nil {
		return nil, err
	}
	if err := first(rating("probability", c.Probability), rating("impact", c.Impact)); err != nil {
		return nil, err
	}
	return one(&RiskReviewed{Header: d.h(), RiskID: x.ID, Probability: int64(c.Probability), Impact: int64(c.Impact),
		Response: c.Response, Note: c.Note})
}

func (d *decider) escalateRisk(c EscalateRisk) ([]Event, error) {
	x, err := d.openRisk("escalating a risk", c.RiskID, anyOpenPhase)
	if err != nil {
		return nil, err
	}
	to, err := d.currentStakeholder("escalated_to", c.EscalatedTo)
	if err != nil {
		return nil, err
	}
	if err := required("reason", c.Reason); err != nil {
		return nil, err
	}
	return one(&RiskEscalated{Header: d.h(), RiskID: x.ID, EscalatedTo: to.ID, Reason: c.Reason})
}

// riskOccurred records the occurrence as two facts: the difficulty, which
// then lives its own life (owner, severity, resolution), and the risk that
// became it.
func (d *decider) riskOccurred(c RecordRiskOccurred) ([]Event, error) {
	x, err := d.openRisk("recording that a risk occurred", c.RiskID, working)
	if err != nil {
		return nil, err
	}
	if err := first(d.newID("difficulty_id", c.DifficultyID), required("description", c.Description)); err != nil {
		return nil, err
	}
	return []Event{
		&DifficultyReported{Header: d.h(), DifficultyID: c.DifficultyID, MilestoneID: x.MilestoneID, Description: c.Description},
		&RiskOccurred{Header: d.h(), RiskID: x.ID, DifficultyID: c.DifficultyID},
	}, nil
}

func (d *decider) closeRisk(c CloseRisk) ([]Event, error) {
	x, err := d.openRisk("closing a risk", c.RiskID, anyOpenPhase)
	if err != nil {
		return nil, err
	}
	if err := required("reason", c.Reason); err != nil {
		return nil, err
	}
	return one(&RiskClosed{Header: d.h(), RiskID: x.ID, Reason: c.Reason})
}

// ---- appliers ----------------------------------------------------------------

func applyRiskRaised(s *Engagement, e *RiskRaised, h *Header) error {
	if err := s.fresh(e.RiskID); err != nil {
		return err
	}
	if err := s.stakeholderRefs([]string{e.OwnerID}); err != nil {
		return err
	}
	if e.MilestoneID != "" {
		if _, err := need(s.milestones, "milestone", e.MilestoneID); err != nil {
			return err
		}
	}
	x := &Risk{ID: e.RiskID, Title: e.Title, Description: e.Description, Probability: e.Probability, Impact: e.Impact,
		Score: e.Probability * e.Impact, OwnerID: e.OwnerID, Response: e.Response, MilestoneID: e.MilestoneID,
		Status: StatusOpen, RaisedBy: h.ActorID, RaisedAt: h.At, Reviews: []RiskReview{}, RaisedOccurredAt: h.OccurredAt}
	s.Risks = append(s.Risks, x)
	s.risks[x.ID] = x
	s.created(x.ID, "risk", h.Occurred())
	return nil
}

func applyRiskReviewed(s *Engagement, e *RiskReviewed, h *Header) error {
	x, err := need(s.risks, "risk", e.RiskID)
	if err != nil {
		return err
	}
	x.Probability, x.Impact, x.Score = e.Probability, e.Impact, e.Probability*e.Impact
	if e.Response != "" {
		x.Response = e.Response
	}
	x.Reviews = append(x.Reviews, RiskReview{Probability: e.Probability, Impact: e.Impact, Note: e.Note, By: h.ActorID, At: h.At, OccurredAt: h.OccurredAt})
	return nil
}

func applyRiskEscalated(s *Engagement, e *RiskEscalated, h *Header) error {
	x, err := need(s.risks, "risk", e.RiskID)
	if err != nil {
		return err
	}
	if err := s.stakeholderRefs([]string{e.EscalatedTo}); err != nil {
		return err
	}
	x.Status, x.EscalatedTo, x.EscalatedAt, x.Reason = StatusEscalated, e.EscalatedTo, h.At, e.Reason
	return nil
}

func applyRiskOccurred(s *Engagement, e *RiskOccurred, h *Header) error {
	x, err := need(s.risks, "risk", e.RiskID)
	if err != nil {
		return err
	}
	df, err := need(s.difficulties, "difficulty", e.DifficultyID)
	if err != nil {
		return err
	}
	x.Status, x.DifficultyID, x.ClosedBy, x.ClosedAt, x.ClosedOccurredAt = StatusOccurred, df.ID, h.ActorID, h.At, h.OccurredAt
	df.RiskID = x.ID
	return nil
}

func applyRiskClosed(s *Engagement, e *RiskClosed, h *Header) error {
	x, err := need(s.risks, "risk", e.RiskID)
	if err != nil {
		return err
	}
	x.Status, x.ClosedBy, x.ClosedAt, x.ClosedOccurredAt, x.Reason = StatusClosed, h.ActorID, h.At, h.OccurredAt, e.Reason
	return nil
}
