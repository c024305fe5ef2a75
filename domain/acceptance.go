package domain

import (
	"slices"
	"time"
)

// Acceptance criteria: what a requirement must do to be accepted, agreed
// with the client before the work is handed over. A delivery is then
// accepted or rejected against the criteria of the requirements it
// delivers, criterion by criterion; a rejected delivery is delivered again
// as a new version, judged afresh.
//
// Rules: any current stakeholder defines a criterion of a requirement, from
// scoping on; one defined by a client-side stakeholder is agreed at once,
// one defined by the supplier side waits until a client-side stakeholder
// agrees it. The criteria of a delivery's version are the agreed criteria
// of its requirements, agreed no later than that version was delivered
// (one agreed afterwards counts from the next version). Accepting or
// rejecting a delivery that has criteria gives a verdict on each of them
// and on no other (criteria_incomplete, criterion_not_of_delivery);
// accepting needs every one met (criterion_not_met), rejecting at least
// one unmet (no_criterion_unmet); none is judged twice
// (criterion_judged_twice). A delivery without criteria is accepted
// or rejected as before, with no verdicts. Only a rejected delivery is
// delivered again, by the supplier side, from delivery on.

// Statuses of acceptance criteria (StatusAgreed is their second).
const (
	StatusAgreed Status = "agreed" // acceptance criteria; proposed until then
)

// Wire names of the acceptance events.
const (
	TypeCriterionDefined    = "acceptance_criterion.defined"
	TypeCriterionAgreed     = "acceptance_criterion.agreed"
	TypeDeliveryRedelivered = "delivery.redelivered"
)

// ---- commands ----------------------------------------------------------------

// DefineAcceptanceCriterion states what a requirement must do to be
// accepted.
type DefineAcceptanceCriterion struct {
	ActorID string `json:"-"`
	Claim
	CriterionID   string `json:"criterion_id"`
	RequirementID string `json:"requirement_id"`
	Text          string `json:"text"`
}

// AgreeAcceptanceCriterion: the client agrees a criterion the supplier
// side proposed.
type AgreeAcceptanceCriterion struct {
	ActorID string `json:"-"`
	Claim
	CriterionID   string `json:"criterion_id"`
	RequirementID string `json:"requirement_id"`
	Comment       string `json:"comment,omitempty"`
}

// RedeliverDelivery hands a rejected delivery over again, as its next
// version, saying what changed.
type RedeliverDelivery struct {
	ActorID string `json:"-"`
	Claim
	DeliveryID string `json:"delivery_id"`
	Changes    string `json:"changes"`
}

func (c DefineAcceptanceCriterion) Actor() string { return c.ActorID }
func (c AgreeAcceptanceCriterion) Actor() string  { return c.ActorID }
func (c RedeliverDelivery) Actor() string         { return c.ActorID }

// Verdicts judge each acceptance criterion of a delivery's version, met or
// not; they are given when accepting or rejecting it, and kept in the
// event and the delivery.
type Verdicts struct {
	CriteriaMet   []string `json:"criteria_met,omitempty"`
	CriteriaUnmet []string `json:"criteria_unmet,omitempty"`
}

func (v Verdicts) clone() Verdicts {
	return Verdicts{CriteriaMet: list(v.CriteriaMet), CriteriaUnmet: list(v.CriteriaUnmet)}
}

// ---- events ------------------------------------------------------------------

// CriterionDefined: a criterion of a requirement; AgreedBy is set when a
// client-side stakeholder defined it (then it is agreed at once).
type CriterionDefined struct {
	Header
	CriterionID   string `json:"criterion_id"`
	RequirementID string `json:"requirement_id"`
	Text          string `json:"text"`
	AgreedBy      string `json:"agreed_by,omitempty"`
}

// CriterionAgreed: the client agreed a proposed criterion.
type CriterionAgreed struct {
	Header
	CriterionID string `json:"criterion_id"`
	Comment     string `json:"comment,omitempty"`
}

