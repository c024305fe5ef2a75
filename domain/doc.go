// Package domain is the engagement ledger's model: one consulting
// engagement, from first opportunity to closure, as a pure event-sourced
// aggregate. It does no I/O, reads no clock and logs nothing: commands and
// the current state go in, events (facts, in the past tense) or a typed
// *Error come out, and the state is rebuilt by folding the events.
//
// # Why
//
// The product keeps the client at the centre. Every client-facing fact is
// recorded, never edited, so that the anti-patterns consultants warn about
// become numbers: a delay announced on delivery day (negative disclosure
// lead time), an interpretation never checked with the client (open
// assumptions), a decision taken without the client (no client
// participant), a feature nobody asked for (proposed, never accepted), a
// newcomer left without context (late, unbriefed stakeholder).
//
// # Vocabulary
//
//   - Engagement: one client-supplier project; one event stream.
//   - Party: client, supplier, or provider (a third-party implementer), each
//     with a perimeter. Client and supplier exist from the opening; the
//     provider joins (PartyJoined). The supplier side is supplier+provider.
//   - Stakeholder: a person on one party's side. Joining after emergence
//     makes them late; a late stakeholder stays unbriefed until another
//     stakeholder briefs them.
//   - Expert: invited to the opportunity during emergence, commits or
//     withdraws; the team emerges before any contract.
//   - Requirement: what the client needs; questioned by the supplier side,
//     clarified by the client, changed through change requests. A need
//     raised at delivery becomes a requirement (origin "delivery").
//   - Assumption: an interpretation the supplier made alone; open until the
//     client validates or rejects it.
//   - Feature: proposed by the supplier unasked; counts once accepted.
//   - Milestone: a dated commitment (a moment in UTC; a calendar date is
//     midnight UTC). A delay moves it to a later date; its lead time is the
//     previous due date minus the moment of disclosure (negative = late).
//   - Success indicator: co-defined with the client at scoping, with a
//     target, a direction and measurements.
//   - Information: a message that reached named stakeholders through a
//     channel, about named facts; client-side recipients acknowledge it.
//   - Decision: a technical or strategic choice with its options, the
//     chosen one and the participants, of whom the client-side ones are
//     recorded apart.
//
// # Phases and their gates
//
// emergence → scoping → delivery → acceptance → closed, one step at a time
// (AdvancePhase names the next phase; CloseEngagement is the last step).
//
//   - to scoping: a current client-side stakeholder is in the engagement;
//   - to delivery: the agreement is signed (by at least one client-side and
//     one supplier-side stakeholder);
//   - to acceptance: at least one delivery was made;
//   - to closed: from acceptance only, with no delivery awaiting acceptance.
//
// A closed engagement takes no more commands, so lessons are recorded
// (RecordLesson, any phase) before closing.
//
// Where each family may act: experts and the discussion in emergence; the
// agreement in emergence or scoping; workshops and indicator definitions in
// scoping or delivery; requirements raised in scoping or delivery; questions,
// clarifications, assumptions, changes, features, measurements, difficulties,
// delays, costs and skills gaps from scoping to acceptance; milestones
// planned in scoping or delivery; deliveries and needs raised at delivery in
// delivery or acceptance; people, perimeters, information, decisions and
// lessons in any phase but closed.
//
// # Event families
//
// Wire names are family.verb_past (see the Type* constants, EventTypes):
//
//   - Lifecycle: engagement.opened, engagement.phase_advanced,
//     engagement.closed, lesson.recorded.
//   - People: party.joined, perimeter.defined, stakeholder.joined,
//     stakeholder.briefed, stakeholder.left.
//   - Emergence: expert.invited, expert.committed, expert.withdrew,
//     discussion.client_joined, agreement.signed.
//   - Scoping: workshop.held, indicator.defined, indicator.measured.
//   - Requirements: requirement.raised, question.asked,
//     requirement.clarified, assumption.made/validated/rejected,
//     change.requested/approved/rejected, feature.proposed/accepted/declined.
//   - Commitments: milestone.planned, difficulty.reported, delay.disclosed,
//     cost_impact.disclosed, skills_gap.disclosed.
//   - Communication: client.informed, information.acknowledged,
//     decision.made.
//   - Delivery: delivery.made, delivery.accepted, delivery.rejected,
//     delivery.need_raised.
//   - Governance (one file per family, reached through the tables of
//     governance.go): risk.raised/reviewed/escalated/occurred/closed,
//     difficulty.assigned/resolved, dependency.raised/met,
//     change.impact_assessed/approval_delegated,
//     acceptance_criterion.defined/agreed, delivery.redelivered,
//     tolerances.agreed, exception.raised/options_proposed/decided,
//     cadence.agreed, highlight_report.issued.
//
// # Rules Decide enforces
//
//   - Every command names its actor, a current (not left) stakeholder, on a
//     side allowed for that command (403: actor_not_stakeholder, actor_left,
//     actor_wrong_party).
//   - Only a client-side stakeholder validates or rejects an assumption,
//     approves or rejects a change, accepts or declines a feature, accepts or
//     rejects a delivery, joins the discussion, and acknowledges information
//     it is a recipient of (once).
//   - A requirement is clarified by a client-side stakeholder, or by the
//     supplier side quoting the client's answer (answer, answered_by: a
//     client-side stakeholder) to an open question of that very requirement.
//   - A delay names a planned milestone and a new date later than its current
//     due date; disclosing after the due date is allowed.
//   - Workshops need a client-side participant, information a client-side
//     recipient; a decision may have no client participant (the indicators
//     expose it).
//   - A stakeholder removes themselves or someone of their own party, never
//     someone of another party (403 stakeholder_of_other_party): a party
//     manages its own people. Adding is open to any side.
//   - Time. Every event carries At, when Candor recorded it. A command that
//     reports a fact from outside Candor (all but opening, advancing the
//     phase, closing and lessons) may claim when it happened (Claim,
//     occurred_at; a workshop's held_at and a measurement's measured_at are
//     their claims): not in the future (date_in_future), not before the
//     engagement opened (date_before_opening), not before anything the fact
//     names happened (date_before_reference). The claim is kept in the
//     event (OccurredAt) beside At, never instead of it: the trust
//     indicators count from At. A milestone's due date may be in the past
//     or the future but not before the opening; a delay's new due date is
//     later than the current one. Nothing is recorded after closing.
//   - Governance: a risk is rated 1-5 for probability and impact, owned
//     by a current stakeholder, with an agreed response; only an open (or
//     escalated) risk is reviewed, escalated, occurs (becoming a difficulty,
//     reported in the same decision) or is closed. A difficulty gets an
//     owner and a severity and is resolved once. A dependency is owed by a
//     current stakeholder by a due date; a delay may name the dependency
//     that caused it, and records whether it was late then (unmet after its
//     due date, or met after it) and whose it was.
//   - Acceptance criteria: a requirement's criteria are agreed with the
//     client (defined by it, or proposed by the supplier and agreed); a
//     delivery is accepted or rejected against those agreed by its
//     handover, each named met or unmet (all met to accept, one unmet to
//     reject); a rejected delivery is delivered again as its next version.
//   - Tolerances and cadences are agreed at scoping. A policy of Decide
//     (tolerances.go) adds an exception.raised to the events of the delay
//     or cost impact that passes a tolerance, so it is recorded once and
//     never decided again on replay; the supplier side puts options
//     forward, a client-side stakeholder chooses one.
//   - Refusals(cmd) lists every code Decide may refuse a command with.
//   - Ids of new things are unique within the engagement across all kinds
//     (duplicate_id); ids are 1–128 characters of [A-Za-z0-9._:-].
//
// Each broken rule is an *Error with a Kind (invalid 422, not found 404,
// conflict 409, forbidden 403), a stable Code, a sentence and, where a field
// is at fault, its JSON name. Use errors.Is with ErrInvalid, ErrNotFound,
// ErrConflict, ErrForbidden or &Error{Code: c}; CodeOf and KindOf read them.
//
// # How the pieces fit
//
//	events, err := domain.Decide(state, cmd, now) // state nil before opening
//	state, err = domain.Evolve(state, event)      // one fact, in place
//	state, err = domain.Fold(events...)           // from the first event
//	typ, version, data, err := domain.Marshal(event)
//	event, err = domain.Unmarshal(typ, version, data)
//
// Decide fills every event's Header (engagement, actor, now in UTC) and
// never modifies the state. Evolve only applies facts; it fails (wrapping
// ErrCannotApply) only for an event that cannot fit the state at all. The
// ledger stores the type as the store's event type and the version in the
// metadata; Unmarshal upcasts older versions (delay.disclosed v1, which held
// calendar dates, is read as v2). PersonalFields lists the JSON fields that
// hold personal data (tagged personal:"true") so they can be encrypted per
// person. States are shared only through Clone.
package domain
