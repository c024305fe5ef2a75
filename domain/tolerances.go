package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"strings"
	"time"
)

// Tolerances and exceptions (PRINCE2's management by exception): at
// scoping, the parties agree how far the schedule may slip (days) and how
// much the disclosed cost impacts may add up to (one currency). When a
// disclosed delay or cost impact passes a tolerance, an exception is
// raised in the same decision as that fact: a policy of Decide, so the
// exception is a recorded event like any other and replaying the stream
// applies it once and never decides it again. It stays open until a
// client-side stakeholder chooses among the options the supplier side put
// forward; the time to that decision is an indicator. The communication
// cadence says how often each client-side stakeholder is to be informed;
// the transparency report counts its breaches.
//
// Rules: tolerances and cadences are agreed in the scoping phase, by any
// side; the tolerances name who agreed them, a client-side stakeholder
// among them (no_client_participant); a cadence is for a current
// client-side stakeholder, every 1 to 365 days. The schedule slip is the
// largest of the milestones' (due date - original due date), in days; the
// cost is the sum of the disclosed cost impacts in the tolerances'
// currency (others are not converted, and not counted). An exception of a
// kind is raised when its measure passes the tolerance counted from the
// level of the last decided exception of that kind (zero at first), and
// none of that kind is open. Options are put forward by the supplier side
// on an open exception (again, to replace them); the decision is a
// client-side stakeholder's, one of the options.

// Kinds of exception.
const (
	ExceptionTime = "time"
	ExceptionCost = "cost"
)

// StatusDecided: an exception the client decided.
const StatusDecided Status = "decided"

// Wire names of the tolerance events.
const (
	TypeTolerancesAgreed         = "tolerances.agreed"
	TypeExceptionRaised          = "exception.raised"
	TypeExceptionOptionsProposed = "exception.options_proposed"
	TypeExceptionDecided         = "exception.decided"
	TypeCadenceAgreed            = "cadence.agreed"
)

// ---- commands ----------------------------------------------------------------

// AgreeTolerances records the time and cost tolerances agreed at scoping.
type AgreeTolerances struct {
	ActorID string `json:"-"`
	Claim
	TimeDays   int      `json:"time_days"`
	CostAmount int64    `json:"cost_amount"` // minor units
	Currency   string   `json:"currency"`
	AgreedBy   []string `json:"agreed_by"`
}

// ProposeExceptionOptions: the supplier side puts the options of an open
// exception forward, and may recommend one.
type ProposeExceptionOptions struct {
	ActorID string `json:"-"`
	Claim
	ExceptionID    string   `json:"exception_id"`
	Options        []string `json:"options"`
	Recommendation string   `json:"recommendation,omitempty"`
}

// DecideException: a client-side stakeholder chooses one of the options.
type DecideException struct {
	ActorID string `json:"-"`
	Claim
	ExceptionID string `json:"exception_id"`
	Chosen      string `json:"chosen"`
	Rationale   string `json:"rationale,omitempty"`
}

// AgreeCadence records how often a client-side stakeholder is to be
// informed.
type AgreeCadence struct {
	ActorID string `json:"-"`
	Claim
	StakeholderID string `json:"stakeholder_id"`
	EveryDays     int    `json:"every_days"`
}

func (c AgreeTolerances) Actor() string         { return c.ActorID }
func (c ProposeExceptionOptions) Actor() string { return c.ActorID }
func (c DecideException) Actor() string         { return c.ActorID }
func (c AgreeCadence) Actor() string            { return c.ActorID }

// ---- events ------------------------------------------------------------------

// TolerancesAgreed: the tolerances, replacing any agreed before.
type TolerancesAgreed struct {
	Header
	TimeDays   int64    `json:"time_days"`
	CostAmount int64    `json:"cost_amount"`
	Currency   string   `json:"currency"`
	AgreedBy   []string `json:"agreed_by"`
}

// ExceptionRaised: TriggerID (a delay or a cost impact) took the measure
// of Kind past its tolerance. Days is the schedule slip then, Amount the
// cost; the tolerance and the level it counted from are kept beside them.
type ExceptionRaised struct {
	Header
	ExceptionID string  `json:"exception_id"`
	Kind        string  `json:"kind"`
	TriggerID   string  `json:"trigger_id"`
	Days        float64 `json:"days,omitempty"`
	Amount      int64   `json:"amount,omitempty"`
	Currency    string  `json:"currency,omitempty"`
	Tolerance   float64 `json:"tolerance"` // days, or minor units
	Base        float64 `json:"base"`      // the level it counts from
}

