package domain

import (
	"reflect"
	"slices"
	"strings"
	"time"
)

// The governance families (risks, dependencies, the issue lifecycle of a
// difficulty, and those that follow) are what a project lead who runs
// PRINCE2 or a RAID log keeps beside the client-facing facts. Each family
// lives in a file of its own, with its commands, events, rules and
// appliers; this file holds what they share: their part of the state and
// the tables through which Decide, Evolve, Names and Refusals reach them,
// one entry per command or event, so that the big switches stay as they
// are.

// Governance is the part of an engagement's state kept by the governance
// families. It is embedded in Engagement (its JSON fields are the
// engagement's).
type Governance struct {
	Risks        []*Risk       `json:"risks"`
	Dependencies []*Dependency `json:"dependencies"`
	// Criteria are the acceptance criteria of every requirement
	// (acceptance.go).
	Criteria []*AcceptanceCriterion `json:"acceptance_criteria"`
	// Tolerances, the exceptions raised when they were passed, and the
	// communication cadences (tolerances.go).
	Tolerances *Tolerances  `json:"tolerances,omitempty"`
	Exceptions []*Exception `json:"exceptions"`
	Cadences   []*Cadence   `json:"cadences"`
	// HighlightReports are the reports issued, frozen (highlights.go).
	HighlightReports []*HighlightReport `json:"highlight_reports"`

	risks        map[string]*Risk
	dependencies map[string]*Dependency
	criteria     map[string]*AcceptanceCriterion
	exceptions   map[string]*Exception

	highlightReports map[string]*HighlightReport
}

// Risk returns a risk by id.
func (s *Engagement) Risk(id string) (*Risk, bool) { return lookup(s.risks, id) }

// Dependency returns a dependency by id.
func (s *Engagement) Dependency(id string) (*Dependency, bool) { return lookup(s.dependencies, id) }

// reindexGovernance rebuilds the governance indexes (and the ids they
// create) from the exported slices; reindex calls it.
func (s *Engagement) reindexGovernance() {
	s.risks = index(s, s.Risks, "risk", func(x *Risk) (string, time.Time) {
		return x.ID, occurred(x.RaisedOccurredAt, x.RaisedAt)
	})
	s.dependencies = index(s, s.Dependencies, "dependency", func(x *Dependency) (string, time.Time) {
		return x.ID, occurred(x.RaisedOccurredAt, x.RaisedAt)
	})
	s.criteria = index(s, s.Criteria, "acceptance_criterion", func(x *AcceptanceCriterion) (string, time.Time) {
		return x.ID, occurred(x.DefinedOccurredAt, x.DefinedAt)
	})
	s.exceptions = index(s, s.Exceptions, "exception", func(x *Exception) (string, time.Time) {
		return x.ID, occurred(x.RaisedOccurredAt, x.RaisedAt)
	})
	s.highlightReports = index(s, s.HighlightReports, "highlight_report", func(x *HighlightReport) (string, time.Time) {
		return x.ID, x.IssuedAt
	})
}

// clone deep-copies the governance state; Clone reindexes afterwards.
func (g Governance) clone() Governance {
	return Governance{
		Risks: cloneAll(g.Risks, func(r Risk) Risk {
			r.Reviews = slices.Clone(r.Reviews)
			return r
		}),
		Dependencies: cloneAll(g.Dependencies, func(d Dependency) Dependency {
			d.DelayIDs = slices.Clone(d.DelayIDs)
			return d
		}),
		Criteria:   cloneAll(g.Criteria, same),
		Tolerances: g.Tolerances.clone(),
		Exceptions: cloneAll(g.Exceptions, func(x Exception) Exception {
			x.Options = slices.Clone(x.Options)
			return x
		}),
		Cadences:         cloneAll(g.Cadences, same),
		HighlightReports: cloneAll(g.HighlightReports, same),
	}
}

// ---- dispatch ----------------------------------------------------------------

type (
	decideFunc func(d *decider, cmd Command) ([]Event, error)
	applyFunc  func(s *Engagement, e Event) error
	namesFunc  func(e Event) []string
)

