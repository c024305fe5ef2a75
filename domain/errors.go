package domain

import (
	"errors"
	"fmt"
)

// Kind classifies a domain error by what the caller did wrong. The API maps
// each kind to one HTTP status, in one place, so handlers never choose a
// status for a domain error by hand.
type Kind uint8

// The kinds of domain error.
const (
	// KindInvalid: the command itself is malformed (a required field is
	// missing, a date makes no sense, an enum value is unknown). HTTP 422.
	KindInvalid Kind = iota + 1
	// KindNotFound: the command refers to an id that is not in the
	// engagement. HTTP 404.
	KindNotFound
	// KindConflict: a rule forbids the command in the current state (already
	// validated, wrong phase, engagement closed, duplicate id). HTTP 409.
	KindConflict
	// KindForbidden: the actor is not a stakeholder of the engagement, has
	// left it, or is on the wrong side for this command. HTTP 403.
	KindForbidden
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindNotFound:
		return "not_found"
	case KindConflict:
		return "conflict"
	case KindForbidden:
		return "forbidden"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Error is the one error type Decide returns. Code is stable and
// machine-readable (snake_case, never reworded); Message is a sentence for a
// human; Field, when set, names the offending command field as a path of
// its names on the wire and list indexes, dot-separated ("opener.email",
// "recipients.1").
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Field   string
}

func (e *Error) Error() string { return "domain: " + e.Message }

// Is makes errors.Is(err, domain.ErrConflict) (and the other kind sentinels)
// true for every *Error of that kind, and errors.Is(err, &Error{Code: c})
// true for every *Error with that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.Code != "" {
		return t.Code == e.Code
	}
	return t.Kind == e.Kind
}

// Codec sentinels, wrapped by the errors of Unmarshal (and Marshal).
var (
	ErrUnknownEventType = errors.New("domain: unknown event type")
	ErrMalformedEvent   = errors.New("domain: malformed event")
)

// ErrCannotApply is wrapped by Evolve's errors: the event does not fit the
// state (it names another engagement, an unknown id, or reuses an id). A
// stream that produces it is corrupt or was not written by Decide.
var ErrCannotApply = errors.New("domain: cannot apply event")

// Kind sentinels, for errors.Is. Use errors.As to read the code and message.
var (
	ErrInvalid   = &Error{Kind: KindInvalid, Message: "invalid command"}
	ErrNotFound  = &Error{Kind: KindNotFound, Message: "not found"}
	ErrConflict  = &Error{Kind: KindConflict, Message: "conflict with the engagement's state"}
	ErrForbidden = &Error{Kind: KindForbidden, Message: "forbidden"}
)

// KindOf returns the kind of a domain error anywhere in err's chain, or 0
// when err carries none.
func KindOf(err error) Kind {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return 0
}

// CodeOf returns the code of a domain error anywhere in err's chain, or "".
func CodeOf(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}

