package domain

import "time"

// The issue lifecycle: a reported difficulty (reported as such, or a risk
// that occurred) gets an owner and a severity, and is resolved. Open
// difficulties age, from when they were reported.
//
// Rules: any current stakeholder assigns (or reassigns) an open
// difficulty to a current stakeholder with a severity, and resolves an
// open difficulty, saying how; from scoping on, as difficulties are
// reported.

// Severity is how much a difficulty hurts the engagement.
type Severity string

// The severities, from the least.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Valid reports whether v is a known severity.
func (v Severity) Valid() bool {
	switch v {
	case SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical:
		return true
	}
	return false
}

// Wire names of the issue lifecycle's events.
const (
	TypeDifficultyAssigned = "difficulty.assigned"
	TypeDifficultyResolved = "difficulty.resolved"
)

// AssignDifficulty gives an open difficulty an owner and a severity (again,
// to reassign it).
type AssignDifficulty struct {
	ActorID string `json:"-"`
	Claim
	DifficultyID string   `json:"difficulty_id"`
	OwnerID      string   `json:"owner_id"`
	Severity     Severity `json:"severity"`
}

// ResolveDifficulty records how an open difficulty was resolved.
type ResolveDifficulty struct {
	ActorID string `json:"-"`
	Claim
	DifficultyID string `json:"difficulty_id"`
	Resolution   string `json:"resolution"`
}

func (c AssignDifficulty) Actor() string  { return c.ActorID }
func (c ResolveDifficulty) Actor() string { return c.ActorID }

// DifficultyAssigned: the difficulty is OwnerID's to resolve, at Severity.
type DifficultyAssigned struct {
	Header
	DifficultyID string   `json:"difficulty_id"`
	OwnerID      string   `json:"owner_id"`
	Severity     Severity `json:"severity"`
}

// DifficultyResolved: the difficulty is resolved.
type DifficultyResolved struct {
	Header
	DifficultyID string `json:"difficulty_id"`
	Resolution   string `json:"resolution"`
}

func (DifficultyAssigned) EventType() string { return TypeDifficultyAssigned }
func (DifficultyResolved) EventType() string { return TypeDifficultyResolved }

// openDifficulty finds a difficulty not yet resolved.
func (d *decider) openDifficulty(what, id string) (*Difficulty, error) {
	if err := d.allow(what, anySide, working); err != nil {
		return nil, err
	}
	return waiting(d.s.difficulties, CodeDifficultyNotFound, "difficulty", id, CodeDifficultyNotOpen)
}

func (d *decider) assignDifficulty(c AssignDifficulty) ([]Event, error) {
	x, err := d.openDifficulty("assigning a difficulty", c.DifficultyID)
	if err != nil {
		return nil, err
	}
	owner, err := d.currentStakeholder("owner_id", c.OwnerID)
	if err != nil {
		return nil, err
	}
	if !c.Severity.Valid() {
		return nil, invalid(CodeInvalidSeverity, "severity", "severity is low, medium, high or critical")
	}
	return one(&DifficultyAssigned{Header: d.h(), DifficultyID: x.ID, OwnerID: owner.ID, Severity: c.Severity})
}

func (d *decider) resolveDifficulty(c ResolveDifficulty) ([]Event, error) {
	x, err := d.openDifficulty("resolving a difficulty", c.DifficultyID)
	if err != nil {
		return nil, err
	}
	if err := required("resolution", c.Resolution); err != nil {
		return nil, err
	}
	return one(&DifficultyResolved{Header: d.h(), DifficultyID: x.ID, Resolution: c.Resolution})
}

func applyDifficultyAssigned(s *Engagement, e *DifficultyAssigned, h *Header) error {
	x, err := need(s.difficulties, "difficulty", e.DifficultyID)
	if err != nil {
		return err
	}
	if err := s.stakeholderRefs([]string{e.OwnerID}); err != nil {
		return err
	}
	x.OwnerID, x.Severity, x.AssignedAt = e.OwnerID, e.Severity, h.At
	return nil
}

func applyDifficultyResolved(s *Engagement, e *DifficultyResolved, h *Header) error {
	x, err := need(s.difficulties, "difficulty", e.DifficultyID)
	if err != nil {
		return err
	}
	x.Status, x.Resolution, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt = StatusResolved, e.Resolution, h.ActorID, h.At, h.OccurredAt
	return nil
}

// Resolved reports whether the difficulty is resolved.
func (x *Difficulty) Resolved() bool { return x.Status == StatusResolved }

// Age is how long the difficulty has been open at now (until it was
// resolved, once it is), from when it was recorded.
func (x *Difficulty) Age(now time.Time) time.Duration {
	if x.Resolved() {
		return x.ResolvedAt.Sub(x.ReportedAt)
	}
	return now.Sub(x.ReportedAt)
}