// decides adapts a typed decide function to the table.
func decides[C Command](f func(d *decider, c C) ([]Event, error)) decideFunc {
	return func(d *decider, cmd Command) ([]Event, error) { return f(d, cmd.(C)) }
}

// applies adapts a typed applier to the table.
func applies[E Event](f func(s *Engagement, e E, h *Header) error) applyFunc {
	return func(s *Engagement, e Event) error { return f(s, e.(E), e.Head()) }
}

// named adapts a typed Names function to the table.
func named[E Event](f func(e E) []string) namesFunc {
	return func(e Event) []string { return f(e.(E)) }
}

// governanceDeciders: one entry per governance command, by its type.
var governanceDeciders = map[reflect.Type]decideFunc{
	reflect.TypeFor[RaiseRisk]():          decides((*decider).raiseRisk),
	reflect.TypeFor[ReviewRisk]():         decides((*decider).reviewRisk),
	reflect.TypeFor[EscalateRisk]():       decides((*decider).escalateRisk),
	reflect.TypeFor[RecordRiskOccurred](): decides((*decider).riskOccurred),
	reflect.TypeFor[CloseRisk]():          decides((*decider).closeRisk),

	reflect.TypeFor[AssignDifficulty]():  decides((*decider).assignDifficulty),
	reflect.TypeFor[ResolveDifficulty](): decides((*decider).resolveDifficulty),

	reflect.TypeFor[RaiseDependency](): decides((*decider).raiseDependency),
	reflect.TypeFor[MeetDependency]():  decides((*decider).meetDependency),

	reflect.TypeFor[AssessChangeImpact]():     decides((*decider).assessChangeImpact),
	reflect.TypeFor[DelegateChangeApproval](): decides((*decider).delegateChangeApproval),

	reflect.TypeFor[DefineAcceptanceCriterion](): decides((*decider).defineCriterion),
	reflect.TypeFor[AgreeAcceptanceCriterion]():  decides((*decider).agreeCriterion),
	reflect.TypeFor[RedeliverDelivery]():         decides((*decider).redeliver),

	reflect.TypeFor[AgreeTolerances]():         decides((*decider).agreeTolerances),
	reflect.TypeFor[ProposeExceptionOptions](): decides((*decider).proposeExceptionOptions),
	reflect.TypeFor[DecideException]():         decides((*decider).decideException),
	reflect.TypeFor[AgreeCadence]():            decides((*decider).agreeCadence),

	reflect.TypeFor[IssueHighlightReport](): decides((*decider).issueHighlightReport),
}

// governanceAppliers: one entry per governance event, by its pointer type.
var governanceAppliers = map[reflect.Type]applyFunc{
	reflect.TypeFor[*RiskRaised]():    applies(applyRiskRaised),
	reflect.TypeFor[*RiskReviewed]():  applies(applyRiskReviewed),
	reflect.TypeFor[*RiskEscalated](): applies(applyRiskEscalated),
	reflect.TypeFor[*RiskOccurred]():  applies(applyRiskOccurred),
	reflect.TypeFor[*RiskClosed]():    applies(applyRiskClosed),

	reflect.TypeFor[*DifficultyAssigned](): applies(applyDifficultyAssigned),
	reflect.TypeFor[*DifficultyResolved](): applies(applyDifficultyResolved),

	reflect.TypeFor[*DependencyRaised](): applies(applyDependencyRaised),
	reflect.TypeFor[*DependencyMet]():    applies(applyDependencyMet),

	reflect.TypeFor[*ChangeImpactAssessed]():    applies(applyChangeImpactAssessed),
	reflect.TypeFor[*ChangeApprovalDelegated](): applies(applyChangeApprovalDelegated),

	reflect.TypeFor[*CriterionDefined]():    applies(applyCriterionDefined),
	reflect.TypeFor[*CriterionAgreed]():     applies(applyCriterionAgreed),
	reflect.TypeFor[*DeliveryRedelivered](): applies(applyDeliveryRedelivered),

	reflect.TypeFor[*TolerancesAgreed]():         applies(applyTolerancesAgreed),
	reflect.TypeFor[*ExceptionRaised]():          applies(applyExceptionRaised),
	reflect.TypeFor[*ExceptionOptionsProposed](): applies(applyExceptionOptionsProposed),
	reflect.TypeFor[*ExceptionDecided]():         applies(applyExceptionDecided),
	reflect.TypeFor[*CadenceAgreed]():            applies(applyCadenceAgreed),

	reflect.TypeFor[*HighlightReportIssued](): applies(applyHighlightReportIssued),
}

