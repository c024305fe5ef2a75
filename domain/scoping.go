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
