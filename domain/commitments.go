package domain

import "time"

// The commitments family: milestones and what the supplier discloses
// about them: difficulties, delays, cost impacts and skills gaps.

func (d *decider) planMilestone(c PlanMilestone) ([]Event, error) {
	if err := d.allow("planning a milestone", supplierSide, []Phase{PhaseScoping, PhaseDelivery}); err != nil {
		return nil, err
	}
	if err := first(d.newID("milestone_id", c.MilestoneID), required("title", c.Title)); err != nil {
		return nil, err
	}
	if c.DueDate.IsZero() {
		return nil, invalid(CodeFieldRequired, "due_date", "due_date is required")
	}
	// A due date already past is allowed: a milestone may be recorded
	// late, and a past due date is what the delay register shows. It
	// falls inside the engagement's life all the same.
	if !validTime(c.DueDate.UTC()) {
		return nil, invalid(CodeInvalidDate, "due_date", "due_date is out of range")
	}
	if c.DueDate.Before(d.s.OpenedAt) {
		return nil, invalid(CodeDateBeforeOpening, "due_date", "due_date is before the engagement opened (%s)", d.s.OpenedAt.Format(time.RFC3339))
	}
	return one(&MilestonePlanned{Header: d.h(), MilestoneID: c.MilestoneID, Title: c.Title, DueDate: c.DueDate.UTC()})
}

func (d *decider) reportDifficulty(c ReportDifficulty) ([]Event, error) {
	if err := d.allow("reporting a difficulty", supplierSide, working); err != nil {
		return nil, err
	}
	if err := first(d.newID("difficulty_id", c.DifficultyID), required("description", c.Description)); err != nil {
		return nil, err
	}
	if err := optional(d.s.milestones, CodeMilestoneNotFound, "milestone_id", "milestone", c.MilestoneID); err != nil {
		return nil, err
	}
	return one(&DifficultyReported{Header: d.h(), DifficultyID: c.DifficultyID, MilestoneID: c.MilestoneID, Description: c.Description})
}

func (d *decider) discloseDelay(c DiscloseDelay) ([]Event, error) {
	if err := d.allow("disclosing a delay", supplierSide, working); err != nil {
		return nil, err
	}
	if err := first(d.newID("delay_id", c.DelayID), required("reason", c.Reason)); err != nil {
		return nil, err
	}
	if c.NewDueDate.IsZero() {
		return nil, invalid(CodeFieldRequired, "new_due_date", "new_due_date is required")
	}
	if !validTime(c.NewDueDate.UTC()) {
		return nil, invalid(CodeInvalidDate, "new_due_date", "new_due_date is out of range")
	}
	m, err := get(d.s.milestones, CodeMilestoneNotFound, "milestone_id", "milestone", c.MilestoneID)
	if err != nil {
		return nil, err
	}
	if !c.NewDueDate.After(m.DueDate) {
		return nil, invalid(CodeNewDateNotLater, "new_due_date", "the new due date must be later than the current due date, %s", m.DueDate.Format(time.RFC3339))
	}
	dep, late, err := d.delayCause(c.DependencyID)
	if err != nil {
		return nil, err
	}
	// Disclosing after the due date is allowed on purpose: it happens,
	// and the negative lead time is what the indicators expose.
	e := &DelayDisclosed{Header: d.h(), DelayID: c.DelayID, MilestoneID: m.ID,
		PreviousDueDate: m.DueDate, NewDueDate: c.NewDueDate.UTC(), Reason: c.Reason}
	if dep != nil {
		e.DependencyID, e.DependencyLate, e.DependencyParty = dep.ID, late, dep.OwedByParty
	}
	return one(e)
}

func (d *decider) discloseCostImpact(c DiscloseCostImpact) ([]Event, error) {
	if err := d.allow("disclosing a cost impact", supplierSide, working); err != nil {
		return nil, err
	}
	if err := first(d.newID("cost_impact_id", c.CostImpactID), required("reason", c.Reason)); err != nil {
		return nil, err
	}
	if c.Amount == 0 {
		return nil, invalid(CodeInvalidAmount, "amount", "amount is a non-zero number of minor currency units")
	}
	if !validCurrency(c.Currency) {
		return nil, invalid(CodeInvalidCurrency, "currency", "currency is a three-letter ISO 4217 code such as EUR")
	}
	if err := optional(d.s.difficulties, CodeDifficultyNotFound, "difficulty_id", "difficulty", c.DifficultyID); err != nil {
		return nil, err
	}
	return one(&CostImpactDisclosed{Header: d.h(), CostImpactID: c.CostImpactID, DifficultyID: c.DifficultyID,
		Amount: c.Amount, Currency: c.Currency, Reason: c.Reason})
}