// ExceptionOptionsProposed: the options put forward, replacing earlier ones.
type ExceptionOptionsProposed struct {
	Header
	ExceptionID    string   `json:"exception_id"`
	Options        []string `json:"options"`
	Recommendation string   `json:"recommendation,omitempty"`
}

// ExceptionDecided: the client chose.
type ExceptionDecided struct {
	Header
	ExceptionID string `json:"exception_id"`
	Chosen      string `json:"chosen"`
	Rationale   string `json:"rationale,omitempty"`
}

// CadenceAgreed: StakeholderID is to be informed at least every EveryDays.
type CadenceAgreed struct {
	Header
	StakeholderID string `json:"stakeholder_id"`
	EveryDays     int64  `json:"every_days"`
}

func (TolerancesAgreed) EventType() string         { return TypeTolerancesAgreed }
func (ExceptionRaised) EventType() string          { return TypeExceptionRaised }
func (ExceptionOptionsProposed) EventType() string { return TypeExceptionOptionsProposed }
func (ExceptionDecided) EventType() string         { return TypeExceptionDecided }
func (CadenceAgreed) EventType() string            { return TypeCadenceAgreed }

// ---- state -------------------------------------------------------------------

// Tolerances are the agreed tolerances, and the levels the next exception
// of each kind counts from.
type Tolerances struct {
	TimeDays   int64     `json:"time_days"`
	CostAmount int64     `json:"cost_amount"`
	Currency   string    `json:"currency"`
	AgreedBy   []string  `json:"agreed_by"`
	RecordedBy string    `json:"recorded_by"`
	AgreedAt   time.Time `json:"agreed_at"`
	TimeBase   float64   `json:"time_base"` // slip (days) of the last decided time exception
	CostBase   float64   `json:"cost_base"` // cost of the last decided cost exception
	// AgreedOccurredAt is when they are said to have been agreed, if claimed.
	AgreedOccurredAt time.Time `json:"agreed_occurred_at,omitzero"`
}

// Exception is a tolerance passed, and what the client decided.
type Exception struct {
	ID             string    `json:"id"`
	Kind           string    `json:"kind"`
	TriggerID      string    `json:"trigger_id"`
	Days           float64   `json:"days,omitempty"`
	Amount         int64     `json:"amount,omitempty"`
	Currency       string    `json:"currency,omitempty"`
	Tolerance      float64   `json:"tolerance"`
	Base           float64   `json:"base"`
	Status         Status    `json:"status"` // open, decided
	RaisedAt       time.Time `json:"raised_at"`
	Options        []string  `json:"options"`
	Recommendation string    `json:"recommendation,omitempty"`
	ProposedBy     string    `json:"proposed_by,omitempty"`
	ProposedAt     time.Time `json:"proposed_at,omitzero"`
	Chosen         string    `json:"chosen,omitempty"`
	Rationale      string    `json:"rationale,omitempty"`
	DecidedBy      string    `json:"decided_by,omitempty"`
	DecidedAt      time.Time `json:"decided_at,omitzero"`
	// Claimed moments of the fact that raised it and of the decision, if
	// given.
	RaisedOccurredAt  time.Time `json:"raised_occurred_at,omitzero"`
	DecidedOccurredAt time.Time `json:"decided_occurred_at,omitzero"`
}

// Cadence is how often a client-side stakeholder is to be informed.
type Cadence struct {
	StakeholderID string    `json:"stakeholder_id"`
	EveryDays     int64     `json:"every_days"`
	AgreedBy      string    `json:"agreed_by"`
	AgreedAt      time.Time `json:"agreed_at"`
}

// Exception returns an exception by id.
func (s *Engagement) Exception(id string) (*Exception, bool) { return lookup(s.exceptions, id) }

// ScheduleSlip is the largest slip of a milestone, in days.
func (s *Engagement) ScheduleSlip() float64 {
	slip := 0.0
	for _, m := range s.Milestones {
		slip = math.Max(slip, days(m.DueDate.Sub(m.OriginalDueDate)))
	}
	return slip
}

// Cost is the sum of the disclosed cost impacts in currency.
func (s *Engagement) Cost(currency string) int64 {
	var n int64
	for _, c := range s.CostImpacts {
		if c.Currency == currency {
			n += c.Amount
		}
	}
	return n
}

func days(d time.Duration) float64 { return d.Hours() / 24 }

// openException reports whether an exception of kind is open.
func (s *Engagement) openException(kind string) bool {
	return slices.ContainsFunc(s.Exceptions, func(x *Exception) bool { return x.Kind == kind && x.Status == StatusOpen })
}

// ---- rules -------------------------------------------------------------------

