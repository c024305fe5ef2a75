package domain

import "slices"

// The deliveries family: deliveries made, accepted or rejected, and the
// needs raised at delivery.

func (d *decider) makeDelivery(c MakeDelivery) ([]Event, error) {
	if err := d.allow("making a delivery", supplierSide, deliveryPhases); err != nil {
		return nil, err
	}
	if err := first(d.newID("delivery_id", c.DeliveryID), required("title", c.Title)); err != nil {
		return nil, err
	}
	if err := optional(d.s.milestones, CodeMilestoneNotFound, "milestone_id", "milestone", c.MilestoneID); err != nil {
		return nil, err
	}
	if err := refsOf(d.s.requirements, CodeRequirementNotFound, "requirement_ids", "requirement", c.RequirementIDs); err != nil {
		return nil, err
	}
	// Features are delivered whatever their status: delivering one the
	// client never accepted is allowed, and the indicators expose it.
	if err := refsOf(d.s.features, CodeFeatureNotFound, "feature_ids", "feature", c.FeatureIDs); err != nil {
		return nil, err
	}
	return one(&DeliveryMade{Header: d.h(), DeliveryID: c.DeliveryID, Title: c.Title, Description: c.Description,
		MilestoneID: c.MilestoneID, RequirementIDs: list(c.RequirementIDs), FeatureIDs: list(c.FeatureIDs)})
}

func (d *decider) acceptDelivery(c AcceptDelivery) ([]Event, error) {
	x, err := d.awaitingDelivery("accepting a delivery", c.DeliveryID)
	if err != nil {
		return nil, err
	}
	verdicts, err := d.judge(x, c.Verdicts, true)
	if err != nil {
		return nil, err
	}
	return one(&DeliveryAccepted{Header: d.h(), DeliveryID: x.ID, Comment: c.Comment, Verdicts: verdicts})
}

func (d *decider) rejectDelivery(c RejectDelivery) ([]Event, error) {
	x, err := d.awaitingDelivery("rejecting a delivery", c.DeliveryID)
	if err != nil {
		return nil, err
	}
	if err := required("reason", c.Reason); err != nil {
		return nil, err
	}
	verdicts, err := d.judge(x, c.Verdicts, false)
	if err != nil {
		return nil, err
	}
	return one(&DeliveryRejected{Header: d.h(), DeliveryID: x.ID, Reason: c.Reason, Verdicts: verdicts})
}

func (d *decider) raiseNeedAtDelivery(c RaiseNeedAtDelivery) ([]Event, error) {
	if err := d.allow("raising a need at delivery", anySide, deliveryPhases); err != nil {
		return nil, err
	}
	if err := first(d.newID("need_id", c.NeedID), required("title", c.Title)); err != nil {
		return nil, err
	}
	x, err := get(d.s.deliveries, CodeDeliveryNotFound, "delivery_id", "delivery", c.DeliveryID)
	if err != nil {
		return nil, err
	}
	return one(&NeedRaisedAtDelivery{Header: d.h(), NeedID: c.NeedID, DeliveryID: x.ID, Title: c.Title, Description: c.Description})
}

func (d *decider) awaitingDelivery(what, id string) (*Delivery, error) {
	if err := d.allow(what, clientSide, deliveryPhases); err != nil {
		return nil, err
	}
	return waiting(d.s.deliveries, CodeDeliveryNotFound, "delivery", id, CodeDeliveryNotAwaiting)
}

func refsOf[T any](m map[string]*T, code, field, kind string, ids []string) error {
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			return invalid(CodeDuplicateReference, item(field, i), "%s names %q twice", field, id)
		}
		if _, ok := m[id]; !ok {
			return notFound(code, item(field, i), "%s %q is not in the engagement", kind, id)
		}
	}
	return nil
}

func applyDeliveryMade(s *Engagement, e *DeliveryMade, h *Header) error {
	if err := s.fresh(e.DeliveryID); err != nil {
		return err
	}
	if e.MilestoneID != "" {
		if _, err := need(s.milestones, "milestone", e.MilestoneID); err != nil {
			return err
		}
	}
	for _, id := range e.RequirementIDs {
		if _, err := need(s.requirements, "requirement", id); err != nil {
			return err
		}
	}
	for _, id := range e.FeatureIDs {
		if _, err := need(s.features, "feature", id); err != nil {
			return err
		}
	}
	x := &Delivery{
		ID: e.DeliveryID, Title: e.Title, Description: e.Description, MilestoneID: e.MilestoneID,
		RequirementIDs: slices.Clone(e.RequirementIDs), FeatureIDs: slices.Clone(e.FeatureIDs),
		Status: StatusAwaiting, DeliveredBy: h.ActorID, DeliveredAt: h.At, DeliveredOccurredAt: h.OccurredAt,
		DeliveryVersions: DeliveryVersions{Version: 1},
	}
	s.Deliveries = append(s.Deliveries, x)
	s.deliveries[x.ID] = x
	s.created(x.ID, "delivery", h.Occurred())
	return nil
}

func applyDeliveryAccepted(s *Engagement, e *DeliveryAccepted, h *Header) error {
	x, err := need(s.deliveries, "delivery", e.DeliveryID)
	if err != nil {
		return err
	}
	x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusAccepted, h.ActorID, h.At, h.OccurredAt, e.Comment
	x.Verdicts = e.Verdicts.clone()
	return nil
}

func applyDeliveryRejected(s *Engagement, e *DeliveryRejected, h *Header) error {
	x, err := need(s.deliveries, "delivery", e.DeliveryID)
	if err != nil {
		return err
	}
	x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusRejected, h.ActorID, h.At, h.OccurredAt, e.Reason
	x.Verdicts = e.Verdicts.clone()
	return nil
}

func applyNeedRaisedAtDelivery(s *Engagement, e *NeedRaisedAtDelivery, h *Header) error {
	if err := s.fresh(e.NeedID); err != nil {
		return err
	}
	d, err := need(s.deliveries, "delivery", e.DeliveryID)
	if err != nil {
		return err
	}
	s.addRequirement(&Requirement{
		ID: e.NeedID, Title: e.Title, Description: e.Description, Origin: OriginDelivery,
		DeliveryID: e.DeliveryID, RaisedBy: h.ActorID, RaisedAt: h.At, RaisedOccurredAt: h.OccurredAt,
	})
	d.NeedIDs = append(d.NeedIDs, e.NeedID)
	return nil
}
