package domain

import "time"

// Change impact and approver: an open change request is assessed (its
// schedule and cost impact), and the assessment names the client-side
// stakeholder who must approve it, by a date. From then on only that
// person, or the one they delegated to by an explicit event, approves or
// rejects it (403 not_the_approver); a change without an assessment keeps
// the rule it always had (any client-side stakeholder).
//
// Rules: any current stakeholder assesses an open change (again, to
// revise it), in any phase but closed; the cost is in minor units of a
// three-letter currency, given when the cost is not zero; the approver is
// a current client-side stakeholder; the date is not before the opening.
// Only the named approver delegates, to another current client-side
// stakeholder.

// Wire names of the change impact events.
const (
	TypeChangeImpactAssessed    = "change.impact_assessed"
	TypeChangeApprovalDelegated = "change.approval_delegated"
)

// AssessChangeImpact records what an open change costs in time and money,
// and who on the client side must approve it, by when.
type AssessChangeImpact struct {
	ActorID string `json:"-"`
	Claim
	ChangeID           string    `json:"change_id"`
	ScheduleImpactDays int       `json:"schedule_impact_days"`
	CostImpact         int64     `json:"cost_impact"` // minor units
	Currency           string    `json:"currency,omitempty"`
	ApproverID         string    `json:"approver_id"`
	ApproveBy          time.Time `json:"approve_by"`
}

// DelegateChangeApproval: the named approver hands the approval of a change
// to another client-side stakeholder.
type DelegateChangeApproval struct {
	ActorID string `json:"-"`
	Claim
	ChangeID   string `json:"change_id"`
	DelegateID string `json:"delegate_id"`
}

func (c AssessChangeImpact) Actor() string     { return c.ActorID }
func (c DelegateChangeApproval) Actor() string { return c.ActorID }

// ChangeImpactAssessed: the change's schedule and cost impact, and who must
// approve it by ApproveBy. A later assessment replaces an earlier one (and
// any delegation).
type ChangeImpactAssessed struct {
	Header
	ChangeID           string    `json:"change_id"`
	ScheduleImpactDays int64     `json:"schedule_impact_days"`
	CostImpact         int64     `json:"cost_impact"`
	Currency           string    `json:"currency,omitempty"`
	ApproverID         string    `json:"approver_id"`
	ApproveBy          time.Time `json:"approve_by"`
}

// ChangeApprovalDelegated: DelegateID may approve or reject the change in
// the approver's stead (the approver still may).
type ChangeApprovalDelegated struct {
	Header
	ChangeID   string `json:"change_id"`
	DelegateID string `json:"delegate_id"`
}

func (ChangeImpactAssessed) EventType() string    { return TypeChangeImpactAssessed }
func (ChangeApprovalDelegated) EventType() string { return TypeChangeApprovalDelegated }

// ChangeImpact is the latest assessment of a change request.
type ChangeImpact struct {
	ScheduleImpactDays int64     `json:"schedule_impact_days"`
	CostImpact         int64     `json:"cost_impact"`
	Currency           string    `json:"currency,omitempty"`
	ApproverID         string    `json:"approver_id"`
	ApproveBy          time.Time `json:"approve_by"`
	DelegateID         string    `json:"delegate_id,omitempty"`
	AssessedBy         string    `json:"assessed_by"`
	AssessedAt         time.Time `json:"assessed_at"`
}

// MayDecide reports whether stakeholder id may approve or reject the
// change: anyone (of the client side) without an assessment, else the
// approver or their delegate.
func (c *ChangeRequest) MayDecide(id string) bool {
	return c.Impact == nil || c.Impact.ApproverID == id || (c.Impact.DelegateID != "" && c.Impact.DelegateID == id)
}

func (d *decider) openChangeOf(what, id string) (*ChangeRequest, error) {
	if err := d.allow(what, anySide, anyOpenPhase); err != nil {
		return nil, err
	}
	return waiting(d.s.changes, CodeChangeNotFound, "change", id, CodeChangeNotOpen)
}

// clientStakeholder is a current stakeholder of the client side.
func (d *decider) clientStakeholder(field, id string) (*Stakeholder, error) {
	x, err := d.currentStakeholder(field, id)
	if err != nil {
		return nil, err
	}
	if !x.ClientSide() {
		return nil, invalid(CodeNotClientSide, field, "%s must be a client-side stakeholder; %q is on the %s side", field, x.ID, x.Party)
	}
	return x, nil
}

func (d *decider) assessChangeImpact(c AssessChangeImpact) ([]Event, error) {
	x, err := d.openChangeOf("assessing a change", c.ChangeID)
	if err != nil {
		return nil, err
	}
	if c.CostImpact != 0 && !validCurrency(c.Currency) {
		return nil, invalid(CodeInvalidCurrency, "currency", "currency is a three-letter ISO 4217 code such as EUR")
	}
	who, err := d.clientStakeholder("approver_id", c.ApproverID)
	if err != nil {
		return nil, err
	}
	by, err := d.dueDate("approve_by", c.ApproveBy)
	if err != nil {
		return nil, err
	}
	return one(&ChangeImpactAssessed{Header: d.h(), ChangeID: x.ID, ScheduleImpactDays: int64(c.ScheduleImpactDays),
		CostImpact: c.CostImpact, Currency: c.Currency, ApproverID: who.ID, ApproveBy: by})
}

func (d *decider) delegateChangeApproval(c DelegateChangeApproval) ([]Event, error) {
	x, err := d.openChangeOf("delegating a change's approval", c.ChangeID)
	if err != nil {
		return nil, err
	}
	if x.Impact == nil || x.Impact.ApproverID != d.actor.ID {
		return nil, forbidden(CodeNotTheApprover, "only the change's named approver delegates its approval")
	}
	to, err := d.clientStakeholder("delegate_id", c.DelegateID)
	if err != nil {
		return nil, err
	}
	return one(&ChangeApprovalDelegated{Header: d.h(), ChangeID: x.ID, DelegateID: to.ID})
}

// checkApprover holds the approver rule for approving or rejecting x.
func (d *decider) checkApprover(x *ChangeRequest) error {
	if !x.MayDecide(d.actor.ID) {
		return forbidden(CodeNotTheApprover, "change %q is for %q to approve (or their delegate), not %q", x.ID, x.Impact.ApproverID, d.actor.ID)
	}
	return nil
}

func applyChangeImpactAssessed(s *Engagement, e *ChangeImpactAssessed, h *Header) error {
	x, err := need(s.changes, "change", e.ChangeID)
	if err != nil {
		return err
	}
	if err := s.stakeholderRefs([]string{e.ApproverID}); err != nil {
		return err
	}
	x.Impact = &ChangeImpact{ScheduleImpactDays: e.ScheduleImpactDays, CostImpact: e.CostImpact, Currency: e.Currency,
		ApproverID: e.ApproverID, ApproveBy: e.ApproveBy, AssessedBy: h.ActorID, AssessedAt: h.At}
	return nil
}

func applyChangeApprovalDelegated(s *Engagement, e *ChangeApprovalDelegated, _ *Header) error {
	x, err := need(s.changes, "change", e.ChangeID)
	if err != nil {
		return err
	}
	if x.Impact == nil {
		return cannotApply("change %q delegated before it was assessed", e.ChangeID)
	}
	if err := s.stakeholderRefs([]string{e.DelegateID}); err != nil {
		return err
	}
	x.Impact.DelegateID = e.DelegateID
	return nil
}