// DeliveryRedelivered: a rejected delivery is handed over again as
// Version, and awaits acceptance.
type DeliveryRedelivered struct {
	Header
	DeliveryID string `json:"delivery_id"`
	Version    int64  `json:"version"`
	Changes    string `json:"changes"`
}

func (CriterionDefined) EventType() string    { return TypeCriterionDefined }
func (CriterionAgreed) EventType() string     { return TypeCriterionAgreed }
func (DeliveryRedelivered) EventType() string { return TypeDeliveryRedelivered }

// ---- state -------------------------------------------------------------------

// AcceptanceCriterion is one criterion of a requirement.
type AcceptanceCriterion struct {
	ID            string    `json:"id"`
	RequirementID string    `json:"requirement_id"`
	Text          string    `json:"text"`
	Status        Status    `json:"status"` // proposed, agreed
	DefinedBy     string    `json:"defined_by"`
	DefinedAt     time.Time `json:"defined_at"`
	AgreedBy      string    `json:"agreed_by,omitempty"`
	AgreedAt      time.Time `json:"agreed_at,omitzero"`
	Comment       string    `json:"comment,omitempty"`
	// Claimed moments of the definition and of the agreement, if given.
	DefinedOccurredAt time.Time `json:"defined_occurred_at,omitzero"`
	AgreedOccurredAt  time.Time `json:"agreed_occurred_at,omitzero"`
}

// DeliveryVersions is a delivery's versions and the verdicts of its last
// judgement; it is embedded in Delivery, whose other fields describe the
// first handover and the current status.
type DeliveryVersions struct {
	// Version is the current version: 1, then one more per redelivery.
	Version int64 `json:"version"`
	// Verdicts of the current version's acceptance or rejection, criterion
	// by criterion (none for a delivery without criteria).
	Verdicts
	// The current version's handover, when it is not the first.
	RedeliveredBy         string    `json:"redelivered_by,omitempty"`
	RedeliveredAt         time.Time `json:"redelivered_at,omitzero"`
	RedeliveredOccurredAt time.Time `json:"redelivered_occurred_at,omitzero"`
	Changes               string    `json:"changes,omitempty"`
	// Earlier versions, oldest first, each as it was judged.
	Earlier []DeliveryVersion `json:"earlier_versions,omitempty"`
}

// DeliveryVersion is an earlier version of a delivery, rejected.
type DeliveryVersion struct {
	Version     int64     `json:"version"`
	DeliveredBy string    `json:"delivered_by"`
	DeliveredAt time.Time `json:"delivered_at"`
	Status      Status    `json:"status"`
	ResolvedBy  string    `json:"resolved_by,omitempty"`
	ResolvedAt  time.Time `json:"resolved_at,omitzero"`
	Comment     string    `json:"comment,omitempty"`
	Verdicts
}

// handedOverAt is when the delivery's current version was recorded.
func (x *Delivery) handedOverAt() time.Time {
	if x.Version > 1 {
		return x.RedeliveredAt
	}
	return x.DeliveredAt
}

// Criterion returns an acceptance criterion by id.
func (s *Engagement) Criterion(id string) (*AcceptanceCriterion, bool) { return lookup(s.criteria, id) }

// CriteriaOf returns the criteria of a requirement, in order.
func (s *Engagement) CriteriaOf(requirementID string) []*AcceptanceCriterion {
	out := []*AcceptanceCriterion{}
	for _, c := range s.Criteria {
		if c.RequirementID == requirementID {
			out = append(out, c)
		}
	}
	return out
}

// DueCriteria returns the criteria the current version of a delivery is
// judged against: the agreed criteria of its requirements, agreed no later
// than the version was handed over.
func (s *Engagement) DueCriteria(x *Delivery) []*AcceptanceCriterion {
	var out []*AcceptanceCriterion
	by := x.handedOverAt()
	for _, c := range s.Criteria {
		if c.Status == StatusAgreed && !c.AgreedAt.After(by) && slices.Contains(x.RequirementIDs, c.RequirementID) {
			out = append(out, c)
		}
	}
	return out
}

