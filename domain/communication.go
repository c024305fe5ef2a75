package domain

import (
	"slices"
	"strings"
)

// The communication family: informing the client, acknowledgements, and
// decisions made together.

func (d *decider) informClient(c InformClient) ([]Event, error) {
	if err := d.allow("informing the client", supplierSide, anyOpenPhase); err != nil {
		return nil, err
	}
	if err := first(d.newID("information_id", c.InformationID), required("subject", c.Subject)); err != nil {
		return nil, err
	}
	if !c.Channel.Valid() {
		return nil, invalid(CodeInvalidChannel, "channel", "%q is not a channel", c.Channel)
	}
	rs, err := d.currentStakeholders("recipients", c.Recipients)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(rs, isClient) {
		return nil, invalid(CodeNoClientRecipient, "recipients", "informing the client needs at least one client-side recipient")
	}
	if err := d.references("about", c.About); err != nil {
		return nil, err
	}
	return one(&ClientInformed{Header: d.h(), InformationID: c.InformationID, Subject: c.Subject, Summary: c.Summary,
		Channel: c.Channel, Recipients: slices.Clone(c.Recipients), About: list(c.About)})
}

func (d *decider) acknowledgeInformation(c AcknowledgeInformation) ([]Event, error) {
	if err := d.allow("acknowledging information", clientSide, anyOpenPhase); err != nil {
		return nil, err
	}
	x, err := get(d.s.information, CodeInformationNotFound, "information_id", "information", c.InformationID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(x.Recipients, d.actor.ID) {
		return nil, conflict(CodeNotARecipient, "%q is not a recipient of information %q", d.actor.ID, x.ID)
	}
	if x.Acknowledged(d.actor.ID) {
		return nil, conflict(CodeAlreadyAcknowledged, "%q has already acknowledged information %q", d.actor.ID, x.ID)
	}
	return one(&InformationAcknowledged{Header: d.h(), InformationID: x.ID})
}

func (d *decider) makeDecision(c MakeDecision) ([]Event, error) {
	if err := d.allow("making a decision", anySide, anyOpenPhase); err != nil {
		return nil, err
	}
	if err := first(d.newID("decision_id", c.DecisionID), required("title", c.Title)); err != nil {
		return nil, err
	}
	if !c.Kind.Valid() {
		return nil, invalid(CodeInvalidDecisionKind, "kind", "kind is %q or %q", DecisionTechnical, DecisionStrategic)
	}
	if len(c.Options) == 0 {
		return nil, invalid(CodeInvalidOptions, "options", "a decision lists the options considered")
	}
	for i, o := range c.Options {
		if strings.TrimSpace(o) == "" || slices.Contains(c.Options[:i], o) {
			return nil, invalid(CodeInvalidOptions, item("options", i), "options must be non-empty and distinct")
		}
	}
	if !slices.Contains(c.Options, c.Chosen) {
		return nil, invalid(CodeInvalidOptions, "chosen", "the chosen option must be one of the options")
	}
	ps, err := d.currentStakeholders("participants", c.Participants)
	if err != nil {
		return nil, err
	}
	if err := d.references("about", c.About); err != nil {
		return nil, err
	}
	// A decision without the client is allowed: it happens, and the
	// indicators expose it through an empty ClientParticipants.
	clients := []string{}
	for _, p := range ps {
		if isClient(p) {
			clients = append(clients, p.ID)
		}
	}
	return one(&DecisionMade{Header: d.h(), DecisionID: c.DecisionID, Title: c.Title, Kind: c.Kind,
		Options: slices.Clone(c.Options), Chosen: c.Chosen, Rationale: c.Rationale,
		Participants: slices.Clone(c.Participants), ClientParticipants: clients, About: list(c.About)})
}

func applyClientInformed(s *Engagement, e *ClientInformed, h *Header) error {
	if err := s.fresh(e.InformationID); err != nil {
		return err
	}
	if err := s.stakeholderRefs(e.Recipients); err != nil {
		return err
	}
	if err := s.refs(e.About); err != nil {
		return err
	}
	x := &Information{
		ID: e.InformationID, Subject: e.Subject, Summary: e.Summary, Channel: e.Channel,
		Recipients: slices.Clone(e.Recipients), About: slices.Clone(e.About), InformedBy: h.ActorID, InformedAt: h.At, InformedOccurredAt: h.OccurredAt,
	}
	s.Informed = append(s.Informed, x)
	s.information[x.ID] = x
	s.created(x.ID, "information", h.Occurred())
	return nil
}

func applyInformationAcknowledged(s *Engagement, e *InformationAcknowledged, h *Header) error {
	x, err := need(s.information, "information", e.InformationID)
	if err != nil {
		return err
	}
	x.Acknowledgements = append(x.Acknowledgements, Acknowledgement{StakeholderID: h.ActorID, At: h.At, OccurredAt: h.OccurredAt})
	return nil
}

func applyDecisionMade(s *Engagement, e *DecisionMade, h *Header) error {
	if err := s.fresh(e.DecisionID); err != nil {
		return err
	}
	if err := s.stakeholderRefs(e.Participants); err != nil {
		return err
	}
	if err := s.stakeholderRefs(e.ClientParticipants); err != nil {
		return err
	}
	if err := s.refs(e.About); err != nil {
		return err
	}
	x := &Decision{
		ID: e.DecisionID, Title: e.Title, Kind: e.Kind, Options: slices.Clone(e.Options), Chosen: e.Chosen,
		Rationale: e.Rationale, Participants: slices.Clone(e.Participants),
		ClientParticipants: slices.Clone(e.ClientParticipants), About: slices.Clone(e.About),
		DecidedBy: h.ActorID, DecidedAt: h.At, DecidedOccurredAt: h.OccurredAt,
	}
	s.Decisions = append(s.Decisions, x)
	s.decisions[x.ID] = x
	s.created(x.ID, "decision", h.Occurred())
	return nil
}
