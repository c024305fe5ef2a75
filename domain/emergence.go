package domain

import (
	"slices"
	"time"
)

// The emergence family: the experts the supplier brings in, the client
// joining the discussion, and the agreement that ends it.

func (d *decider) inviteExpert(c InviteExpert) ([]Event, error) {
	if err := d.allow("inviting an expert", supplierSide, []Phase{PhaseEmergence}); err != nil {
		return nil, err
	}
	if err := first(d.newID("expert_id", c.ExpertID), required("name", c.Name), checkEmail("email", c.Email)); err != nil {
		return nil, err
	}
	return one(&ExpertInvited{Header: d.h(), ExpertID: c.ExpertID, Name: c.Name, Email: c.Email, Expertise: c.Expertise})
}

func (d *decider) commitExpert(c CommitExpert) ([]Event, error) {
	if err := d.allow("committing an expert", supplierSide, []Phase{PhaseEmergence}); err != nil {
		return nil, err
	}
	x, err := get(d.s.experts, CodeExpertNotFound, "expert_id", "expert", c.ExpertID)
	if err != nil {
		return nil, err
	}
	switch x.Status {
	case StatusCommitted:
		return nil, conflict(CodeExpertAlreadyCommitted, "expert %q has already committed", x.ID)
	case StatusWithdrawn:
		return nil, conflict(CodeExpertWithdrawn, "expert %q has withdrawn", x.ID)
	}
	return one(&ExpertCommitted{Header: d.h(), ExpertID: x.ID})
}

func (d *decider) withdrawExpert(c WithdrawExpert) ([]Event, error) {
	if err := d.allow("withdrawing an expert", supplierSide, anyOpenPhase); err != nil {
		return nil, err
	}
	x, err := get(d.s.experts, CodeExpertNotFound, "expert_id", "expert", c.ExpertID)
	if err != nil {
		return nil, err
	}
	if x.Status == StatusWithdrawn {
		return nil, conflict(CodeExpertWithdrawn, "expert %q has already withdrawn", x.ID)
	}
	return one(&ExpertWithdrew{Header: d.h(), ExpertID: x.ID, Reason: c.Reason})
}

func (d *decider) joinDiscussion(c JoinDiscussion) ([]Event, error) {
	if err := d.allow("joining the discussion", clientSide, []Phase{PhaseEmergence}); err != nil {
		return nil, err
	}
	if d.s.ClientInDiscussion {
		return nil, conflict(CodeAlreadyInDiscussion, "the client has already joined the discussion")
	}
	return one(&ClientJoinedDiscussion{Header: d.h(), Note: c.Note})
}

func (d *decider) signAgreement(c SignAgreement) ([]Event, error) {
	if err := d.allow("signing the agreement", []Party{PartyClient, PartySupplier}, []Phase{PhaseEmergence, PhaseScoping}); err != nil {
		return nil, err
	}
	if d.s.Agreement != nil {
		return nil, conflict(CodeAgreementAlreadySigned, "the agreement was signed on %s", d.s.Agreement.SignedAt.Format(time.DateOnly))
	}
	if err := d.newID("agreement_id", c.AgreementID); err != nil {
		return nil, err
	}
	signers, err := d.currentStakeholders("signatories", c.Signatories)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(signers, isClient) || !slices.ContainsFunc(signers, isSupplier) {
		return nil, invalid(CodeSignatoriesIncomplete, "signatories", "the agreement is signed by at least one client-side and one supplier-side stakeholder")
	}
	return one(&AgreementSigned{Header: d.h(), AgreementID: c.AgreementID, Reference: c.Reference, Signatories: slices.Clone(c.Signatories)})
}

func applyExpertInvited(s *Engagement, e *ExpertInvited, h *Header) error {
	if err := s.fresh(e.ExpertID); err != nil {
		return err
	}
	x := &Expert{
		ID: e.ExpertID, Name: e.Name, Email: e.Email, Expertise: e.Expertise,
		Status: StatusInvited, InvitedBy: h.ActorID, InvitedAt: h.At, ChangedAt: h.At, InvitedOccurredAt: h.OccurredAt, ChangedOccurredAt: h.OccurredAt,
	}
	s.Experts = append(s.Experts, x)
	s.experts[x.ID] = x
	s.created(x.ID, "expert", h.Occurred())
	return nil
}

func applyExpertCommitted(s *Engagement, e *ExpertCommitted, h *Header) error {
	x, err := need(s.experts, "expert", e.ExpertID)
	if err != nil {
		return err
	}
	x.Status, x.ChangedAt, x.ChangedOccurredAt = StatusCommitted, h.At, h.OccurredAt
	return nil
}

func applyExpertWithdrew(s *Engagement, e *ExpertWithdrew, h *Header) error {
	x, err := need(s.experts, "expert", e.ExpertID)
	if err != nil {
		return err
	}
	x.Status, x.ChangedAt, x.ChangedOccurredAt, x.Reason = StatusWithdrawn, h.At, h.OccurredAt, e.Reason
	return nil
}

func applyClientJoinedDiscussion(s *Engagement, e *ClientJoinedDiscussion, _ *Header) error {
	s.ClientInDiscussion = true
	return nil
}

func applyAgreementSigned(s *Engagement, e *AgreementSigned, h *Header) error {
	if err := s.fresh(e.AgreementID); err != nil {
		return err
	}
	if err := s.stakeholderRefs(e.Signatories); err != nil {
		return err
	}
	s.Agreement = &Agreement{ID: e.AgreementID, Reference: e.Reference, Signatories: slices.Clone(e.Signatories), SignedAt: h.At, SignedOccurredAt: h.OccurredAt}
	s.created(e.AgreementID, "agreement", h.Occurred())
	return nil
}