// ---- rules -------------------------------------------------------------------

func (d *decider) defineCriterion(c DefineAcceptanceCriterion) ([]Event, error) {
	if err := d.allow("defining an acceptance criterion", anySide, working); err != nil {
		return nil, err
	}
	if err := first(d.newID("criterion_id", c.CriterionID), required("text", c.Text)); err != nil {
		return nil, err
	}
	r, err := get(d.s.requirements, CodeRequirementNotFound, "requirement_id", "requirement", c.RequirementID)
	if err != nil {
		return nil, err
	}
	e := &CriterionDefined{Header: d.h(), CriterionID: c.CriterionID, RequirementID: r.ID, Text: c.Text}
	if d.actor.ClientSide() {
		e.AgreedBy = d.actor.ID
	}
	return one(e)
}

func (d *decider) agreeCriterion(c AgreeAcceptanceCriterion) ([]Event, error) {
	if err := d.allow("agreeing an acceptance criterion", clientSide, working); err != nil {
		return nil, err
	}
	x, err := get(d.s.criteria, CodeCriterionNotFound, "criterion_id", "acceptance criterion", c.CriterionID)
	if err != nil {
		return nil, err
	}
	if c.RequirementID != "" && x.RequirementID != c.RequirementID {
		return nil, notFound(CodeCriterionNotFound, "criterion_id", "acceptance criterion %q is not of requirement %q", x.ID, c.RequirementID)
	}
	if x.Status == StatusAgreed {
		return nil, conflict(CodeCriterionAlreadyAgreed, "acceptance criterion %q is already agreed", x.ID)
	}
	return one(&CriterionAgreed{Header: d.h(), CriterionID: x.ID, Comment: c.Comment})
}

// judge checks the verdicts given when accepting (or rejecting) delivery x
// and returns them as the event keeps them.
func (d *decider) judge(x *Delivery, v Verdicts, accepting bool) (Verdicts, error) {
	due := d.s.DueCriteria(x)
	all := append(slices.Clone(v.CriteriaMet), v.CriteriaUnmet...)
	for i, id := range all {
		field := item("criteria_met", i)
		if i >= len(v.CriteriaMet) {
			field = item("criteria_unmet", i-len(v.CriteriaMet))
		}
		if slices.Contains(all[:i], id) {
			return Verdicts{}, invalid(CodeCriterionJudgedTwice, field, "acceptance criterion %q is judged twice", id)
		}
		if _, err := get(d.s.criteria, CodeCriterionNotFound, field, "acceptance criterion", id); err != nil {
			return Verdicts{}, err
		}
		if !slices.ContainsFunc(due, func(c *AcceptanceCriterion) bool { return c.ID == id }) {
			return Verdicts{}, invalid(CodeCriterionNotOfDelivery, field,
				"acceptance criterion %q is not one of this version's: not agreed, before it was handed over, for a requirement it delivers", id)
		}
	}
	for _, c := range due {
		if !slices.Contains(all, c.ID) {
			return Verdicts{}, invalid(CodeCriteriaIncomplete, "criteria_met",
				"delivery %q is judged against each of its acceptance criteria: %q is neither met nor unmet", x.ID, c.ID)
		}
	}
	if accepting && len(v.CriteriaUnmet) > 0 {
		return Verdicts{}, invalid(CodeCriterionNotMet, "criteria_unmet",
			"delivery %q cannot be accepted with acceptance criterion %q unmet: reject it", x.ID, v.CriteriaUnmet[0])
	}
	if !accepting && len(due) > 0 && len(v.CriteriaUnmet) == 0 {
		return Verdicts{}, invalid(CodeNoCriterionUnmet, "criteria_unmet",
			"delivery %q meets every acceptance criterion: a rejection names one it does not meet (or raise a need at delivery)", x.ID)
	}
	return v.clone(), nil
}