func (d *decider) discloseSkillsGap(c DiscloseSkillsGap) ([]Event, error) {
	if err := d.allow("disclosing a skills gap", supplierSide, working); err != nil {
		return nil, err
	}
	if err := first(d.newID("skills_gap_id", c.SkillsGapID), required("skill", c.Skill)); err != nil {
		return nil, err
	}
	if err := optional(d.s.difficulties, CodeDifficultyNotFound, "difficulty_id", "difficulty", c.DifficultyID); err != nil {
		return nil, err
	}
	return one(&SkillsGapDisclosed{Header: d.h(), SkillsGapID: c.SkillsGapID, DifficultyID: c.DifficultyID, Skill: c.Skill, Mitigation: c.Mitigation})
}

func applyMilestonePlanned(s *Engagement, e *MilestonePlanned, h *Header) error {
	if err := s.fresh(e.MilestoneID); err != nil {
		return err
	}
	x := &Milestone{ID: e.MilestoneID, Title: e.Title, DueDate: e.DueDate, OriginalDueDate: e.DueDate,
		PlannedBy: h.ActorID, PlannedAt: h.At, PlannedOccurredAt: h.OccurredAt}
	s.Milestones = append(s.Milestones, x)
	s.milestones[x.ID] = x
	s.created(x.ID, "milestone", h.Occurred())
	return nil
}

func applyDifficultyReported(s *Engagement, e *DifficultyReported, h *Header) error {
	if err := s.fresh(e.DifficultyID); err != nil {
		return err
	}
	if e.MilestoneID != "" {
		if _, err := need(s.milestones, "milestone", e.MilestoneID); err != nil {
			return err
		}
	}
	x := &Difficulty{ID: e.DifficultyID, MilestoneID: e.MilestoneID, Description: e.Description, ReportedBy: h.ActorID, ReportedAt: h.At, ReportedOccurredAt: h.OccurredAt,
		Status: StatusOpen}
	s.Difficulties = append(s.Difficulties, x)
	s.difficulties[x.ID] = x
	s.created(x.ID, "difficulty", h.Occurred())
	return nil
}

func applyDelayDisclosed(s *Engagement, e *DelayDisclosed, h *Header) error {
	if err := s.fresh(e.DelayID); err != nil {
		return err
	}
	m, err := need(s.milestones, "milestone", e.MilestoneID)
	if err != nil {
		return err
	}
	var dep *Dependency
	if e.DependencyID != "" {
		if dep, err = need(s.dependencies, "dependency", e.DependencyID); err != nil {
			return err
		}
		dep.DelayIDs = append(dep.DelayIDs, e.DelayID)
	}
	x := &Delay{
		ID: e.DelayID, MilestoneID: e.MilestoneID, PreviousDueDate: e.PreviousDueDate, NewDueDate: e.NewDueDate,
		Reason: e.Reason, DisclosedBy: h.ActorID, DisclosedAt: h.At, DisclosedOccurredAt: h.OccurredAt,
		DependencyID: e.DependencyID, DependencyLate: e.DependencyLate, DependencyParty: e.DependencyParty,
	}
	s.Delays = append(s.Delays, x)
	s.delays[x.ID] = x
	s.created(x.ID, "delay", h.Occurred())
	m.DueDate = e.NewDueDate
	m.DelayIDs = append(m.DelayIDs, x.ID)
	return nil
}

func applyCostImpactDisclosed(s *Engagement, e *CostImpactDisclosed, h *Header) error {
	if err := s.fresh(e.CostImpactID); err != nil {
		return err
	}
	if e.DifficultyID != "" {
		if _, err := need(s.difficulties, "difficulty", e.DifficultyID); err != nil {
			return err
		}
	}
	s.CostImpacts = append(s.CostImpacts, &CostImpact{
		ID: e.CostImpactID, DifficultyID: e.DifficultyID, Amount: e.Amount, Currency: e.Currency,
		Reason: e.Reason, DisclosedBy: h.ActorID, DisclosedAt: h.At, DisclosedOccurredAt: h.OccurredAt,
	})
	s.created(e.CostImpactID, "cost_impact", h.Occurred())
	return nil
}

func applySkillsGapDisclosed(s *Engagement, e *SkillsGapDisclosed, h *Header) error {
	if err := s.fresh(e.SkillsGapID); err != nil {
		return err
	}
	if e.DifficultyID != "" {
		if _, err := need(s.difficulties, "difficulty", e.DifficultyID); err != nil {
			return err
		}
	}
	s.SkillsGaps = append(s.SkillsGaps, &SkillsGap{
		ID: e.SkillsGapID, DifficultyID: e.DifficultyID, Skill: e.Skill, Mitigation: e.Mitigation,
		DisclosedBy: h.ActorID, DisclosedAt: h.At, DisclosedOccurredAt: h.OccurredAt,
	})
	s.created(e.SkillsGapID, "skills_gap", h.Occurred())
	return nil
}