// governanceNames: what each governance event names (see Names).
var governanceNames = map[reflect.Type]namesFunc{
	reflect.TypeFor[*RiskRaised]():    named(func(e *RiskRaised) []string { return optIDs(e.OwnerID, e.MilestoneID) }),
	reflect.TypeFor[*RiskReviewed]():  named(func(e *RiskReviewed) []string { return optIDs(e.RiskID) }),
	reflect.TypeFor[*RiskEscalated](): named(func(e *RiskEscalated) []string { return optIDs(e.RiskID, e.EscalatedTo) }),
	reflect.TypeFor[*RiskOccurred]():  named(func(e *RiskOccurred) []string { return optIDs(e.RiskID, e.DifficultyID) }),
	reflect.TypeFor[*RiskClosed]():    named(func(e *RiskClosed) []string { return optIDs(e.RiskID) }),

	reflect.TypeFor[*DifficultyAssigned](): named(func(e *DifficultyAssigned) []string { return optIDs(e.DifficultyID, e.OwnerID) }),
	reflect.TypeFor[*DifficultyResolved](): named(func(e *DifficultyResolved) []string { return optIDs(e.DifficultyID) }),

	reflect.TypeFor[*DependencyRaised](): named(func(e *DependencyRaised) []string { return optIDs(e.OwedBy, e.MilestoneID) }),
	reflect.TypeFor[*DependencyMet]():    named(func(e *DependencyMet) []string { return optIDs(e.DependencyID) }),

	reflect.TypeFor[*ChangeImpactAssessed]():    named(func(e *ChangeImpactAssessed) []string { return optIDs(e.ChangeID, e.ApproverID) }),
	reflect.TypeFor[*ChangeApprovalDelegated](): named(func(e *ChangeApprovalDelegated) []string { return optIDs(e.ChangeID, e.DelegateID) }),

	reflect.TypeFor[*CriterionDefined]():    named(func(e *CriterionDefined) []string { return optIDs(e.RequirementID) }),
	reflect.TypeFor[*CriterionAgreed]():     named(func(e *CriterionAgreed) []string { return optIDs(e.CriterionID) }),
	reflect.TypeFor[*DeliveryRedelivered](): named(func(e *DeliveryRedelivered) []string { return optIDs(e.DeliveryID) }),

	reflect.TypeFor[*TolerancesAgreed]():         named(func(e *TolerancesAgreed) []string { return optIDs(e.AgreedBy...) }),
	reflect.TypeFor[*ExceptionRaised]():          named(func(e *ExceptionRaised) []string { return optIDs(e.TriggerID) }),
	reflect.TypeFor[*ExceptionOptionsProposed](): named(func(e *ExceptionOptionsProposed) []string { return optIDs(e.ExceptionID) }),
	reflect.TypeFor[*ExceptionDecided]():         named(func(e *ExceptionDecided) []string { return optIDs(e.ExceptionID) }),
	reflect.TypeFor[*CadenceAgreed]():            named(func(e *CadenceAgreed) []string { return optIDs(e.StakeholderID) }),

	reflect.TypeFor[*HighlightReportIssued](): named(func(*HighlightReportIssued) []string { return nil }),
}

