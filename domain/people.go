package domain

import "slices"

// The people family: the parties, their perimeters, and the stakeholders
// who join, are briefed and leave.

func (d *decider) joinParty(c JoinParty) ([]Event, error) {
	if err := d.allow("bringing a party in", anySide, anyOpenPhase); err != nil {
		return nil, err
	}
	if !c.Party.Valid() {
		return nil, invalid(CodeInvalidParty, "party", "%q is not a party", c.Party)
	}
	if err := required("name", c.Name); err != nil {
		return nil, err
	}
	if _, ok := d.s.Party(c.Party); ok {
		return nil, conflict(CodePartyAlreadyJoined, "the %s party has already joined", c.Party)
	}
	return one(&PartyJoined{Header: d.h(), Party: c.Party, Name: c.Name})
}

func (d *decider) definePerimeter(c DefinePerimeter) ([]Event, error) {
	if err := d.allow("defining a perimeter", anySide, anyOpenPhase); err != nil {
		return nil, err
	}
	if !c.Party.Valid() {
		return nil, invalid(CodeInvalidParty, "party", "%q is not a party", c.Party)
	}
	if err := required("description", c.Description); err != nil {
		return nil, err
	}
	if _, ok := d.s.Party(c.Party); !ok {
		return nil, notFound(CodePartyNotFound, "party", "the %s party has not joined", c.Party)
	}
	return one(&PerimeterDefined{Header: d.h(), Party: c.Party, Description: c.Description,
		Includes: list(c.Includes), Excludes: list(c.Excludes)})
}

func (d *decider) addStakeholder(c AddStakeholder) ([]Event, error) {
	if err := d.allow("adding a stakeholder", anySide, anyOpenPhase); err != nil {
		return nil, err
	}
	n := c.NewStakeholder
	if err := first(d.newID("stakeholder_id", n.StakeholderID), required("name", n.Name), checkEmail("email", n.Email)); err != nil {
		return nil, err
	}
	if !n.Party.Valid() {
		return nil, invalid(CodeInvalidParty, "party", "%q is not a party", n.Party)
	}
	if _, ok := d.s.Party(n.Party); !ok {
		return nil, notFound(CodePartyNotFound, "party", "the %s party has not joined", n.Party)
	}
	if x, ok := d.s.StakeholderByPrincipal(n.PrincipalID); ok {
		e := conflict(CodePrincipalTaken, "principal %q is already stakeholder %q", n.PrincipalID, x.ID)
		e.Field = "principal_id"
		return nil, e
	}
	return one(&StakeholderJoined{
		Header: d.h(), StakeholderID: n.StakeholderID, Party: n.Party, Name: n.Name, Email: n.Email,
		Role: n.Role, PrincipalID: n.PrincipalID, Late: d.s.Phase != PhaseEmergence,
	})
}

func (d *decider) briefStakeholder(c BriefStakeholder) ([]Event, error) {
	if err := d.allow("briefing a stakeholder", anySide, anyOpenPhase); err != nil {
		return nil, err
	}
	x, err := get(d.s.stakeholders, CodeStakeholderNotFound, "stakeholder_id", "stakeholder", c.StakeholderID)
	if err != nil {
		return nil, err
	}
	if err := required("summary", c.Summary); err != nil {
		return nil, err
	}
	if x.ID == d.actor.ID {
		return nil, invalid(CodeCannotBriefSelf, "stakeholder_id", "a stakeholder is briefed by someone else")
	}
	if x.Left {
		return nil, conflict(CodeStakeholderLeft, "stakeholder %q has left the engagement", x.ID)
	}
	if x.Briefed {
		return nil, conflict(CodeAlreadyBriefed, "stakeholder %q is already briefed", x.ID)
	}
	return one(&StakeholderBriefed{Header: d.h(), StakeholderID: x.ID, Summary: c.Summary})
}

func (d *decider) removeStakeholder(c RemoveStakeholder) ([]Event, error) {
	if err := d.allow("removing a stakeholder", anySide, anyOpenPhase); err != nil {
		return nil, err
	}
	x, err := get(d.s.stakeholders, CodeStakeholderNotFound, "stakeholder_id", "stakeholder", c.StakeholderID)
	if err != nil {
		return nil, err
	}
	// A party manages its own people: each knows who works for it, and
	// removing someone takes a voice away from their side (the client
	// who would reject a delivery, the supplier's lead who discloses
	// delays). So a stakeholder removes themselves or someone of their
	// own party, never someone of another party (provider and
	// supplier are two parties). Adding stays open to any side: the
	// supplier brings in the client's first stakeholder.
	if x.Party != d.actor.Party {
		return nil, forbidden(CodeOtherPartysStakeholder, "%q (%s) may not remove %q of the %s party: a party manages its own people",
			d.actor.ID, d.actor.Party, x.ID, x.Party)
	}
	if x.Left {
		return nil, conflict(CodeStakeholderLeft, "stakeholder %q has already left", x.ID)
	}
	return one(&StakeholderLeft{Header: d.h(), StakeholderID: x.ID, Reason: c.Reason})
}

func applyPartyJoined(s *Engagement, e *PartyJoined, h *Header) error {
	if _, ok := s.Party(e.Party); ok {
		return cannotApply("party %q already joined", e.Party)
	}
	s.Parties = append(s.Parties, &PartyInfo{Party: e.Party, Name: e.Name, JoinedAt: h.At, JoinedOccurredAt: h.OccurredAt})
	return nil
}

func applyPerimeterDefined(s *Engagement, e *PerimeterDefined, h *Header) error {
	p, ok := s.Party(e.Party)
	if !ok {
		return cannotApply("unknown party %q", e.Party)
	}
	p.Perimeter = &Perimeter{
		Description: e.Description,
		Includes:    slices.Clone(e.Includes),
		Excludes:    slices.Clone(e.Excludes),
		DefinedBy:   h.ActorID,
		DefinedAt:   h.At,

		DefinedOccurredAt: h.OccurredAt,
	}
	return nil
}

func applyStakeholderJoined(s *Engagement, e *StakeholderJoined, h *Header) error {
	if err := s.fresh(e.StakeholderID); err != nil {
		return err
	}
	x := &Stakeholder{
		ID: e.StakeholderID, Party: e.Party, Name: e.Name, Email: e.Email, Role: e.Role,
		PrincipalID: e.PrincipalID, JoinedAt: h.At, Late: e.Late, Briefed: !e.Late, JoinedOccurredAt: h.OccurredAt,
	}
	s.Stakeholders = append(s.Stakeholders, x)
	s.stakeholders[x.ID] = x
	s.created(x.ID, "stakeholder", h.Occurred())
	return nil
}

func applyStakeholderBriefed(s *Engagement, e *StakeholderBriefed, h *Header) error {
	x, err := need(s.stakeholders, "stakeholder", e.StakeholderID)
	if err != nil {
		return err
	}
	x.Briefed, x.BriefedBy, x.BriefedAt, x.BriefedOccurredAt = true, h.ActorID, h.At, h.OccurredAt
	return nil
}

func applyStakeholderLeft(s *Engagement, e *StakeholderLeft, h *Header) error {
	x, err := need(s.stakeholders, "stakeholder", e.StakeholderID)
	if err != nil {
		return err
	}
	x.Left, x.LeftAt, x.LeftOccurredAt = true, h.At, h.OccurredAt
	return nil
}
