package domain

import (
	"math"
	"net/mail"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Decide judges a command against the current state and returns the events
// that record it, or an *Error naming the first rule it breaks. s is nil when
// the engagement does not exist yet; then only OpenEngagement is allowed.
// now is the moment the command is decided (read by the caller, never here);
// every event's Header is filled with s's id, the actor and now in UTC.
// Decide never modifies s.
//
// Checks run in a fixed order, so the error is predictable: engagement
// exists and is not closed; actor named, a current stakeholder, on an
// allowed side; phase; command fields; references; state rules; last, the
// claimed time (see Claim and checkClaim).
func Decide(s *Engagement, cmd Command, now time.Time) ([]Event, error) {
	cmd = deref(cmd)
	if cmd == nil {
		return nil, invalid(CodeUnknownCommand, "", "no command given")
	}
	now = now.UTC()
	if o, ok := cmd.(OpenEngagement); ok {
		return decideOpen(s, o, now)
	}
	if s == nil {
		return nil, notFound(CodeEngagementNotFound, "", "the engagement does not exist")
	}
	if s.Phase == PhaseClosed {
		return nil, conflict(CodeEngagementClosed, "engagement %q is closed and takes no more commands", s.ID)
	}
	actorID := cmd.Actor()
	if strings.TrimSpace(actorID) == "" {
		return nil, invalid(CodeActorRequired, "actor_id", "every command must name its actor")
	}
	actor, ok := s.Stakeholder(actorID)
	if !ok {
		return nil, forbidden(CodeActorNotStakeholder, "%q is not a stakeholder of engagement %q", actorID, s.ID)
	}
	if actor.Left {
		return nil, forbidden(CodeActorLeft, "stakeholder %q has left the engagement", actorID)
	}
	d := &decider{s: s, now: now, actor: actor}
	if c, ok := cmd.(interface{ Claimed() time.Time }); ok && !c.Claimed().IsZero() {
		d.claim = c.Claimed().UTC()
	}
	evs, err := d.decide(cmd)
	if err != nil {
		return nil, err
	}
	evs = append(evs, d.exceptions(evs)...) // the tolerance policy (tolerances.go)
	for _, e := range evs {
		if err := d.checkClaim(claimField(cmd), e); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// claimField names the field that carries a command's claimed time.
func claimField(cmd Command) string {
	switch cmd.(type) {
	case HoldWorkshop:
		return "held_at"
	case MeasureIndicator:
		return "measured_at"
	}
	return "occurred_at"
}

// checkClaim holds the rules of a claimed time (the event's OccurredAt):
// not in the future, not before the engagement opened, and not before
// anything the fact names happened (a fact cannot have happened before what
// it refers to; this also keeps the state "as it happened by T" a state
// that folds). An event without a claim has nothing to check.
func (d *decider) checkClaim(field string, e Event) error {
	t := e.Head().OccurredAt
	if t.IsZero() {
		return nil
	}
	if !validTime(t) {
		return invalid(CodeInvalidDate, field, "%s is out of range", field)
	}
	if t.After(d.now) {
		return invalid(CodeDateInFuture, field, "%s is in the future: a fact is recorded once it happened", field)
	}
	if t.Before(d.s.OpenedAt) {
		return invalid(CodeDateBeforeOpening, field, "%s is before the engagement opened (%s)", field, d.s.OpenedAt.Format(time.RFC3339))
	}
	ids, party := Names(e)
	for _, id := range ids {
		if at, ok := d.s.happened[id]; ok && t.Before(at) {
			return invalid(CodeDateBeforeReference, field, "%s is before the %s %q it names happened (%s)",
				field, d.s.ids[id], id, at.Format(time.RFC3339))
		}
	}
	if p, ok := d.s.Party(party); ok && t.Before(occurred(p.JoinedOccurredAt, p.JoinedAt)) {
		return invalid(CodeDateBeforeReference, field, "%s is before the %s party joined (%s)",
			field, party, occurred(p.JoinedOccurredAt, p.JoinedAt).Format(time.RFC3339))
	}
	return nil
}

// deref accepts commands passed by pointer, as the API decodes them.
func deref(cmd Command) Command {
	if cmd == nil {
		return nil
	}
	v := reflect.ValueOf(cmd)
	if v.Kind() != reflect.Pointer {
		return cmd
	}
	if v.IsNil() {
		return nil
	}
	c, _ := v.Elem().Interface().(Command)
	return c
}

type decider struct {
	s     *Engagement
	now   time.Time
	actor *Stakeholder
	claim time.Time // the command's claimed time, checked once decided
}

func (d *decider) h() Header {
	return Header{EngagementID: d.s.ID, ActorID: d.actor.ID, At: d.now, OccurredAt: d.claim}
}

// one wraps a single event; most commands record exactly one fact.
func one(e Event) ([]Event, error) { return []Event{e}, nil }

// Sides allowed to act.
var (
	clientSide   = []Party{PartyClient}
	supplierSide = []Party{PartySupplier, PartyProvider}
	anySide      = []Party{PartyClient, PartySupplier, PartyProvider}
)

// Phases in which families of commands are allowed.
var (
	working        = []Phase{PhaseScoping, PhaseDelivery, PhaseAcceptance}
	anyOpenPhase   = []Phase{PhaseEmergence, PhaseScoping, PhaseDelivery, PhaseAcceptance}
	deliveryPhases = []Phase{PhaseDelivery, PhaseAcceptance}
)

// allow checks the actor's side and the phase, in that order.
func (d *decider) allow(what string, sides []Party, phases []Phase) error {
	if !slices.Contains(sides, d.actor.Party) {
		return forbidden(CodeActorWrongParty, "%s is for the %s side; %q is on the %s side", what, sidesText(sides), d.actor.ID, d.actor.Party)
	}
	if !slices.Contains(phases, d.s.Phase) {
		return conflict(CodeWrongPhase, "%s is not possible in the %s phase", what, d.s.Phase)
	}
	return nil
}

func sidesText(sides []Party) string {
	if slices.Equal(sides, clientSide) {
		return "client"
	}
	if slices.Equal(sides, supplierSide) {
		return "supplier (or provider)"
	}
	return "any"
}

// ---- field checks ----------------------------------------------------------

const maxIDLen = 128

// validID: 1 to 128 characters from [A-Za-z0-9._:-], not only dots, which
// covers UUIDs, ULIDs and human slugs and keeps ids safe in URLs (where "."
// and ".." would name another path) and logs.
func validID(id string) bool {
	if id == "" || len(id) > maxIDLen || strings.Trim(id, ".") == "" {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == ':':
		default:
			return false
		}
	}
	return true
}

func required(field, v string) *Error {
	if strings.TrimSpace(v) == "" {
		return invalid(CodeFieldRequired, field, "%s is required", field)
	}
	return nil
}

func checkID(field, id string) *Error {
	if id == "" {
		return invalid(CodeFieldRequired, field, "%s is required", field)
	}
	if !validID(id) {
		return invalid(CodeInvalidID, field, "%s must be 1 to %d characters among letters, digits and - _ . :, not only dots", field, maxIDLen)
	}
	return nil
}

// newID checks the id of a thing the command creates: well-formed and not
// used by anything else in the engagement, whatever its kind.
func (d *decider) newID(field, id string) *Error {
	if err := checkID(field, id); err != nil {
		return err
	}
	if k := d.s.ids[id]; k != "" {
		e := conflict(CodeDuplicateID, "id %q is already used by a %s of this engagement", id, k)
		e.Field = field
		return e
	}
	return nil
}

func checkEmail(field, v string) *Error {
	if v == "" {
		return nil
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v {
		return invalid(CodeInvalidEmail, field, "%s is not a plain e-mail address", field)
	}
	return nil
}

// item names element i of the list field, as Error.Field does.
func item(field string, i int) string { return field + "." + strconv.Itoa(i) }

// first returns the first non-nil error, so that a command's field checks
// read as one list.
func first(errs ...*Error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// currentStakeholders checks a list of stakeholder ids: present, known,
// not left, no duplicates.
func (d *decider) currentStakeholders(field string, ids []string) ([]*Stakeholder, error) {
	if len(ids) == 0 {
		return nil, invalid(CodeFieldRequired, field, "%s must name at least one stakeholder", field)
	}
	out := make([]*Stakeholder, 0, len(ids))
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			return nil, invalid(CodeDuplicateReference, item(field, i), "%s names %q twice", field, id)
		}
		x, ok := d.s.Stakeholder(id)
		if !ok {
			return nil, notFound(CodeStakeholderNotFound, item(field, i), "stakeholder %q is not in the engagement", id)
		}
		if x.Left {
			e := conflict(CodeStakeholderLeft, "stakeholder %q has left the engagement", id)
			e.Field = item(field, i)
			return nil, e
		}
		out = append(out, x)
	}
	return out, nil
}

// references checks a list of ids of facts of the engagement (any kind).
func (d *decider) references(field string, ids []string) error {
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			return invalid(CodeDuplicateReference, item(field, i), "%s names %q twice", field, id)
		}
		if d.s.ids[id] == "" {
			return notFound(CodeReferenceNotFound, item(field, i), "%q names nothing in the engagement", id)
		}
	}
	return nil
}