func (d *decider) agreeTolerances(c AgreeTolerances) ([]Event, error) {
	if err := d.allow("agreeing the tolerances", anySide, []Phase{PhaseScoping}); err != nil {
		return nil, err
	}
	if c.TimeDays < 0 || c.TimeDays > 3650 {
		return nil, invalid(CodeInvalidNumber, "time_days", "time_days is from 0 to 3650")
	}
	if c.CostAmount < 0 {
		return nil, invalid(CodeInvalidAmount, "cost_amount", "cost_amount is zero or more minor currency units")
	}
	if !validCurrency(c.Currency) {
		return nil, invalid(CodeInvalidCurrency, "currency", "currency is a three-letter ISO 4217 code such as EUR")
	}
	who, err := d.currentStakeholders("agreed_by", c.AgreedBy)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(who, isClient) {
		return nil, invalid(CodeNoClientParticipant, "agreed_by", "tolerances are agreed with the client: name at least one client-side stakeholder")
	}
	return one(&TolerancesAgreed{Header: d.h(), TimeDays: int64(c.TimeDays), CostAmount: c.CostAmount, Currency: c.Currency,
		AgreedBy: slices.Clone(c.AgreedBy)})
}

func (d *decider) openExceptionOf(what, id string, sides []Party) (*Exception, error) {
	if err := d.allow(what, sides, working); err != nil {
		return nil, err
	}
	return waiting(d.s.exceptions, CodeExceptionNotFound, "exception", id, CodeExceptionNotOpen)
}

func (d *decider) proposeExceptionOptions(c ProposeExceptionOptions) ([]Event, error) {
	x, err := d.openExceptionOf("putting an exception's options forward", c.ExceptionID, supplierSide)
	if err != nil {
		return nil, err
	}
	if err := options("options", c.Options); err != nil {
		return nil, err
	}
	if c.Recommendation != "" && !slices.Contains(c.Options, c.Recommendation) {
		return nil, invalid(CodeNotAnOption, "recommendation", "the recommendation is one of the options")
	}
	return one(&ExceptionOptionsProposed{Header: d.h(), ExceptionID: x.ID, Options: slices.Clone(c.Options), Recommendation: c.Recommendation})
}

// options checks a list of options: at least one, none blank, distinct.
func options(field string, opts []string) *Error {
	if len(opts) == 0 {
		return invalid(CodeInvalidOptions, field, "%s lists at least one option", field)
	}
	for i, o := range opts {
		if strings.TrimSpace(o) == "" || slices.Contains(opts[:i], o) {
			return invalid(CodeInvalidOptions, item(field, i), "options must be non-empty and distinct")
		}
	}
	return nil
}

func (d *decider) decideException(c DecideException) ([]Event, error) {
	x, err := d.openExceptionOf("deciding an exception", c.ExceptionID, clientSide)
	if err != nil {
		return nil, err
	}
	if len(x.Options) == 0 {
		return nil, conflict(CodeNoOptionsProposed, "exception %q has no options yet: the supplier side puts them forward", x.ID)
	}
	if !slices.Contains(x.Options, c.Chosen) {
		return nil, invalid(CodeNotAnOption, "chosen", "the choice is one of the options put forward: %s", strings.Join(x.Options, "; "))
	}
	return one(&ExceptionDecided{Header: d.h(), ExceptionID: x.ID, Chosen: c.Chosen, Rationale: c.Rationale})
}

func (d *decider) agreeCadence(c AgreeCadence) ([]Event, error) {
	if err := d.allow("agreeing a communication cadence", anySide, []Phase{PhaseScoping}); err != nil {
		return nil, err
	}
	who, err := d.clientStakeholder("stakeholder_id", c.StakeholderID)
	if err != nil {
		return nil, err
	}
	if c.EveryDays < 1 || c.EveryDays > 365 {
		return nil, invalid(CodeInvalidNumber, "every_days", "every_days is from 1 to 365")
	}
	return one(&CadenceAgreed{Header: d.h(), StakeholderID: who.ID, EveryDays: int64(c.EveryDays)})
}

