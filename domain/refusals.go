package domain

import "slices"

// codeKinds gives the kind (and so the HTTP status) of every code Decide
// returns.
var codeKinds = map[string]Kind{
	CodeUnknownCommand: KindInvalid, CodeActorRequired: KindInvalid, CodeFieldRequired: KindInvalid,
	CodeInvalidID: KindInvalid, CodeInvalidParty: KindInvalid, CodeInvalidPhase: KindInvalid,
	CodeInvalidChannel: KindInvalid, CodeInvalidDirection: KindInvalid, CodeInvalidDecisionKind: KindInvalid,
	CodeInvalidEmail: KindInvalid, CodeInvalidDate: KindInvalid, CodeDateInFuture: KindInvalid,
	CodeDateBeforeOpening: KindInvalid, CodeDateBeforeReference: KindInvalid, CodeInvalidAmount: KindInvalid,
	CodeInvalidCurrency: KindInvalid, CodeInvalidNumber: KindInvalid, CodeInvalidOptions: KindInvalid,
	CodeNewDateNotLater: KindInvalid, CodeDuplicateReference: KindInvalid, CodeNotClientSide: KindInvalid,
	CodeSignatoriesIncomplete: KindInvalid, CodeNoClientParticipant: KindInvalid, CodeQuestionNotAnswered: KindInvalid,
	CodeQuestionOtherRequirement: KindInvalid, CodeWrongKindOfReference: KindInvalid, CodeCannotBriefSelf: KindInvalid,
	CodeNoClientRecipient: KindInvalid, CodeInvalidRating: KindInvalid, CodeInvalidSeverity: KindInvalid,
	CodeCriterionNotOfDelivery: KindInvalid, CodeCriteriaIncomplete: KindInvalid, CodeCriterionNotMet: KindInvalid,
	CodeNoCriterionUnmet: KindInvalid, CodeCriterionJudgedTwice: KindInvalid, CodeNotAnOption: KindInvalid,
	CodeInvalidPeriod: KindInvalid,

	CodeEngagementNotFound: KindNotFound, CodePartyNotFound: KindNotFound, CodeStakeholderNotFound: KindNotFound,
	CodeExpertNotFound: KindNotFound, CodeWorkshopNotFound: KindNotFound, CodeIndicatorNotFound: KindNotFound,
	CodeRequirementNotFound: KindNotFound, CodeQuestionNotFound: KindNotFound, CodeAssumptionNotFound: KindNotFound,
	CodeChangeNotFound: KindNotFound, CodeFeatureNotFound: KindNotFound, CodeMilestoneNotFound: KindNotFound,
	CodeDifficultyNotFound: KindNotFound, CodeInformationNotFound: KindNotFound, CodeDeliveryNotFound: KindNotFound,
	CodeReferenceNotFound: KindNotFound, CodeRiskNotFound: KindNotFound, CodeDependencyNotFound: KindNotFound,
	CodeCriterionNotFound: KindNotFound, CodeExceptionNotFound: KindNotFound,

	CodeEngagementExists: KindConflict, CodeEngagementClosed: KindConflict, CodeDuplicateID: KindConflict,
	CodeWrongPhase: KindConflict, CodePhaseNotNext: KindConflict, CodeAgreementNotSigned: KindConflict,
	CodeAgreementAlreadySigned: KindConflict, CodeNoClientStakeholder: KindConflict, CodeDeliveriesAwaiting: KindConflict,
	CodePartyAlreadyJoined: KindConflict, CodePrincipalTaken: KindConflict, CodeStakeholderLeft: KindConflict,
	CodeAlreadyBriefed: KindConflict, CodeAlreadyInDiscussion: KindConflict, CodeExpertNotInvited: KindConflict,
	CodeExpertWithdrawn: KindConflict, CodeExpertAlreadyCommitted: KindConflict, CodeQuestionNotOpen: KindConflict,
	CodeAssumptionNotOpen: KindConflict, CodeChangeNotOpen: KindConflict, CodeFeatureNotProposed: KindConflict,
	CodeDeliveryNotAwaiting: KindConflict, CodeNotARecipient: KindConflict, CodeAlreadyAcknowledged: KindConflict,
	CodeNoDeliveryMade: KindConflict, CodeRiskNotOpen: KindConflict, CodeDifficultyNotOpen: KindConflict,
	CodeDependencyNotOpen: KindConflict, CodeCriterionAlreadyAgreed: KindConflict, CodeDeliveryNotRejected: KindConflict,
	CodeExceptionNotOpen: KindConflict, CodeNoOptionsProposed: KindConflict,

	CodeActorNotStakeholder: KindForbidden, CodeActorLeft: KindForbidden, CodeActorWrongParty: KindForbidden,
	CodeOtherPartysStakeholder: KindForbidden, CodeNotTheApprover: KindForbidden,
}