// governanceEvents are the governance families' entries of the event
// registry, appended to it after the catalogue of DOMAIN.md.
var governanceEvents = []eventInfo{
	{TypeRiskRaised, 1, func() Event { return new(RiskRaised) }},
	{TypeRiskReviewed, 1, func() Event { return new(RiskReviewed) }},
	{TypeRiskEscalated, 1, func() Event { return new(RiskEscalated) }},
	{TypeRiskOccurred, 1, func() Event { return new(RiskOccurred) }},
	{TypeRiskClosed, 1, func() Event { return new(RiskClosed) }},
	{TypeDifficultyAssigned, 1, func() Event { return new(DifficultyAssigned) }},
	{TypeDifficultyResolved, 1, func() Event { return new(DifficultyResolved) }},
	{TypeDependencyRaised, 1, func() Event { return new(DependencyRaised) }},
	{TypeDependencyMet, 1, func() Event { return new(DependencyMet) }},
	{TypeChangeImpactAssessed, 1, func() Event { return new(ChangeImpactAssessed) }},
	{TypeChangeApprovalDelegated, 1, func() Event { return new(ChangeApprovalDelegated) }},
	{TypeCriterionDefined, 1, func() Event { return new(CriterionDefined) }},
	{TypeCriterionAgreed, 1, func() Event { return new(CriterionAgreed) }},
	{TypeDeliveryRedelivered, 1, func() Event { return new(DeliveryRedelivered) }},
	{TypeTolerancesAgreed, 1, func() Event { return new(TolerancesAgreed) }},
	{TypeExceptionRaised, 1, func() Event { return new(ExceptionRaised) }},
	{TypeExceptionOptionsProposed, 1, func() Event { return new(ExceptionOptionsProposed) }},
	{TypeExceptionDecided, 1, func() Event { return new(ExceptionDecided) }},
	{TypeCadenceAgreed, 1, func() Event { return new(CadenceAgreed) }},
	{TypeHighlightReportIssued, 1, func() Event { return new(HighlightReportIssued) }},
}

// decideGovernance decides a governance command; ok is false for any other.
func (d *decider) decideGovernance(cmd Command) (evs []Event, ok bool, err error) {
	f := governanceDeciders[reflect.TypeOf(cmd)]
	if f == nil {
		return nil, false, nil
	}
	evs, err = f(d, cmd)
	return evs, true, err
}

// applyGovernance applies a governance event; ok is false for any other.
func applyGovernance(s *Engagement, e Event) (ok bool, err error) {
	f := governanceAppliers[reflect.TypeOf(e)]
	if f == nil {
		return false, nil
	}
	return true, f(s, e)
}

// governanceNamesOf is Names for the governance events.
func governanceNamesOf(e Event) []string {
	if f := governanceNames[reflect.TypeOf(e)]; f != nil {
		return f(e)
	}
	return nil
}

