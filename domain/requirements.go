package domain

// The requirements family: requirements and the questions, assumptions,
// change requests and features that shape them.

func (d *decider) raiseRequirement(c RaiseRequirement) ([]Event, error) {
	if err := d.allow("raising a requirement", anySide, []Phase{PhaseScoping, PhaseDelivery}); err != nil {
		return nil, err
	}
	if err := first(d.newID("requirement_id", c.RequirementID), required("title", c.Title)); err != nil {
		return nil, err
	}
	return one(&RequirementRaised{Header: d.h(), RequirementID: c.RequirementID, Title: c.Title, Description: c.Description})
}

func (d *decider) askQuestion(c AskQuestion) ([]Event, error) {
	if err := d.allow("questioning a requirement", supplierSide, working); err != nil {
		return nil, err
	}
	if err := first(d.newID("question_id", c.QuestionID), required("text", c.Text)); err != nil {
		return nil, err
	}
	if _, err := get(d.s.requirements, CodeRequirementNotFound, "requirement_id", "requirement", c.RequirementID); err != nil {
		return nil, err
	}
	return one(&QuestionAsked{Header: d.h(), QuestionID: c.QuestionID, RequirementID: c.RequirementID, Text: c.Text})
}

func (d *decider) makeAssumption(c MakeAssumption) ([]Event, error) {
	if err := d.allow("making an assumption", supplierSide, working); err != nil {
		return nil, err
	}
	if err := first(d.newID("assumption_id", c.AssumptionID), required("statement", c.Statement)); err != nil {
		return nil, err
	}
	if err := optional(d.s.requirements, CodeRequirementNotFound, "requirement_id", "requirement", c.RequirementID); err != nil {
		return nil, err
	}
	return one(&AssumptionMade{Header: d.h(), AssumptionID: c.AssumptionID, RequirementID: c.RequirementID, Statement: c.Statement})
}

func (d *decider) validateAssumption(c ValidateAssumption) ([]Event, error) {
	x, err := d.openAssumption("validating an assumption", c.AssumptionID)
	if err != nil {
		return nil, err
	}
	return one(&AssumptionValidated{Header: d.h(), AssumptionID: x.ID, Comment: c.Comment})
}

func (d *decider) rejectAssumption(c RejectAssumption) ([]Event, error) {
	x, err := d.openAssumption("rejecting an assumption", c.AssumptionID)
	if err != nil {
		return nil, err
	}
	return one(&AssumptionRejected{Header: d.h(), AssumptionID: x.ID, Reason: c.Reason})
}

func (d *decider) requestChange(c RequestChange) ([]Event, error) {
	if err := d.allow("requesting a change", anySide, working); err != nil {
		return nil, err
	}
	if err := first(d.newID("change_id", c.ChangeID), required("description", c.Description)); err != nil {
		return nil, err
	}
	if err := optional(d.s.requirements, CodeRequirementNotFound, "requirement_id", "requirement", c.RequirementID); err != nil {
		return nil, err
	}
	return one(&ChangeRequested{Header: d.h(), ChangeID: c.ChangeID, RequirementID: c.RequirementID, Description: c.Description, Reason: c.Reason})
}

func (d *decider) approveChange(c ApproveChange) ([]Event, error) {
	x, err := d.openChange("approving a change", c.ChangeID)
	if err != nil {
		return nil, err
	}
	return one(&ChangeApproved{Header: d.h(), ChangeID: x.ID, Comment: c.Comment})
}

func (d *decider) rejectChange(c RejectChange) ([]Event, error) {
	x, err := d.openChange("rejecting a change", c.ChangeID)
	if err != nil {
		return nil, err
	}
	return one(&ChangeRejected{Header: d.h(), ChangeID: x.ID, Reason: c.Reason})
}

func (d *decider) proposeFeature(c ProposeFeature) ([]Event, error) {
	if err := d.allow("proposing a feature", supplierSide, working); err != nil {
		return nil, err
	}
	if err := first(d.newID("feature_id", c.FeatureID), required("title", c.Title)); err != nil {
		return nil, err
	}
	return one(&FeatureProposed{Header: d.h(), FeatureID: c.FeatureID, Title: c.Title, Description: c.Description})
}

func (d *decider) acceptFeature(c AcceptFeature) ([]Event, error) {
	x, err := d.proposedFeature("accepting a feature", c.FeatureID)
	if err != nil {
		return nil, err
	}
	return one(&FeatureAccepted{Header: d.h(), FeatureID: x.ID, Comment: c.Comment})
}

func (d *decider) declineFeature(c DeclineFeature) ([]Event, error) {
	x, err := d.proposedFeature("declining a feature", c.FeatureID)
	if err != nil {
		return nil, err
	}
	return one(&FeatureDeclined{Header: d.h(), FeatureID: x.ID, Reason: c.Reason})
}