func finite(field string, v float64) *Error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return invalid(CodeInvalidNumber, field, "%s must be a finite number", field)
	}
	return nil
}

// past returns t (or now when t is zero) in UTC, refusing a future moment.
func (d *decider) past(field string, t time.Time) (time.Time, *Error) {
	if t.IsZero() {
		return d.now, nil
	}
	if t.After(d.now) {
		return time.Time{}, invalid(CodeDateInFuture, field, "%s is in the future", field)
	}
	if !validTime(t.UTC()) {
		return time.Time{}, invalid(CodeInvalidDate, field, "%s is out of range", field)
	}
	return t.UTC(), nil
}

func validTime(t time.Time) bool { return t.Year() >= 1 && t.Year() <= 9999 }

// ---- lookups with typed errors ---------------------------------------------

func get[T any](m map[string]*T, code, field, kind, id string) (*T, error) {
	if id == "" {
		return nil, invalid(CodeFieldRequired, field, "%s is required", field)
	}
	if v, ok := m[id]; ok {
		return v, nil
	}
	return nil, notFound(code, field, "%s %q is not in the engagement", kind, id)
}

// optional looks up id only when it is set.
func optional[T any](m map[string]*T, code, field, kind, id string) error {
	if id == "" {
		return nil
	}
	_, err := get(m, code, field, kind, id)
	return err
}