func (d *decider) redeliver(c RedeliverDelivery) ([]Event, error) {
	if err := d.allow("delivering again", supplierSide, deliveryPhases); err != nil {
		return nil, err
	}
	x, err := get(d.s.deliveries, CodeDeliveryNotFound, "delivery_id", "delivery", c.DeliveryID)
	if err != nil {
		return nil, err
	}
	if x.Status != StatusRejected {
		return nil, conflict(CodeDeliveryNotRejected, "delivery %q is %s: only a rejected delivery is delivered again", x.ID, x.Status)
	}
	if err := required("changes", c.Changes); err != nil {
		return nil, err
	}
	return one(&DeliveryRedelivered{Header: d.h(), DeliveryID: x.ID, Version: x.Version + 1, Changes: c.Changes})
}

// ---- appliers ----------------------------------------------------------------

func applyCriterionDefined(s *Engagement, e *CriterionDefined, h *Header) error {
	if err := s.fresh(e.CriterionID); err != nil {
		return err
	}
	if _, err := need(s.requirements, "requirement", e.RequirementID); err != nil {
		return err
	}
	x := &AcceptanceCriterion{ID: e.CriterionID, RequirementID: e.RequirementID, Text: e.Text, Status: StatusProposed,
		DefinedBy: h.ActorID, DefinedAt: h.At, DefinedOccurredAt: h.OccurredAt}
	if e.AgreedBy != "" {
		x.Status, x.AgreedBy, x.AgreedAt, x.AgreedOccurredAt = StatusAgreed, e.AgreedBy, h.At, h.OccurredAt
	}
	s.Criteria = append(s.Criteria, x)
	s.criteria[x.ID] = x
	s.created(x.ID, "acceptance_criterion", h.Occurred())
	return nil
}

func applyCriterionAgreed(s *Engagement, e *CriterionAgreed, h *Header) error {
	x, err := need(s.criteria, "acceptance criterion", e.CriterionID)
	if err != nil {
		return err
	}
	x.Status, x.AgreedBy, x.AgreedAt, x.AgreedOccurredAt, x.Comment = StatusAgreed, h.ActorID, h.At, h.OccurredAt, e.Comment
	return nil
}

func applyDeliveryRedelivered(s *Engagement, e *DeliveryRedelivered, h *Header) error {
	x, err := need(s.deliveries, "delivery", e.DeliveryID)
	if err != nil {
		return err
	}
	by, at := x.DeliveredBy, x.DeliveredAt
	if x.Version > 1 {
		by, at = x.RedeliveredBy, x.RedeliveredAt
	}
	x.Earlier = append(x.Earlier, DeliveryVersion{Version: x.Version, DeliveredBy: by, DeliveredAt: at, Status: x.Status,
		ResolvedBy: x.ResolvedBy, ResolvedAt: x.ResolvedAt, Comment: x.Comment, Verdicts: x.Verdicts})
	x.Version, x.RedeliveredBy, x.RedeliveredAt, x.RedeliveredOccurredAt, x.Changes = e.Version, h.ActorID, h.At, h.OccurredAt, e.Changes
	x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment, x.Verdicts = StatusAwaiting, "", time.Time{}, time.Time{}, "", Verdicts{}
	return nil
}

func (v DeliveryVersions) clone() DeliveryVersions {
	v.Verdicts = v.Verdicts.clone()
	v.Earlier = slices.Clone(v.Earlier)
	for i := range v.Earlier {
		v.Earlier[i].Verdicts = v.Earlier[i].Verdicts.clone()
	}
	return v
}

// criteriaRefusals are what judging the criteria may refuse an acceptance
// or a rejection with (see Refusals).
func criteriaRefusals(cmd Command) []string {
	codes := []string{CodeCriterionJudgedTwice, CodeFieldRequired, CodeCriterionNotFound, CodeCriterionNotOfDelivery, CodeCriteriaIncomplete}
	if _, ok := cmd.(AcceptDelivery); ok {
		return append(codes, CodeCriterionNotMet)
	}
	return append(codes, CodeNoCriterionUnmet)
}