// KindOfCode returns the kind of a domain error code, or 0 for a string
// that is not one.
func KindOfCode(code string) Kind { return codeKinds[code] }

// Codes returns every domain error code, sorted.
func Codes() []string {
	out := make([]string, 0, len(codeKinds))
	for c := range codeKinds {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Refusals returns, sorted, every code Decide may refuse cmd with (a
// command of that type, whatever its fields and the state): the contract
// lists them per operation, and a property test checks that Decide never
// refuses with a code missing here. Nil for an unknown command.
func Refusals(cmd Command) []string {
	cmd = deref(cmd)
	if _, ok := cmd.(OpenEngagement); ok {
		return sorted(CodeEngagementExists, CodeActorNotStakeholder, CodeFieldRequired, CodeInvalidID,
			CodeInvalidEmail, CodeInvalidParty, CodeDuplicateID)
	}
	// Who acts, and where: every command but the opening.
	codes := []string{CodeEngagementNotFound, CodeEngagementClosed, CodeActorRequired, CodeActorNotStakeholder, CodeActorLeft}
	side := []string{CodeActorWrongParty} // a command for one side only
	phase := []string{CodeWrongPhase}     // a command for some phases only
	newID := []string{CodeFieldRequired, CodeInvalidID, CodeDuplicateID}
	lookup := []string{CodeFieldRequired} // get() of an id
	people := []string{CodeFieldRequired, CodeDuplicateReference, CodeStakeholderNotFound, CodeStakeholderLeft}
	refs := []string{CodeDuplicateReference, CodeReferenceNotFound}
	claim := []string{CodeInvalidDate, CodeDateInFuture, CodeDateBeforeOpening} // see checkClaim
	names := append(slices.Clone(claim), CodeDateBeforeReference)               // a claim on a fact that names others
	var own [][]string
	switch cmd.(type) {
	case AdvancePhase:
		own = [][]string{{CodeInvalidPhase, CodePhaseNotNext, CodeNoClientStakeholder, CodeAgreementNotSigned, CodeNoDeliveryMade}}
	case CloseEngagement:
		own = [][]string{phase, {CodeDeliveriesAwaiting, CodeInvalidNumber}}
	case RecordLesson:
		own = [][]string{newID}
	case JoinParty:
		own = [][]string{{CodeInvalidParty, CodeFieldRequired, CodePartyAlreadyJoined}, claim}
	case DefinePerimeter:
		own = [][]string{{CodeInvalidParty, CodeFieldRequired, CodePartyNotFound}, names}
	case AddStakeholder:
		own = [][]string{newID, {CodeInvalidEmail, CodeInvalidParty, CodePartyNotFound, CodePrincipalTaken}, names}
	case BriefStakeholder:
		own = [][]string{lookup, {CodeStakeholderNotFound, CodeCannotBriefSelf, CodeStakeholderLeft, CodeAlreadyBriefed}, names}
	case RemoveStakeholder:
		own = [][]string{lookup, {CodeStakeholderNotFound, CodeOtherPartysStakeholder, CodeStakeholderLeft}, names}
	case InviteExpert:
		own = [][]string{side, phase, newID, {CodeInvalidEmail}, claim}
	case CommitExpert:
		own = [][]string{side, phase, lookup, {CodeExpertNotFound, CodeExpertAlreadyCommitted, CodeExpertWithdrawn}, names}
	case WithdrawExpert:
		own = [][]string{side, lookup, {CodeExpertNotFound, CodeExpertWithdrawn}, names}
	case JoinDiscussion:
		own = [][]string{side, phase, {CodeAlreadyInDiscussion}, claim}
	case SignAgreement:
		own = [][]string{side, phase, newID, people, {CodeAgreementAlreadySigned, CodeSignatoriesIncomplete}, names}
	case HoldWorkshop:
		own = [][]string{phase, newID, people, {CodeNoClientParticipant}, names}
	case DefineIndicator:
		own = [][]string{phase, newID, {CodeInvalidNumber, CodeInvalidDirection, CodeWorkshopNotFound}, names}
	case MeasureIndicator:
		own = [][]string{phase, newID, lookup, {CodeInvalidNumber, CodeIndicatorNotFound}, names}
	case RaiseRequirement:
		own = [][]string{phase, newID, claim}
	case AskQuestion:
		own = [][]string{side, phase, newID, {CodeRequirementNotFound}, names}
	case ClarifyRequirement:
		own = [][]string{phase, lookup, {CodeRequirementNotFound, CodeQuestionNotAnswered, CodeQuestionNotFound,
			CodeQuestionOtherRequirement, CodeQuestionNotOpen, CodeStakeholderNotFound, CodeNotClientSide}, names}
	case MakeAssumption:
		own = [][]string{side, phase, newID, {CodeRequirementNotFound}, names}
	case ValidateAssumption, RejectAssumption:
		own = [][]string{side, lookup, {CodeAssumptionNotFound, CodeAssumptionNotOpen}, names}
	case RequestChange:
		own = [][]string{phase, newID, {CodeRequirementNotFound}, names}
	case ApproveChange, RejectChange:
		own = [][]string{side, lookup, {CodeChangeNotFound, CodeChangeNotOpen, CodeNotTheApprover}, names}
	case ProposeFeature:
		own = [][]string{side, phase, newID, claim}
	case AcceptFeature, DeclineFeature:
		own = [][]string{side, lookup, {CodeFeatureNotFound, CodeFeatureNotProposed}, names}
	case PlanMilestone:
		own = [][]string{side, phase, newID, claim}
	case ReportDifficulty:
		own = [][]string{side, phase, newID, {CodeMilestoneNotFound}, names}
	case DiscloseDelay:
		own = [][]string{side, phase, newID, {CodeInvalidDate, CodeMilestoneNotFound, CodeNewDateNotLater, CodeDependencyNotFound}, names}
	case DiscloseCostImpact:
		own = [][]string{side, phase, newID, {CodeInvalidAmount, CodeInvalidCurrency, CodeDifficultyNotFound}, names}
	case DiscloseSkillsGap:
		own = [][]string{side, phase, newID, {CodeDifficultyNotFound}, names}
	case InformClient:
		own = [][]string{side, newID, {CodeInvalidChannel, CodeNoClientRecipient}, people, refs, names}
	case AcknowledgeInformation:
		own = [][]string{side, lookup, {CodeInformationNotFound, CodeNotARecipient, CodeAlreadyAcknowledged}, names}
	case MakeDecision:
		own = [][]string{newID, {CodeInvalidDecisionKind, CodeInvalidOptions}, people, refs, names}
	case MakeDelivery:
		own = [][]string{side, phase, newID, {CodeDuplicateReference, CodeMilestoneNotFound, CodeRequirementNotFound, CodeFeatureNotFound}, names}
	case AcceptDelivery, RejectDelivery:
		own = [][]string{side, phase, lookup, {CodeDeliveryNotFound, CodeDeliveryNotAwaiting}, criteriaRefusals(cmd), names}
	case RaiseNeedAtDelivery:
		own = [][]string{phase, newID, {CodeDeliveryNotFound}, names}
	default:
		var ok bool
		if own, ok = governanceRefusals(cmd); !ok {
			return nil
		}
	}
	for _, o := range own {
		codes = append(codes, o...)
	}
	return sorted(codes...)
}

func sorted(codes ...string) []string {
	out := slices.Clone(codes)
	slices.Sort(out)
	return slices.Compact(out)
}