// ---- the commands ----------------------------------------------------------

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

func (d *decider) decide(cmd Command) ([]Event, error) {
	if evs, ok, err := d.decideGovernance(cmd); ok {
		return evs, err
	}
	s := d.s
	switch c := cmd.(type) {
	// Lifecycle.
	case AdvancePhase:
		if err := d.allow("advancing the phase", anySide, anyOpenPhase); err != nil {
			return nil, err
		}
		if c.To == PhaseClosed {
			return nil, invalid(CodeInvalidPhase, "to", "an engagement is closed with CloseEngagement, not by advancing its phase")
		}
		if !c.To.Valid() {
			return nil, invalid(CodeInvalidPhase, "to", "%q is not a phase", c.To)
		}
		if c.To != s.Phase.Next() {
			return nil, conflict(CodePhaseNotNext, "from %s the next phase is %s, not %s", s.Phase, s.Phase.Next(), c.To)
		}
		if err := d.gate(c.To); err != nil {
			return nil, err
		}
		return one(&PhaseAdvanced{Header: d.h(), From: s.Phase, To: c.To})
	case CloseEngagement:
		if err := d.allow("closing the engagement", anySide, []Phase{PhaseAcceptance}); err != nil {
			return nil, err
		}
		if c.RetentionDays < 0 || c.RetentionDays > MaxRetentionDays {
			return nil, invalid(CodeInvalidNumber, "retention_days", "retention_days must be from 1 to %d days", MaxRetentionDays)
		}
		if n := len(s.AwaitingAcceptance()); n > 0 {
			return nil, conflict(CodeDeliveriesAwaiting, "%d deliveries still await acceptance", n)
		}
		return one(&EngagementClosed{Header: d.h(), Summary: c.Summary, RetentionDays: int64(c.RetentionDays)})
	case RecordLesson:
		if err := d.allow("recording a lesson", anySide, anyOpenPhase); err != nil {
			return nil, err
		}
		if err := first(d.newID("lesson_id", c.LessonID), required("text", c.Text)); err != nil {
			return nil, err
		}
		return one(&LessonRecorded{Header: d.h(), LessonID: c.LessonID, Text: c.Text})

	// People.
	case JoinParty:
		if err := d.allow("bringing a party in", anySide, anyOpenPhase); err != nil {
			return nil, err
		}
		if !c.Party.Valid() {
			return nil, invalid(CodeInvalidParty, "party", "%q is not a party", c.Party)
		}
		if err := required("name", c.Name); err != nil {
			return nil, err
		}
		if _, ok := s.Party(c.Party); ok {
			return nil, conflict(CodePartyAlreadyJoined, "the %s party has already joined", c.Party)
		}
		return one(&PartyJoined{Header: d.h(), Party: c.Party, Name: c.Name})
	case DefinePerimeter:
		if err := d.allow("defining a perimeter", anySide, anyOpenPhase); err != nil {
			return nil, err
		}
		if !c.Party.Valid() {
			return nil, invalid(CodeInvalidParty, "party", "%q is not a party", c.Party)
		}
		if err := required("description", c.Description); err != nil {
			return nil, err
		}
		if _, ok := s.Party(c.Party); !ok {
			return nil, notFound(CodePartyNotFound, "party", "the %s party has not joined", c.Party)
		}
		return one(&PerimeterDefined{Header: d.h(), Party: c.Party, Description: c.Description,
			Includes: list(c.Includes), Excludes: list(c.Excludes)})
	case AddStakeholder:
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
		if _, ok := s.Party(n.Party); !ok {
			return nil, notFound(CodePartyNotFound, "party", "the %s party has not joined", n.Party)
		}
		if x, ok := s.StakeholderByPrincipal(n.PrincipalID); ok {
			e := conflict(CodePrincipalTaken, "principal %q is already stakeholder %q", n.PrincipalID, x.ID)
			e.Field = "principal_id"
			return nil, e
		}
		return one(&StakeholderJoined{
			Header: d.h(), StakeholderID: n.StakeholderID, Party: n.Party, Name: n.Name, Email: n.Email,
			Role: n.Role, PrincipalID: n.PrincipalID, Late: s.Phase != PhaseEmergence,
		})
	case BriefStakeholder:
		if err := d.allow("briefing a stakeholder", anySide, anyOpenPhase); err != nil {
			return nil, err
		}
		x, err := get(s.stakeholders, CodeStakeholderNotFound, "stakeholder_id", "stakeholder", c.StakeholderID)
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
	case RemoveStakeholder:
		if err := d.allow("removing a stakeholder", anySide, anyOpenPhase); err != nil {
			return nil, err
		}
		x, err := get(s.stakeholders, CodeStakeholderNotFound, "stakeholder_id", "stakeholder", c.StakeholderID)
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

	// Emergence.
	case InviteExpert:
		if err := d.allow("inviting an expert", supplierSide, []Phase{PhaseEmergence}); err != nil {
			return nil, err
		}
		if err := first(d.newID("expert_id", c.ExpertID), required("name", c.Name), checkEmail("email", c.Email)); err != nil {
			return nil, err
		}
		return one(&ExpertInvited{Header: d.h(), ExpertID: c.ExpertID, Name: c.Name, Email: c.Email, Expertise: c.Expertise})
	case CommitExpert:
		if err := d.allow("committing an expert", supplierSide, []Phase{PhaseEmergence}); err != nil {
			return nil, err
		}
		x, err := get(s.experts, CodeExpertNotFound, "expert_id", "expert", c.ExpertID)
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
	case WithdrawExpert:
		if err := d.allow("withdrawing an expert", supplierSide, anyOpenPhase); err != nil {
			return nil, err
		}
		x, err := get(s.experts, CodeExpertNotFound, "expert_id", "expert", c.ExpertID)
		if err != nil {
			return nil, err
		}
		if x.Status == StatusWithdrawn {
			return nil, conflict(CodeExpertWithdrawn, "expert %q has already withdrawn", x.ID)
		}
		return one(&ExpertWithdrew{Header: d.h(), ExpertID: x.ID, Reason: c.Reason})
	case JoinDiscussion:
		if err := d.allow("joining the discussion", clientSide, []Phase{PhaseEmergence}); err != nil {
			return nil, err
		}
		if s.ClientInDiscussion {
			return nil, conflict(CodeAlreadyInDiscussion, "the client has already joined the discussion")
		}
		return one(&ClientJoinedDiscussion{Header: d.h(), Note: c.Note})
	case SignAgreement:
		if err := d.allow("signing the agreement", []Party{PartyClient, PartySupplier}, []Phase{PhaseEmergence, PhaseScoping}); err != nil {
			return nil, err
		}
		if s.Agreement != nil {
			return nil, conflict(CodeAgreementAlreadySigned, "the agreement was signed on %s", s.Agreement.SignedAt.Format(time.DateOnly))
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

	// Scoping.
	case HoldWorkshop:
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
	case DefineIndicator:
		if err := d.allow("defining a success indicator", anySide, []Phase{PhaseScoping, PhaseDelivery}); err != nil {
			return nil, err
		}
		if err := first(d.newID("indicator_id", c.IndicatorID), required("name", c.Name), finite("target", c.Target)); err != nil {
			return nil, err
		}
		if !c.Direction.Valid() {
			return nil, invalid(CodeInvalidDirection, "direction", "direction is %q or %q", AtLeast, AtMost)
		}
		if err := optional(s.workshops, CodeWorkshopNotFound, "workshop_id", "workshop", c.WorkshopID); err != nil {
			return nil, err
		}
		return one(&IndicatorDefined{Header: d.h(), IndicatorID: c.IndicatorID, WorkshopID: c.WorkshopID, Name: c.Name,
			Unit: c.Unit, Target: c.Target, Direction: c.Direction})
	case MeasureIndicator:
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
		x, err := get(s.indicators, CodeIndicatorNotFound, "indicator_id", "indicator", c.IndicatorID)
		if err != nil {
			return nil, err
		}
		h := d.h()
		if !c.MeasuredAt.IsZero() {
			h.OccurredAt = at // measured_at is the measurement's claim
		}
		return one(&IndicatorMeasured{Header: h, MeasurementID: c.MeasurementID, IndicatorID: x.ID, Value: c.Value, MeasuredAt: at, Note: c.Note})

	// Requirements.
	case RaiseRequirement:
		if err := d.allow("raising a requirement", anySide, []Phase{PhaseScoping, PhaseDelivery}); err != nil {
			return nil, err
		}
		if err := first(d.newID("requirement_id", c.RequirementID), required("title", c.Title)); err != nil {
			return nil, err
		}
		return one(&RequirementRaised{Header: d.h(), RequirementID: c.RequirementID, Title: c.Title, Description: c.Description})
	case AskQuestion:
		if err := d.allow("questioning a requirement", supplierSide, working); err != nil {
			return nil, err
		}
		if err := first(d.newID("question_id", c.QuestionID), required("text", c.Text)); err != nil {
			return nil, err
		}
		if _, err := get(s.requirements, CodeRequirementNotFound, "requirement_id", "requirement", c.RequirementID); err != nil {
			return nil, err
		}
		return one(&QuestionAsked{Header: d.h(), QuestionID: c.QuestionID, RequirementID: c.RequirementID, Text: c.Text})
	case ClarifyRequirement:
		return d.clarify(c)
	case MakeAssumption:
		if err := d.allow("making an assumption", supplierSide, working); err != nil {
			return nil, err
		}
		if err := first(d.newID("assumption_id", c.AssumptionID), required("statement", c.Statement)); err != nil {
			return nil, err
		}
		if err := optional(s.requirements, CodeRequirementNotFound, "requirement_id", "requirement", c.RequirementID); err != nil {
			return nil, err
		}
		return one(&AssumptionMade{Header: d.h(), AssumptionID: c.AssumptionID, RequirementID: c.RequirementID, Statement: c.Statement})
	case ValidateAssumption:
		x, err := d.openAssumption("validating an assumption", c.AssumptionID)
		if err != nil {
			return nil, err
		}
		return one(&AssumptionValidated{Header: d.h(), AssumptionID: x.ID, Comment: c.Comment})
	case RejectAssumption:
		x, err := d.openAssumption("rejecting an assumption", c.AssumptionID)
		if err != nil {
			return nil, err
		}
		return one(&AssumptionRejected{Header: d.h(), AssumptionID: x.ID, Reason: c.Reason})
	case RequestChange:
		if err := d.allow("requesting a change", anySide, working); err != nil {
			return nil, err
		}
		if err := first(d.newID("change_id", c.ChangeID), required("description", c.Description)); err != nil {
			return nil, err
		}
		if err := optional(s.requirements, CodeRequirementNotFound, "requirement_id", "requirement", c.RequirementID); err != nil {
			return nil, err
		}
		return one(&ChangeRequested{Header: d.h(), ChangeID: c.ChangeID, RequirementID: c.RequirementID, Description: c.Description, Reason: c.Reason})
	case ApproveChange:
		x, err := d.openChange("approving a change", c.ChangeID)
		if err != nil {
			return nil, err
		}
		return one(&ChangeApproved{Header: d.h(), ChangeID: x.ID, Comment: c.Comment})
	case RejectChange:
		x, err := d.openChange("rejecting a change", c.ChangeID)
		if err != nil {
			return nil, err
		}
		return one(&ChangeRejected{Header: d.h(), ChangeID: x.ID, Reason: c.Reason})
	case ProposeFeature:
		if err := d.allow("proposing a feature", supplierSide, working); err != nil {
			return nil, err
		}
		if err := first(d.newID("feature_id", c.FeatureID), required("title", c.Title)); err != nil {
			return nil, err
		}
		return one(&FeatureProposed{Header: d.h(), FeatureID: c.FeatureID, Title: c.Title, Description: c.Description})
	case AcceptFeature:
		x, err := d.proposedFeature("accepting a feature", c.FeatureID)
		if err != nil {
			return nil, err
		}
		return one(&FeatureAccepted{Header: d.h(), FeatureID: x.ID, Comment: c.Comment})
	case DeclineFeature:
		x, err := d.proposedFeature("declining a feature", c.FeatureID)
		if err != nil {
			return nil, err
		}
		return one(&FeatureDeclined{Header: d.h(), FeatureID: x.ID, Reason: c.Reason})

	// Commitments.
	case PlanMilestone:
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
		if c.DueDate.Before(s.OpenedAt) {
			return nil, invalid(CodeDateBeforeOpening, "due_date", "due_date is before the engagement opened (%s)", s.OpenedAt.Format(time.RFC3339))
		}
		return one(&MilestonePlanned{Header: d.h(), MilestoneID: c.MilestoneID, Title: c.Title, DueDate: c.DueDate.UTC()})
	case ReportDifficulty:
		if err := d.allow("reporting a difficulty", supplierSide, working); err != nil {
			return nil, err
		}
		if err := first(d.newID("difficulty_id", c.DifficultyID), required("description", c.Description)); err != nil {
			return nil, err
		}
		if err := optional(s.milestones, CodeMilestoneNotFound, "milestone_id", "milestone", c.MilestoneID); err != nil {
			return nil, err
		}
		return one(&DifficultyReported{Header: d.h(), DifficultyID: c.DifficultyID, MilestoneID: c.MilestoneID, Description: c.Description})
	case DiscloseDelay:
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
		m, err := get(s.milestones, CodeMilestoneNotFound, "milestone_id", "milestone", c.MilestoneID)
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
	case DiscloseCostImpact:
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
		if err := optional(s.difficulties, CodeDifficultyNotFound, "difficulty_id", "difficulty", c.DifficultyID); err != nil {
			return nil, err
		}
		return one(&CostImpactDisclosed{Header: d.h(), CostImpactID: c.CostImpactID, DifficultyID: c.DifficultyID,
			Amount: c.Amount, Currency: c.Currency, Reason: c.Reason})
	case DiscloseSkillsGap:
		if err := d.allow("disclosing a skills gap", supplierSide, working); err != nil {
			return nil, err
		}
		if err := first(d.newID("skills_gap_id", c.SkillsGapID), required("skill", c.Skill)); err != nil {
			return nil, err
		}
		if err := optional(s.difficulties, CodeDifficultyNotFound, "difficulty_id", "difficulty", c.DifficultyID); err != nil {
			return nil, err
		}
		return one(&SkillsGapDisclosed{Header: d.h(), SkillsGapID: c.SkillsGapID, DifficultyID: c.DifficultyID, Skill: c.Skill, Mitigation: c.Mitigation})

	// Communication.
	case InformClient:
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
	case AcknowledgeInformation:
		if err := d.allow("acknowledging information", clientSide, anyOpenPhase); err != nil {
			return nil, err
		}
		x, err := get(s.information, CodeInformationNotFound, "information_id", "information", c.InformationID)
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
	case MakeDecision:
		return d.decision(c)

	// Delivery.
	case MakeDelivery:
		if err := d.allow("making a delivery", supplierSide, deliveryPhases); err != nil {
			return nil, err
		}
		if err := first(d.newID("delivery_id", c.DeliveryID), required("title", c.Title)); err != nil {
			return nil, err
		}
		if err := optional(s.milestones, CodeMilestoneNotFound, "milestone_id", "milestone", c.MilestoneID); err != nil {
			return nil, err
		}
		if err := refsOf(s.requirements, CodeRequirementNotFound, "requirement_ids", "requirement", c.RequirementIDs); err != nil {
			return nil, err
		}
		// Features are delivered whatever their status: delivering one the
		// client never accepted is allowed, and the indicators expose it.
		if err := refsOf(s.features, CodeFeatureNotFound, "feature_ids", "feature", c.FeatureIDs); err != nil {
			return nil, err
		}
		return one(&DeliveryMade{Header: d.h(), DeliveryID: c.DeliveryID, Title: c.Title, Description: c.Description,
			MilestoneID: c.MilestoneID, RequirementIDs: list(c.RequirementIDs), FeatureIDs: list(c.FeatureIDs)})
	case AcceptDelivery:
		x, err := d.awaitingDelivery("accepting a delivery", c.DeliveryID)
		if err != nil {
			return nil, err
		}
		verdicts, err := d.judge(x, c.Verdicts, true)
		if err != nil {
			return nil, err
		}
		return one(&DeliveryAccepted{Header: d.h(), DeliveryID: x.ID, Comment: c.Comment, Verdicts: verdicts})
	case RejectDelivery:
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
	case RaiseNeedAtDelivery:
		if err := d.allow("raising a need at delivery", anySide, deliveryPhases); err != nil {
			return nil, err
		}
		if err := first(d.newID("need_id", c.NeedID), required("title", c.Title)); err != nil {
			return nil, err
		}
		x, err := get(s.deliveries, CodeDeliveryNotFound, "delivery_id", "delivery", c.DeliveryID)
		if err != nil {
			return nil, err
		}
		return one(&NeedRaisedAtDelivery{Header: d.h(), NeedID: c.NeedID, DeliveryID: x.ID, Title: c.Title, Description: c.Description})

	case OpenEngagement:
		// Handled before the actor checks; kept here so the switch lists
		// every command.
		return nil, conflict(CodeEngagementExists, "engagement %q is already opened", s.ID)
	}
	return nil, invalid(CodeUnknownCommand, "", "unknown command %T", cmd)
}

// list copies an optional list, nil when empty, so that the event is the
// same before and after a JSON round trip (omitempty drops empty lists).
func list(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	return slices.Clone(xs)
}

func isClient(x *Stakeholder) bool   { return x.Party == PartyClient }
func isSupplier(x *Stakeholder) bool { return x.Party == PartySupplier }

func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := range 3 {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
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

// clarify enforces who may settle a requirement's meaning: a client-side
// stakeholder, or the supplier side quoting the client's answer to an open
// question of that very requirement.
func (d *decider) clarify(c ClarifyRequirement) ([]Event, error) {
	s := d.s
	if err := d.allow("clarifying a requirement", anySide, working); err != nil {
		return nil, err
	}
	r, err := get(s.requirements, CodeRequirementNotFound, "requirement_id", "requirement", c.RequirementID)
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
		q, err := get(s.questions, CodeQuestionNotFound, "question_id", "question", c.QuestionID)
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
	who, ok := s.Stakeholder(c.AnsweredBy)
	if !ok {
		return nil, notFound(CodeStakeholderNotFound, "answered_by", "stakeholder %q is not in the engagement", c.AnsweredBy)
	}
	if who.Party != PartyClient {
		return nil, invalid(CodeNotClientSide, "answered_by", "the quoted answer must come from a client-side stakeholder; %q is on the %s side", who.ID, who.Party)
	}
	e.AnsweredBy = who.ID
	return one(e)
}

func (d *decider) decision(c MakeDecision) ([]Event, error) {
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

func (d *decider) awaitingDelivery(what, id string) (*Delivery, error) {
	if err := d.allow(what, clientSide, deliveryPhases); err != nil {
		return nil, err
	}
	x, err := get(d.s.deliveries, CodeDeliveryNotFound, "delivery_id", "delivery", id)
	if err != nil {
		return nil, err
	}
	if x.Status != StatusAwaiting {
		return nil, conflict(CodeDeliveryNotAwaiting, "delivery %q is already %s", x.ID, x.Status)
	}
	return x, nil
}
