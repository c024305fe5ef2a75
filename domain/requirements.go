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
	x, err := get(d.s.assumptions, CodeAssumptionNotFound, "assumption_id", "assumption", id)
	if err != nil {
		return nil, err
	}
	if x.Status != StatusOpen {
		return nil, conflict(CodeAssumptionNotOpen, "assumption %q is already %s", x.ID, x.Status)
	}
	return x, nil
}

func (d *decider) openChange(what, id string) (*ChangeRequest, error) {
	if err := d.allow(what, clientSide, anyOpenPhase); err != nil {
		return nil, err
	}
	x, err := get(d.s.changes, CodeChangeNotFound, "change_id", "change", id)
	if err != nil {
		return nil, err
	}
	if x.Status != StatusOpen {
		return nil, conflict(CodeChangeNotOpen, "change %q is already %s", x.ID, x.Status)
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
	x, err := get(d.s.features, CodeFeatureNotFound, "feature_id", "feature", id)
	if err != nil {
		return nil, err
	}
	if x.Status != StatusProposed {
		return nil, conflict(CodeFeatureNotProposed, "feature %q is already %s", x.ID, x.Status)
	}
	return x, nil
}
