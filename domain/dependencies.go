package domain

import "time"

// Dependencies: something the engagement waits for (an access, data, a
// sign-off), owed by a named stakeholder, client-side ones included, by a
// date. A dependency is raised, then met; it is late while it is unmet
// after its due date (or was met after it). A delay may name the
// dependency that caused it: when that dependency was late, the delay
// says so, and the late client input is visible before the milestone
// rather than argued about after it.
//
// Rules: any current stakeholder raises a dependency (owed by a current
// stakeholder, due by a date not before the opening, optionally for a
// milestone) and records it met, in any phase but closed; only an open
// dependency is met.

// Wire names of the dependency events.
const (
	TypeDependencyRaised = "dependency.raised"
	TypeDependencyMet    = "dependency.met"
)

// RaiseDependency records something owed to the engagement.
type RaiseDependency struct {
	ActorID string `json:"-"`
	Claim
	DependencyID string    `json:"dependency_id"`
	Title        string    `json:"title"`
	Description  string    `json:"description,omitempty"`
	OwedBy       string    `json:"owed_by"` // the stakeholder who owes it
	DueDate      time.Time `json:"due_date"`
	MilestoneID  string    `json:"milestone_id,omitempty"`
}

// MeetDependency records that an open dependency was delivered.
type MeetDependency struct {
	ActorID string `json:"-"`
	Claim
	DependencyID string `json:"dependency_id"`
	Note         string `json:"note,omitempty"`
}

func (c RaiseDependency) Actor() string { return c.ActorID }
func (c MeetDependency) Actor() string  { return c.ActorID }

// DependencyRaised: OwedBy (of OwedByParty, computed when deciding) owes
// the engagement something by DueDate.
type DependencyRaised struct {
	Header
	DependencyID string    `json:"dependency_id"`
	Title        string    `json:"title"`
	Description  string    `json:"description,omitempty"`
	OwedBy       string    `json:"owed_by"`
	OwedByParty  Party     `json:"owed_by_party"`
	DueDate      time.Time `json:"due_date"`
	MilestoneID  string    `json:"milestone_id,omitempty"`
}

// DependencyMet: the dependency was delivered.
type DependencyMet struct {
	Header
	DependencyID string `json:"dependency_id"`
	Note         string `json:"note,omitempty"`
}

func (DependencyRaised) EventType() string { return TypeDependencyRaised }
func (DependencyMet) EventType() string    { return TypeDependencyMet }

// Dependency is one entry of the dependency register.
type Dependency struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	OwedBy      string    `json:"owed_by"`
	OwedByParty Party     `json:"owed_by_party"`
	DueDate     time.Time `json:"due_date"`
	MilestoneID string    `json:"milestone_id,omitempty"`
	Status      Status    `json:"status"` // open, met
	RaisedBy    string    `json:"raised_by"`
	RaisedAt    time.Time `json:"raised_at"`
	MetBy       string    `json:"met_by,omitempty"`
	MetAt       time.Time `json:"met_at,omitzero"`
	Note        string    `json:"note,omitempty"`
	DelayIDs    []string  `json:"delay_ids"` // the delays disclosed as caused by it
	// Claimed moments of the raising and of the delivery, if given.
	RaisedOccurredAt time.Time `json:"raised_occurred_at,omitzero"`
	MetOccurredAt    time.Time `json:"met_occurred_at,omitzero"`
}

// LateAt reports whether the dependency is late at now: unmet after its
// due date, or met after it (as recorded: a claim does not make it timely).
func (x *Dependency) LateAt(now time.Time) bool {
	if x.Status == StatusMet {
		return x.MetAt.After(x.DueDate)
	}
	return now.After(x.DueDate)
}

func (d *decider) raiseDependency(c RaiseDependency) ([]Event, error) {
	if err := d.allow("raising a dependency", anySide, anyOpenPhase); err != nil {
		return nil, err
	}
	if err := first(d.newID("dependency_id", c.DependencyID), required("title", c.Title)); err != nil {
		return nil, err
	}
	who, err := d.currentStakeholder("owed_by", c.OwedBy)
	if err != nil {
		return nil, err
	}
	due, err := d.dueDate("due_date", c.DueDate)
	if err != nil {
		return nil, err
	}
	if err := optional(d.s.milestones, CodeMilestoneNotFound, "milestone_id", "milestone", c.MilestoneID); err != nil {
		return nil, err
	}
	return one(&DependencyRaised{Header: d.h(), DependencyID: c.DependencyID, Title: c.Title, Description: c.Description,
		OwedBy: who.ID, OwedByParty: who.Party, DueDate: due, MilestoneID: c.MilestoneID})
}

func (d *decider) meetDependency(c MeetDependency) ([]Event, error) {
	if err := d.allow("meeting a dependency", anySide, anyOpenPhase); err != nil {
		return nil, err
	}
	x, err := waiting(d.s.dependencies, CodeDependencyNotFound, "dependency", c.DependencyID, CodeDependencyNotOpen)
	if err != nil {
		return nil, err
	}
	return one(&DependencyMet{Header: d.h(), DependencyID: x.ID, Note: c.Note})
}

// delayCause checks the dependency a delay names as its cause (none is
// fine) and says whether it was late when the delay is disclosed.
func (d *decider) delayCause(id string) (dep *Dependency, late bool, err error) {
	if id == "" {
		return nil, false, nil
	}
	x, err := get(d.s.dependencies, CodeDependencyNotFound, "dependency_id", "dependency", id)
	if err != nil {
		return nil, false, err
	}
	return x, x.LateAt(d.now), nil
}

func applyDependencyRaised(s *Engagement, e *DependencyRaised, h *Header) error {
	if err := s.fresh(e.DependencyID); err != nil {
		return err
	}
	if err := s.stakeholderRefs([]string{e.OwedBy}); err != nil {
		return err
	}
	if e.MilestoneID != "" {
		if _, err := need(s.milestones, "milestone", e.MilestoneID); err != nil {
			return err
		}
	}
	x := &Dependency{ID: e.DependencyID, Title: e.Title, Description: e.Description, OwedBy: e.OwedBy, OwedByParty: e.OwedByParty,
		DueDate: e.DueDate, MilestoneID: e.MilestoneID, Status: StatusOpen, RaisedBy: h.ActorID, RaisedAt: h.At,
		DelayIDs: []string{}, RaisedOccurredAt: h.OccurredAt}
	s.Dependencies = append(s.Dependencies, x)
	s.dependencies[x.ID] = x
	s.created(x.ID, "dependency", h.Occurred())
	return nil
}

func applyDependencyMet(s *Engagement, e *DependencyMet, h *Header) error {
	x, err := need(s.dependencies, "dependency", e.DependencyID)
	if err != nil {
		return err
	}
	x.Status, x.MetBy, x.MetAt, x.MetOccurredAt, x.Note = StatusMet, h.ActorID, h.At, h.OccurredAt, e.Note
	return nil
}
