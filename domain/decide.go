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

// waiting looks id up as get does (its field is kind_id) and refuses it,
// with code, once it no longer waits for what a command would do to it:
// an assumption already validated, a delivery already accepted.
func waiting[T any, P interface {
	*T
	waits() (Status, bool)
}](m map[string]*T, notFound, kind, id, code string) (*T, error) {
	x, err := get(m, notFound, kind+"_id", kind, id)
	if err != nil {
		return nil, err
	}
	if st, ok := P(x).waits(); !ok {
		return nil, conflict(code, "%s %q is already %s", kind, id, st)
	}
	return x, nil
}

// What each kind waits in, for waiting.
func (x *Assumption) waits() (Status, bool)    { return x.Status, x.Status == StatusOpen }
func (x *ChangeRequest) waits() (Status, bool) { return x.Status, x.Status == StatusOpen }
func (x *Feature) waits() (Status, bool)       { return x.Status, x.Status == StatusProposed }
func (x *Delivery) waits() (Status, bool)      { return x.Status, x.Status == StatusAwaiting }
func (x *Dependency) waits() (Status, bool)    { return x.Status, x.Status == StatusOpen }
func (x *Difficulty) waits() (Status, bool)    { return x.Status, !x.Resolved() }
func (x *Risk) waits() (Status, bool)          { return x.Status, x.Open() }
func (x *Exception) waits() (Status, bool)     { return x.Status, x.Status == StatusOpen }

func (d *decider) decide(cmd Command) ([]Event, error) {
	if evs, ok, err := d.decideGovernance(cmd); ok {
		return evs, err
	}
	switch c := cmd.(type) {
	// Lifecycle.
	case AdvancePhase:
		return d.advancePhase(c)
	case CloseEngagement:
		return d.closeEngagement(c)
	case RecordLesson:
		return d.recordLesson(c)
	// People.
	case JoinParty:
		return d.joinParty(c)
	case DefinePerimeter:
		return d.definePerimeter(c)
	case AddStakeholder:
		return d.addStakeholder(c)
	case BriefStakeholder:
		return d.briefStakeholder(c)
	case RemoveStakeholder:
		return d.removeStakeholder(c)
	// Emergence.
	case InviteExpert:
		return d.inviteExpert(c)
	case CommitExpert:
		return d.commitExpert(c)
	case WithdrawExpert:
		return d.withdrawExpert(c)
	case JoinDiscussion:
		return d.joinDiscussion(c)
	case SignAgreement:
		return d.signAgreement(c)
	// Scoping.
	case HoldWorkshop:
		return d.holdWorkshop(c)
	case DefineIndicator:
		return d.defineIndicator(c)
	case MeasureIndicator:
		return d.measureIndicator(c)
	// Requirements.
	case RaiseRequirement:
		return d.raiseRequirement(c)
	case AskQuestion:
		return d.askQuestion(c)
	case ClarifyRequirement:
		return d.clarifyRequirement(c)
	case MakeAssumption:
		return d.makeAssumption(c)
	case ValidateAssumption:
		return d.validateAssumption(c)
	case RejectAssumption:
		return d.rejectAssumption(c)
	case RequestChange:
		return d.requestChange(c)
	case ApproveChange:
		return d.approveChange(c)
	case RejectChange:
		return d.rejectChange(c)
	case ProposeFeature:
		return d.proposeFeature(c)
	case AcceptFeature:
		return d.acceptFeature(c)
	case DeclineFeature:
		return d.declineFeature(c)
	// Commitments.
	case PlanMilestone:
		return d.planMilestone(c)
	case ReportDifficulty:
		return d.reportDifficulty(c)
	case DiscloseDelay:
		return d.discloseDelay(c)
	case DiscloseCostImpact:
		return d.discloseCostImpact(c)
	case DiscloseSkillsGap:
		return d.discloseSkillsGap(c)
	// Communication.
	case InformClient:
		return d.informClient(c)
	case AcknowledgeInformation:
		return d.acknowledgeInformation(c)
	case MakeDecision:
		return d.makeDecision(c)
	// Delivery.
	case MakeDelivery:
		return d.makeDelivery(c)
	case AcceptDelivery:
		return d.acceptDelivery(c)
	case RejectDelivery:
		return d.rejectDelivery(c)
	case RaiseNeedAtDelivery:
		return d.raiseNeedAtDelivery(c)
	case OpenEngagement:
		// Handled before the actor checks; kept here so the switch lists
		// every command.
		return nil, conflict(CodeEngagementExists, "engagement %q is already opened", d.s.ID)
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