// exceptions is the policy Decide runs on what a command decided: when a
// delay or a cost impact among evs passes a tolerance, the exception that
// records it, with the same header: the tolerance was passed when that
// fact happened. It reads the state as it will be once evs are applied,
// without applying them.
func (d *decider) exceptions(evs []Event) []Event {
	t := d.s.Tolerances
	if t == nil {
		return nil
	}
	var out []Event
	for _, e := range evs {
		switch e := e.(type) {
		case *DelayDisclosed:
			m, ok := d.s.Milestone(e.MilestoneID)
			if !ok || d.s.openException(ExceptionTime) {
				continue
			}
			slip := math.Max(d.s.ScheduleSlip(), days(e.NewDueDate.Sub(m.OriginalDueDate)))
			if slip-t.TimeBase > float64(t.TimeDays) {
				out = append(out, &ExceptionRaised{Header: d.h(), ExceptionID: d.exceptionID(e.DelayID), Kind: ExceptionTime,
					TriggerID: e.DelayID, Days: slip, Tolerance: float64(t.TimeDays), Base: t.TimeBase})
			}
		case *CostImpactDisclosed:
			if e.Currency != t.Currency || d.s.openException(ExceptionCost) {
				continue
			}
			cost := d.s.Cost(t.Currency) + e.Amount
			if float64(cost)-t.CostBase > float64(t.CostAmount) {
				out = append(out, &ExceptionRaised{Header: d.h(), ExceptionID: d.exceptionID(e.CostImpactID), Kind: ExceptionCost,
					TriggerID: e.CostImpactID, Amount: cost, Currency: t.Currency, Tolerance: float64(t.CostAmount), Base: t.CostBase})
			}
		}
	}
	return out
}

// exceptionID derives the exception's id from its trigger's, so that
// deciding the same command again yields the same events.
func (d *decider) exceptionID(trigger string) string {
	id := "exception-" + trigger
	if len(id) > maxIDLen || d.s.ids[id] != "" {
		sum := sha256.Sum256([]byte(trigger))
		id = "exception-" + hex.EncodeToString(sum[:12])
	}
	return id
}

// ---- appliers ----------------------------------------------------------------

func applyTolerancesAgreed(s *Engagement, e *TolerancesAgreed, h *Header) error {
	if err := s.stakeholderRefs(e.AgreedBy); err != nil {
		return err
	}
	s.Tolerances = &Tolerances{TimeDays: e.TimeDays, CostAmount: e.CostAmount, Currency: e.Currency, AgreedBy: slices.Clone(e.AgreedBy),
		RecordedBy: h.ActorID, AgreedAt: h.At, AgreedOccurredAt: h.OccurredAt}
	return nil
}

func applyExceptionRaised(s *Engagement, e *ExceptionRaised, h *Header) error {
	if err := s.fresh(e.ExceptionID); err != nil {
		return err
	}
	if err := s.refs([]string{e.TriggerID}); err != nil {
		return err
	}
	x := &Exception{ID: e.ExceptionID, Kind: e.Kind, TriggerID: e.TriggerID, Days: e.Days, Amount: e.Amount, Currency: e.Currency,
		Tolerance: e.Tolerance, Base: e.Base, Status: StatusOpen, RaisedAt: h.At, Options: []string{}, RaisedOccurredAt: h.OccurredAt}
	s.Exceptions = append(s.Exceptions, x)
	s.exceptions[x.ID] = x
	s.created(x.ID, "exception", h.Occurred())
	return nil
}

func applyExceptionOptionsProposed(s *Engagement, e *ExceptionOptionsProposed, h *Header) error {
	x, err := need(s.exceptions, "exception", e.ExceptionID)
	if err != nil {
		return err
	}
	x.Options, x.Recommendation, x.ProposedBy, x.ProposedAt = slices.Clone(e.Options), e.Recommendation, h.ActorID, h.At
	return nil
}

func applyExceptionDecided(s *Engagement, e *ExceptionDecided, h *Header) error {
	x, err := need(s.exceptions, "exception", e.ExceptionID)
	if err != nil {
		return err
	}
	x.Status, x.Chosen, x.Rationale, x.DecidedBy, x.DecidedAt, x.DecidedOccurredAt = StatusDecided, e.Chosen, e.Rationale, h.ActorID, h.At, h.OccurredAt
	// The next exception of this kind counts from where this one stood.
	if t := s.Tolerances; t != nil {
		if x.Kind == ExceptionTime {
			t.TimeBase = x.Days
		} else {
			t.CostBase = float64(x.Amount)
		}
	}
	return nil
}

func applyCadenceAgreed(s *Engagement, e *CadenceAgreed, h *Header) error {
	if err := s.stakeholderRefs([]string{e.StakeholderID}); err != nil {
		return err
	}
	c := &Cadence{StakeholderID: e.StakeholderID, EveryDays: e.EveryDays, AgreedBy: h.ActorID, AgreedAt: h.At}
	if i := slices.IndexFunc(s.Cadences, func(x *Cadence) bool { return x.StakeholderID == e.StakeholderID }); i >= 0 {
		s.Cadences[i] = c
	} else {
		s.Cadences = append(s.Cadences, c)
	}
	return nil
}

func (t *Tolerances) clone() *Tolerances {
	if t == nil {
		return nil
	}
	c := *t
	c.AgreedBy = slices.Clone(t.AgreedBy)
	return &c
}