// clarifyRequirement enforces who may settle a requirement's meaning: a client-side
// stakeholder, or the supplier side quoting the client's answer to an open
// question of that very requirement.
func (d *decider) clarifyRequirement(c ClarifyRequirement) ([]Event, error) {
	if err := d.allow("clarifying a requirement", anySide, working); err != nil {
		return nil, err
	}
	r, err := get(d.s.requirements, CodeRequirementNotFound, "requirement_id", "requirement", c.RequirementID)
	if err != nil {
		return nil, err
	}
	if err := required("clarification", c.Clarification); err != nil {
		return nil, err
	}
	e := &RequirementClarified{Header: d.h(), RequirementID: r.ID, Clarification: c.Clarification, QuestionID: c.QuestionID, Answer: c.Answer}
	client := d.actor.Party == PartyClient
	if !client && c.QuestionID == "" {
		return nil, invalid(CodeQuestionNotAnswered, "question_id",
			"only the client clarifies a requirement; the supplier side may only quote the client's answer to an open question")
	}
	if c.QuestionID != "" {
		q, err := get(d.s.questions, CodeQuestionNotFound, "question_id", "question", c.QuestionID)
		if err != nil {
			return nil, err
		}
		if q.RequirementID != r.ID {
			return nil, invalid(CodeQuestionOtherRequirement, "question_id", "question %q is about requirement %q, not %q", q.ID, q.RequirementID, r.ID)
		}
		if q.Status != StatusOpen {
			return nil, conflict(CodeQuestionNotOpen, "question %q is already answered", q.ID)
		}
	}
	if client {
		if c.QuestionID != "" {
			e.AnsweredBy = d.actor.ID // the client answers in person
		}
		return one(e)
	}
	if err := first(required("answer", c.Answer), required("answered_by", c.AnsweredBy)); err != nil {
		return nil, err
	}
	who, ok := d.s.Stakeholder(c.AnsweredBy)
	if !ok {
		return nil, notFound(CodeStakeholderNotFound, "answered_by", "stakeholder %q is not in the engagement", c.AnsweredBy)
	}
	if who.Party != PartyClient {
		return nil, invalid(CodeNotClientSide, "answered_by", "the quoted answer must come from a client-side stakeholder; %q is on the %s side", who.ID, who.Party)
	}
	e.AnsweredBy = who.ID
	return one(e)
}

func (d *decider) openAssumption(what, id string) (*Assumption, error) {
	if err := d.allow(what, clientSide, anyOpenPhase); err != nil {
		return nil, err
	}
	return waiting(d.s.assumptions, CodeAssumptionNotFound, "assumption", id, CodeAssumptionNotOpen)
}

func (d *decider) openChange(what, id string) (*ChangeRequest, error) {
	if err := d.allow(what, clientSide, anyOpenPhase); err != nil {
		return nil, err
	}
	x, err := waiting(d.s.changes, CodeChangeNotFound, "change", id, CodeChangeNotOpen)
	if err != nil {
		return nil, err
	}
	if err := d.checkApprover(x); err != nil {
		return nil, err
	}
	return x, nil
}

func (d *decider) proposedFeature(what, id string) (*Feature, error) {
	if err := d.allow(what, clientSide, anyOpenPhase); err != nil {
		return nil, err
	}
	return waiting(d.s.features, CodeFeatureNotFound, "feature", id, CodeFeatureNotProposed)
}

func applyRequirementRaised(s *Engagement, e *RequirementRaised, h *Header) error {
	if err := s.fresh(e.RequirementID); err != nil {
		return err
	}
	s.addRequirement(&Requirement{ID: e.RequirementID, Title: e.Title, Description: e.Description, Origin: OriginRaised,
		RaisedBy: h.ActorID, RaisedAt: h.At, RaisedOccurredAt: h.OccurredAt})
	return nil
}

func applyQuestionAsked(s *Engagement, e *QuestionAsked, h *Header) error {
	if err := s.fresh(e.QuestionID); err != nil {
		return err
	}
	if _, err := need(s.requirements, "requirement", e.RequirementID); err != nil {
		return err
	}
	x := &Question{ID: e.QuestionID, RequirementID: e.RequirementID, Text: e.Text, Status: StatusOpen, AskedBy: h.ActorID, AskedAt: h.At, AskedOccurredAt: h.OccurredAt}
	s.Questions = append(s.Questions, x)
	s.questions[x.ID] = x
	s.created(x.ID, "question", h.Occurred())
	return nil
}

