package domain

import "slices"

// The scoping family: workshops held with the client and the success
// indicators defined there and measured later.

func (d *decider) holdWorkshop(c HoldWorkshop) ([]Event, error) {
	if err := d.allow("holding a workshop", anySide, []Phase{PhaseScoping, PhaseDelivery}); err != nil {
		return nil, err
	}
	if err := d.newID("workshop_id", c.WorkshopID); err != nil {
		return nil, err
	}
	at, verr := d.past("held_at", c.HeldAt)
	if verr != nil {
		return nil, verr
	}
	ps, err := d.currentStakeholders("participants", c.Participants)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(ps, isClient) {
		return nil, invalid(CodeNoClientParticipant, "participants", "a workshop is co-constructed with the client: name at least one client-side participant")
	}
	h := d.h()
	if !c.HeldAt.IsZero() {
		h.OccurredAt = at // held_at is the workshop's claim
	}
	return one(&WorkshopHeld{Header: h, WorkshopID: c.WorkshopID, HeldAt: at, Participants: slices.Clone(c.Participants), Notes: c.Notes})
}

func (d *decider) defineIndicator(c DefineIndicator) ([]Event, error) {
	if err := d.allow("defining a success indicator", anySide, []Phase{PhaseScoping, PhaseDelivery}); err != nil {
		return nil, err
	}
	if err := first(d.newID("indicator_id", c.IndicatorID), required("name", c.Name), finite("target", c.Target)); err != nil {
		return nil, err
	}
	if !c.Direction.Valid() {
		return nil, invalid(CodeInvalidDirection, "direction", "direction is %q or %q", AtLeast, AtMost)
	}
	if err := optional(d.s.workshops, CodeWorkshopNotFound, "workshop_id", "workshop", c.WorkshopID); err != nil {
		return nil, err
	}
	return one(&IndicatorDefined{Header: d.h(), IndicatorID: c.IndicatorID, WorkshopID: c.WorkshopID, Name: c.Name,
		Unit: c.Unit, Target: c.Target, Direction: c.Direction})
}

func (d *decider) measureIndicator(c MeasureIndicator) ([]Event, error) {
	if err := d.allow("measuring a success indicator", anySide, working); err != nil {
		return nil, err
	}
	if err := first(d.newID("measurement_id", c.MeasurementID), finite("value", c.Value)); err != nil {
		return nil, err
	}
	at, verr := d.past("measured_at", c.MeasuredAt)
	if verr != nil {
		return nil, verr
	}
	x, err := get(d.s.indicators, CodeIndicatorNotFound, "indicator_id", "indicator", c.IndicatorID)
	if err != nil {
		return nil, err
	}
	h := d.h()
	if !c.MeasuredAt.IsZero() {
		h.OccurredAt = at // measured_at is the measurement's claim
	}
	return one(&IndicatorMeasured{Header: h, MeasurementID: c.MeasurementID, IndicatorID: x.ID, Value: c.Value, MeasuredAt: at, Note: c.Note})
}

func applyWorkshopHeld(s *Engagement, e *WorkshopHeld, h *Header) error {
	if err := s.fresh(e.WorkshopID); err != nil {
		return err
	}
	if err := s.stakeholderRefs(e.Participants); err != nil {
		return err
	}
	x := &Workshop{ID: e.WorkshopID, HeldAt: e.HeldAt, Participants: slices.Clone(e.Participants), Notes: e.Notes, RecordedBy: h.ActorID, RecordedAt: h.At}
	s.Workshops = append(s.Workshops, x)
	s.workshops[x.ID] = x
	s.created(x.ID, "workshop", x.HeldAt)
	return nil
}

func applyIndicatorDefined(s *Engagement, e *IndicatorDefined, h *Header) error {
	if err := s.fresh(e.IndicatorID); err != nil {
		return err
	}
	if e.WorkshopID != "" {
		if _, err := need(s.workshops, "workshop", e.WorkshopID); err != nil {
			return err
		}
	}
	x := &Indicator{
		ID: e.IndicatorID, WorkshopID: e.WorkshopID, Name: e.Name, Unit: e.Unit,
		Target: e.Target, Direction: e.Direction, DefinedBy: h.ActorID, DefinedAt: h.At, DefinedOccurredAt: h.OccurredAt,
	}
	s.Indicators = append(s.Indicators, x)
	s.indicators[x.ID] = x
	s.created(x.ID, "indicator", h.Occurred())
	return nil
}

func applyIndicatorMeasured(s *Engagement, e *IndicatorMeasured, h *Header) error {
	x, err := need(s.indicators, "indicator", e.IndicatorID)
	if err != nil {
		return err
	}
	if err := s.fresh(e.MeasurementID); err != nil {
		return err
	}
	x.Measurements = append(x.Measurements, Measurement{ID: e.MeasurementID, Value: e.Value, MeasuredAt: e.MeasuredAt, Note: e.Note, By: h.ActorID, RecordedAt: h.At})
	s.created(e.MeasurementID, "measurement", e.MeasuredAt)
	return nil
}