// optIDs keeps the ids that are set.
func optIDs(ids ...string) []string {
	out := ids[:0:0]
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

// ---- shared checks -----------------------------------------------------------

// currentStakeholder checks one stakeholder id: given, known, not left.
func (d *decider) currentStakeholder(field, id string) (*Stakeholder, error) {
	if id == "" {
		return nil, invalid(CodeFieldRequired, field, "%s is required", field)
	}
	x, ok := d.s.Stakeholder(id)
	if !ok {
		return nil, notFound(CodeStakeholderNotFound, field, "stakeholder %q is not in the engagement", id)
	}
	if x.Left {
		e := conflict(CodeStakeholderLeft, "stakeholder %q has left the engagement", id)
		e.Field = field
		return nil, e
	}
	return x, nil
}

// dueDate checks a date a commitment is due by: given, in range, not
// before the engagement opened (it may be past: recorded late).
func (d *decider) dueDate(field string, t time.Time) (time.Time, error) {
	if t.IsZero() {
		return t, invalid(CodeFieldRequired, field, "%s is required", field)
	}
	if !validTime(t.UTC()) {
		return t, invalid(CodeInvalidDate, field, "%s is out of range", field)
	}
	if t.Before(d.s.OpenedAt) {
		return t, invalid(CodeDateBeforeOpening, field, "%s is before the engagement opened (%s)", field, d.s.OpenedAt.Format(time.RFC3339))
	}
	return t.UTC(), nil
}

// governanceRefusals lists, per governance command, what its rules may
// refuse it with (the common codes of every command are added by
// Refusals).
func governanceRefusals(cmd Command) ([][]string, bool) {
	phase := []string{CodeWrongPhase}
	newID := []string{CodeFieldRequired, CodeInvalidID, CodeDuplicateID}
	person := []string{CodeFieldRequired, CodeStakeholderNotFound, CodeStakeholderLeft}
	names := []string{CodeInvalidDate, CodeDateInFuture, CodeDateBeforeOpening, CodeDateBeforeReference}
	due := []string{CodeFieldRequired, CodeInvalidDate, CodeDateBeforeOpening}
	risk := []string{CodeFieldRequired, CodeRiskNotFound, CodeRiskNotOpen}
	difficulty := []string{CodeFieldRequired, CodeDifficultyNotFound, CodeDifficultyNotOpen}
	change := []string{CodeFieldRequired, CodeChangeNotFound, CodeChangeNotOpen}
	exception := []string{CodeFieldRequired, CodeExceptionNotFound, CodeExceptionNotOpen}
	switch cmd.(type) {
	case RaiseRisk:
		return [][]string{phase, newID, person, {CodeInvalidRating, CodeMilestoneNotFound}, names}, true
	case ReviewRisk:
		return [][]string{phase, risk, {CodeInvalidRating}, names}, true
	case EscalateRisk:
		return [][]string{phase, risk, person, names}, true
	case RecordRiskOccurred:
		return [][]string{phase, risk, newID, names}, true
	case CloseRisk:
		return [][]string{phase, risk, names}, true
	case AssignDifficulty:
		return [][]string{phase, difficulty, person, {CodeInvalidSeverity}, names}, true
	case ResolveDifficulty:
		return [][]string{phase, difficulty, names}, true
	case RaiseDependency:
		return [][]string{phase, newID, person, due, {CodeMilestoneNotFound}, names}, true
	case MeetDependency:
		return [][]string{phase, {CodeFieldRequired, CodeDependencyNotFound, CodeDependencyNotOpen}, names}, true
	case AssessChangeImpact:
		return [][]string{phase, change, person, {CodeInvalidCurrency, CodeNotClientSide}, due, names}, true
	case DelegateChangeApproval:
		return [][]string{phase, change, person, {CodeNotTheApprover, CodeNotClientSide}, names}, true
	case DefineAcceptanceCriterion:
		return [][]string{phase, newID, {CodeRequirementNotFound}, names}, true
	case AgreeAcceptanceCriterion:
		return [][]string{{CodeActorWrongParty}, phase, {CodeFieldRequired, CodeCriterionNotFound, CodeCriterionAlreadyAgreed}, names}, true
	case RedeliverDelivery:
		return [][]string{{CodeActorWrongParty}, phase, {CodeFieldRequired, CodeDeliveryNotFound, CodeDeliveryNotRejected}, names}, true
	case AgreeTolerances:
		return [][]string{phase, {CodeInvalidNumber, CodeInvalidAmount, CodeInvalidCurrency, CodeNoClientParticipant,
			CodeFieldRequired, CodeDuplicateReference, CodeStakeholderNotFound, CodeStakeholderLeft}, names}, true
	case ProposeExceptionOptions:
		return [][]string{{CodeActorWrongParty}, phase, exception, {CodeInvalidOptions, CodeNotAnOption}, names}, true
	case DecideException:
		return [][]string{{CodeActorWrongParty}, phase, exception, {CodeNoOptionsProposed, CodeNotAnOption}, names}, true
	case AgreeCadence:
		return [][]string{phase, person, {CodeNotClientSide, CodeInvalidNumber}, names}, true
	case IssueHighlightReport:
		return [][]string{{CodeActorWrongParty}, phase, newID, {CodeInvalidDate, CodeInvalidPeriod, CodeDateInFuture, CodeInvalidChannel,
			CodeNoClientRecipient, CodeStakeholderNotFound, CodeStakeholderLeft, CodeDuplicateReference}}, true
	}
	return nil, false
}

// GovernanceCommands returns a zero value of every governance command, for
// the tests and tables that walk every command.
func GovernanceCommands() []Command {
	out := make([]Command, 0, len(governanceDeciders))
	for t := range governanceDeciders {
		out = append(out, reflect.Zero(t).Interface().(Command))
	}
	slices.SortFunc(out, func(a, b Command) int {
		return strings.Compare(reflect.TypeOf(a).Name(), reflect.TypeOf(b).Name())
	})
	return out
}