func applyRequirementClarified(s *Engagement, e *RequirementClarified, h *Header) error {
	r, err := need(s.requirements, "requirement", e.RequirementID)
	if err != nil {
		return err
	}
	var q *Question
	if e.QuestionID != "" {
		if q, err = need(s.questions, "question", e.QuestionID); err != nil {
			return err
		}
	}
	r.Clarifications = append(r.Clarifications, Clarification{
		Text: e.Clarification, QuestionID: e.QuestionID, Answer: e.Answer, AnsweredBy: e.AnsweredBy, By: h.ActorID, At: h.At, OccurredAt: h.OccurredAt,
	})
	if q != nil {
		answer := e.Answer
		if answer == "" {
			answer = e.Clarification
		}
		q.Status, q.Answer, q.AnsweredBy, q.AnsweredAt, q.AnsweredOccurredAt = StatusAnswered, answer, e.AnsweredBy, h.At, h.OccurredAt
	}
	return nil
}

func applyAssumptionMade(s *Engagement, e *AssumptionMade, h *Header) error {
	if err := s.fresh(e.AssumptionID); err != nil {
		return err
	}
	if e.RequirementID != "" {
		if _, err := need(s.requirements, "requirement", e.RequirementID); err != nil {
			return err
		}
	}
	x := &Assumption{ID: e.AssumptionID, RequirementID: e.RequirementID, Statement: e.Statement, Status: StatusOpen,
		MadeBy: h.ActorID, MadeAt: h.At, MadeOccurredAt: h.OccurredAt}
	s.Assumptions = append(s.Assumptions, x)
	s.assumptions[x.ID] = x
	s.created(x.ID, "assumption", h.Occurred())
	return nil
}

func applyAssumptionValidated(s *Engagement, e *AssumptionValidated, h *Header) error {
	x, err := need(s.assumptions, "assumption", e.AssumptionID)
	if err != nil {
		return err
	}
	x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusValidated, h.ActorID, h.At, h.OccurredAt, e.Comment
	return nil
}

func applyAssumptionRejected(s *Engagement, e *AssumptionRejected, h *Header) error {
	x, err := need(s.assumptions, "assumption", e.AssumptionID)
	if err != nil {
		return err
	}
	x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusRejected, h.ActorID, h.At, h.OccurredAt, e.Reason
	return nil
}

func applyChangeRequested(s *Engagement, e *ChangeRequested, h *Header) error {
	if err := s.fresh(e.ChangeID); err != nil {
		return err
	}
	if e.RequirementID != "" {
		if _, err := need(s.requirements, "requirement", e.RequirementID); err != nil {
			return err
		}
	}
	x := &ChangeRequest{ID: e.ChangeID, RequirementID: e.RequirementID, Description: e.Description, Reason: e.Reason, Status: StatusOpen,
		RequestedBy: h.ActorID, RequestedAt: h.At, RequestedOccurredAt: h.OccurredAt}
	s.Changes = append(s.Changes, x)
	s.changes[x.ID] = x
	s.created(x.ID, "change", h.Occurred())
	return nil
}

func applyChangeApproved(s *Engagement, e *ChangeApproved, h *Header) error {
	x, err := need(s.changes, "change", e.ChangeID)
	if err != nil {
		return err
	}
	x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusApproved, h.ActorID, h.At, h.OccurredAt, e.Comment
	return nil
}

func applyChangeRejected(s *Engagement, e *ChangeRejected, h *Header) error {
	x, err := need(s.changes, "change", e.ChangeID)
	if err != nil {
		return err
	}
	x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusRejected, h.ActorID, h.At, h.OccurredAt, e.Reason
	return nil
}

func applyFeatureProposed(s *Engagement, e *FeatureProposed, h *Header) error {
	if err := s.fresh(e.FeatureID); err != nil {
		return err
	}
	x := &Feature{ID: e.FeatureID, Title: e.Title, Description: e.Description, Status: StatusProposed,
		ProposedBy: h.ActorID, ProposedAt: h.At, ProposedOccurredAt: h.OccurredAt}
	s.Features = append(s.Features, x)
	s.features[x.ID] = x
	s.created(x.ID, "feature", h.Occurred())
	return nil
}

func applyFeatureAccepted(s *Engagement, e *FeatureAccepted, h *Header) error {
	x, err := need(s.features, "feature", e.FeatureID)
	if err != nil {
		return err
	}
	x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusAccepted, h.ActorID, h.At, h.OccurredAt, e.Comment
	return nil
}

func applyFeatureDeclined(s *Engagement, e *FeatureDeclined, h *Header) error {
	x, err := need(s.features, "feature", e.FeatureID)
	if err != nil {
		return err
	}
	x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusDeclined, h.ActorID, h.At, h.OccurredAt, e.Reason
	return nil
}
