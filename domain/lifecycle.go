package domain

import (
	"slices"
	"time"
)

// The lifecycle family: opening an engagement, advancing it through its
// phases (each behind a gate), closing it, and the lessons learned on the
// way. Decide dispatches here through its switch (decide.go).

func (d *decider) advancePhase(c AdvancePhase) ([]Event, error) {
	if err := d.allow("advancing the phase", anySide, anyOpenPhase); err != nil {
		return nil, err
	}
	if c.To == PhaseClosed {
		return nil, invalid(CodeInvalidPhase, "to", "an engagement is closed with CloseEngagement, not by advancing its phase")
	}
	if !c.To.Valid() {
		return nil, invalid(CodeInvalidPhase, "to", "%q is not a phase", c.To)
	}
	if c.To != d.s.Phase.Next() {
		return nil, conflict(CodePhaseNotNext, "from %s the next phase is %s, not %s", d.s.Phase, d.s.Phase.Next(), c.To)
	}
	if err := d.gate(c.To); err != nil {
		return nil, err
	}
	return one(&PhaseAdvanced{Header: d.h(), From: d.s.Phase, To: c.To})
}

func (d *decider) closeEngagement(c CloseEngagement) ([]Event, error) {
	if err := d.allow("closing the engagement", anySide, []Phase{PhaseAcceptance}); err != nil {
		return nil, err
	}
	if c.RetentionDays < 0 || c.RetentionDays > MaxRetentionDays {
		return nil, invalid(CodeInvalidNumber, "retention_days", "retention_days must be from 1 to %d days", MaxRetentionDays)
	}
	if n := len(d.s.AwaitingAcceptance()); n > 0 {
		return nil, conflict(CodeDeliveriesAwaiting, "%d deliveries still await acceptance", n)
	}
	return one(&EngagementClosed{Header: d.h(), Summary: c.Summary, RetentionDays: int64(c.RetentionDays)})
}

func (d *decider) recordLesson(c RecordLesson) ([]Event, error) {
	if err := d.allow("recording a lesson", anySide, anyOpenPhase); err != nil {
		return nil, err
	}
	if err := first(d.newID("lesson_id", c.LessonID), required("text", c.Text)); err != nil {
		return nil, err
	}
	return one(&LessonRecorded{Header: d.h(), LessonID: c.LessonID, Text: c.Text})
}

func decideOpen(s *Engagement, c OpenEngagement, now time.Time) ([]Event, error) {
	if s != nil {
		return nil, conflict(CodeEngagementExists, "engagement %q is already opened", s.ID)
	}
	o := c.Opener
	if c.ActorID != "" && c.ActorID != o.StakeholderID {
		return nil, forbidden(CodeActorNotStakeholder, "the actor who opens an engagement must be its opener")
	}
	if err := first(
		checkID("engagement_id", c.EngagementID),
		required("title", c.Title),
		required("client_name", c.ClientName),
		required("supplier_name", c.SupplierName),
		checkID("opener.stakeholder_id", o.StakeholderID),
		required("opener.name", o.Name),
		checkEmail("opener.email", o.Email),
	); err != nil {
		return nil, err
	}
	if o.Party != PartyClient && o.Party != PartySupplier {
		return nil, invalid(CodeInvalidParty, "opener.party", "the opener is on the client or the supplier side (the provider joins later)")
	}
	if o.StakeholderID == c.EngagementID {
		e := conflict(CodeDuplicateID, "the opener's id %q is the engagement's id", o.StakeholderID)
		e.Field = "opener.stakeholder_id"
		return nil, e
	}
	h := Header{EngagementID: c.EngagementID, ActorID: o.StakeholderID, At: now}
	return []Event{
		&EngagementOpened{Header: h, Title: c.Title, Description: c.Description, ClientName: c.ClientName, SupplierName: c.SupplierName},
		&StakeholderJoined{
			Header: h, StakeholderID: o.StakeholderID, Party: o.Party, Name: o.Name, Email: o.Email,
			Role: o.Role, PrincipalID: o.PrincipalID,
		},
	}, nil
}

// gate holds the conditions for entering a phase:
//   - scoping: a current client-side stakeholder (the client is in the
//     discussion before anything is scoped);
//   - delivery: a signed agreement;
//   - acceptance: at least one delivery made.
func (d *decider) gate(to Phase) error {
	switch to {
	case PhaseScoping:
		if !slices.ContainsFunc(d.s.CurrentStakeholders(), isClient) {
			return conflict(CodeNoClientStakeholder, "scoping needs the client: no client-side stakeholder is in the engagement")
		}
	case PhaseDelivery:
		if d.s.Agreement == nil {
			return conflict(CodeAgreementNotSigned, "delivery starts once the agreement is signed")
		}
	case PhaseAcceptance:
		if len(d.s.Deliveries) == 0 {
			return conflict(CodeNoDeliveryMade, "acceptance needs at least one delivery")
		}
	}
	return nil
}

func applyPhaseAdvanced(s *Engagement, e *PhaseAdvanced, h *Header) error {
	if !e.To.Valid() {
		return cannotApply("unknown phase %q", e.To)
	}
	s.Phase = e.To
	s.PhaseHistory = append(s.PhaseHistory, PhaseChange{Phase: e.To, At: h.At})
	return nil
}

func applyEngagementClosed(s *Engagement, e *EngagementClosed, h *Header) error {
	s.Phase, s.ClosedAt, s.Summary, s.RetentionDays = PhaseClosed, h.At, e.Summary, e.RetentionDays
	s.PhaseHistory = append(s.PhaseHistory, PhaseChange{Phase: PhaseClosed, At: h.At})
	return nil
}

func applyLessonRecorded(s *Engagement, e *LessonRecorded, h *Header) error {
	if err := s.fresh(e.LessonID); err != nil {
		return err
	}
	s.Lessons = append(s.Lessons, &Lesson{ID: e.LessonID, Text: e.Text, RecordedBy: h.ActorID, RecordedAt: h.At})
	s.created(e.LessonID, "lesson", h.Occurred())
	return nil
}