// Stable error codes. They are part of the API contract: add new ones, never
// rename or reuse one.
const (
	// Invalid (422).
	CodeUnknownCommand           = "unknown_command"
	CodeActorRequired            = "actor_required"
	CodeFieldRequired            = "field_required"
	CodeInvalidID                = "invalid_id"
	CodeInvalidParty             = "invalid_party"
	CodeInvalidPhase             = "invalid_phase"
	CodeInvalidChannel           = "invalid_channel"
	CodeInvalidDirection         = "invalid_direction"
	CodeInvalidDecisionKind      = "invalid_decision_kind"
	CodeInvalidEmail             = "invalid_email"
	CodeInvalidDate              = "invalid_date"
	CodeDateInFuture             = "date_in_future"
	CodeDateBeforeOpening        = "date_before_opening"
	CodeDateBeforeReference      = "date_before_reference"
	CodeInvalidAmount            = "invalid_amount"
	CodeInvalidCurrency          = "invalid_currency"
	CodeInvalidNumber            = "invalid_number"
	CodeInvalidOptions           = "invalid_options"
	CodeNewDateNotLater          = "new_date_not_later"
	CodeDuplicateReference       = "duplicate_reference"
	CodeNotClientSide            = "not_client_side"
	CodeSignatoriesIncomplete    = "signatories_incomplete"
	CodeNoClientParticipant      = "no_client_participant"
	CodeQuestionNotAnswered      = "question_not_answered"
	CodeQuestionOtherRequirement = "question_other_requirement"
	CodeWrongKindOfReference     = "wrong_kind_of_reference" // not returned (codes are never reused)
	CodeCannotBriefSelf          = "cannot_brief_self"
	CodeNoClientRecipient        = "no_client_recipient"
	CodeInvalidRating            = "invalid_rating"
	CodeInvalidSeverity          = "invalid_severity"
	// Acceptance against criteria (acceptance.go).
	CodeCriterionNotOfDelivery = "criterion_not_of_delivery"
	CodeCriteriaIncomplete     = "criteria_incomplete"
	CodeCriterionNotMet        = "criterion_not_met"
	CodeNoCriterionUnmet       = "no_criterion_unmet"
	CodeCriterionJudgedTwice   = "criterion_judged_twice"
	// Exceptions (tolerances.go): a choice among the options put forward.
	CodeNotAnOption = "not_an_option"
	// A highlight report's period ends after it starts.
	CodeInvalidPeriod = "invalid_period"

	// Not found (404).
	CodeEngagementNotFound  = "engagement_not_found"
	CodePartyNotFound       = "party_not_found"
	CodeStakeholderNotFound = "stakeholder_not_found"
	CodeExpertNotFound      = "expert_not_found"
	CodeWorkshopNotFound    = "workshop_not_found"
	CodeIndicatorNotFound   = "indicator_not_found"
	CodeRequirementNotFound = "requirement_not_found"
	CodeQuestionNotFound    = "question_not_found"
	CodeAssumptionNotFound  = "assumption_not_found"
	CodeChangeNotFound      = "change_not_found"
	CodeFeatureNotFound     = "feature_not_found"
	CodeMilestoneNotFound   = "milestone_not_found"
	CodeDifficultyNotFound  = "difficulty_not_found"
	CodeInformationNotFound = "information_not_found"
	CodeDeliveryNotFound    = "delivery_not_found"
	CodeReferenceNotFound   = "reference_not_found"
	CodeRiskNotFound        = "risk_not_found"
	CodeDependencyNotFound  = "dependency_not_found"
	CodeCriterionNotFound   = "acceptance_criterion_not_found"
	CodeExceptionNotFound   = "exception_not_found"

	// Conflict (409).
	CodeEngagementExists       = "engagement_already_opened"
	CodeEngagementClosed       = "engagement_closed"
	CodeDuplicateID            = "duplicate_id"
	CodeWrongPhase             = "wrong_phase"
	CodePhaseNotNext           = "phase_not_next"
	CodeAgreementNotSigned     = "agreement_not_signed"
	CodeAgreementAlreadySigned = "agreement_already_signed"
	CodeNoClientStakeholder    = "no_client_stakeholder"
	CodeDeliveriesAwaiting     = "deliveries_awaiting_acceptance"
	CodePartyAlreadyJoined     = "party_already_joined"
	CodePrincipalTaken         = "principal_already_linked"
	CodeStakeholderLeft        = "stakeholder_left"
	CodeAlreadyBriefed         = "stakeholder_already_briefed"
	CodeAlreadyInDiscussion    = "client_already_in_discussion"
	CodeExpertNotInvited       = "expert_not_invited" // not returned (codes are never reused)
	CodeExpertWithdrawn        = "expert_withdrawn"
	CodeExpertAlreadyCommitted = "expert_already_committed"
	CodeQuestionNotOpen        = "question_not_open"
	CodeAssumptionNotOpen      = "assumption_not_open"
	CodeChangeNotOpen          = "change_not_open"
	CodeFeatureNotProposed     = "feature_not_proposed"
	CodeDeliveryNotAwaiting    = "delivery_not_awaiting_acceptance"
	CodeNotARecipient          = "not_a_recipient"
	CodeAlreadyAcknowledged    = "information_already_acknowledged"
	CodeNoDeliveryMade         = "no_delivery_made"
	CodeRiskNotOpen            = "risk_not_open"
	CodeDifficultyNotOpen      = "difficulty_not_open"
	CodeDependencyNotOpen      = "dependency_not_open"
	CodeCriterionAlreadyAgreed = "acceptance_criterion_already_agreed"
	CodeDeliveryNotRejected    = "delivery_not_rejected"
	CodeExceptionNotOpen       = "exception_not_open"
	CodeNoOptionsProposed      = "exception_options_missing"

	// Forbidden (403).
	CodeActorNotStakeholder = "actor_not_stakeholder"
	CodeActorLeft           = "actor_left"
	CodeActorWrongParty     = "actor_wrong_party"
	// A stakeholder removes only people of their own party.
	CodeOtherPartysStakeholder = "stakeholder_of_other_party"
	// An assessed change is approved or rejected by its named approver (or their delegate).
	CodeNotTheApprover = "not_the_approver"
)

func invalid(code, field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(code, field, format string, args ...any) *Error {
	return &Error{Kind: KindNotFound, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

func conflict(code, format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

func forbidden(code, format string, args ...any) *Error {
	return &Error{Kind: KindForbidden, Code: code, Message: fmt.Sprintf(format, args...)}
}
