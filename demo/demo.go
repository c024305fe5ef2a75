// Package demo loads a sample engagement drawn from the stories Candor comes
// from: an e-commerce platform built by a consultancy for a retailer, with an
// external hosting provider. The server set-up fails, the delay is disclosed
// after the go-live date, a hosting decision is taken without the client, a
// late stakeholder is never briefed, and the client raises a need on
// delivery day. Beside these, what a project lead's RAID log keeps: the
// hosting risk that occurs, the client's catalogue export delivered late,
// the time tolerance the delay passes (an exception the client decides), a
// change assessed before the client approves it, a delivery rejected then
// accepted as a new version, and a highlight report the client lead
// acknowledges. It gives a newcomer something real to query at once.
//
// The story spans four months: the demo decides each command with a clock
// set to the story's date, so the facts carry those dates (the store still
// records when they were written). One fact is recorded late, with the day
// it is said to have happened (a phone call of day 86 recorded on day 92).
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

// Access is one demo principal and its token.
type Access struct {
	Name, Role, PrincipalID, Token string
}

// Demo is what Load created.
type Demo struct {
	EngagementID string
	Client       Access // a client-side stakeholder
	Supplier     Access // a supplier-side stakeholder
	Auditor      Access
	// BeforeDisclosure is the global position of the last event before
	// the go-live delay was disclosed, two days after the go-live date:
	// the engagement as it stood then (as_of_position) is what the client
	// could not know. (The story's facts are recorded when it is loaded,
	// so an as_of time in the story's past finds nothing recorded yet.)
	BeforeDisclosure eventstore.Position
	// HighlightReportID is the frozen highlight report sent to Claire.
	HighlightReportID string
}

// story carries the ids and the clock while the story is told.
type story struct {
	ctx   context.Context
	l     *ledger.Ledger
	clock time.Time
	eng   string
	ids   map[string]string
	last  eventstore.Position // of the last event appended
	// beforeDisclosure is last just before the delay was disclosed.
	beforeDisclosure eventstore.Position
}

func (s *story) id(name string) string {
	if id, ok := s.ids[name]; ok {
		return id
	}
	id := uuid.Must(uuid.NewV7()).String()
	s.ids[name] = id
	return id
}

func (s *story) do(what string, cmd domain.Command) error {
	_, create := cmd.(domain.OpenEngagement)
	if _, ok := cmd.(domain.DiscloseDelay); ok && s.beforeDisclosure == 0 {
		s.beforeDisclosure = s.last
	}
	res, err := s.l.Execute(s.ctx, ledger.Request{
		EngagementID:  s.eng,
		Create:        create,
		CorrelationID: "demo",
		Command:       func(*domain.Engagement) (domain.Command, error) { return cmd, nil },
	})
	if err != nil {
		return fmt.Errorf("demo: %s: %w", what, err)
	}
	s.last = res.Position
	return nil
}

// Option configures Load.
type Option func(*ledger.Options)

// WithSeal seals the story's events as the server's ledger does
// (ledger.Options.Seal): the demo's people are personal data too.
func WithSeal(seal ledger.SealFunc) Option { return func(o *ledger.Options) { o.Seal = seal } }

// Load tells the story into store, creating its principals in reg, and
// ends it at now.
func Load(ctx context.Context, store eventstore.Store, reg *auth.Registry, now time.Time, opts ...Option) (Demo, error) {
	d := Demo{
		Client:   Access{Name: "Claire Martin (Maison Dupont)", Role: string(auth.RoleMember)},
		Supplier: Access{Name: "Sam Moreau (Conseil & Co)", Role: string(auth.RoleMember)},
		Auditor:  Access{Name: "Audit office", Role: string(auth.RoleAuditor)},
	}
	for _, a := range []*Access{&d.Client, &d.Supplier, &d.Auditor} {
		p, err := reg.CreatePrincipal(ctx, a.Name, auth.Role(a.Role))
		if err != nil {
			return Demo{}, fmt.Errorf("demo: principal %s: %w", a.Name, err)
		}
		t, err := reg.IssueToken(ctx, p.ID, "demo")
		if err != nil {
			return Demo{}, fmt.Errorf("demo: token for %s: %w", a.Name, err)
		}
		a.PrincipalID, a.Token = p.ID, t.Secret
	}

	start := now.UTC().Add(-120 * 24 * time.Hour).Truncate(time.Hour)
	s := &story{ctx: ctx, ids: map[string]string{}}
	lo := ledger.Options{Now: func() time.Time { return s.clock }}
	for _, o := range opts {
		o(&lo)
	}
	s.l = ledger.New(store, lo)
	s.eng = s.id("engagement")
	d.EngagementID = s.eng
	if err := tell(s, start, d); err != nil {
		return Demo{}, err
	}
	d.BeforeDisclosure = s.beforeDisclosure
	d.HighlightReportID = s.id("report-1")
	return d, nil
}

// tell appends the story, step by step. Each step is one command, as a
// person would record it through the API.
func tell(s *story, start time.Time, d Demo) error {
	sam, claire := s.id("sam"), s.id("claire")
	nicolas, julie, pierre := s.id("nicolas"), s.id("julie"), s.id("pierre")
	day := func(n float64) time.Time { return start.Add(time.Duration(n * float64(24*time.Hour))) }

	type step struct {
		day  float64
		what string
		cmd  domain.Command
	}
	steps := []step{
		// Emergence: an opportunity opened to invited experts; the client joins.
		{0, "open", domain.OpenEngagement{
			EngagementID: s.eng, Title: "Maison Dupont online shop",
			Description: "A new e-commerce platform for a family-run retailer, hosted by an external provider.",
			ClientName:  "Maison Dupont", SupplierName: "Conseil & Co",
			Opener: domain.NewStakeholder{StakeholderID: sam, Party: domain.PartySupplier, Name: "Sam Moreau", Email: "sam@conseil.example", Role: "Engagement lead", PrincipalID: d.Supplier.PrincipalID},
		}},
		{1, "invite payments expert", domain.InviteExpert{ActorID: sam, ExpertID: s.id("lea"), Name: "Léa Fontaine", Expertise: "online payments"}},
		{1, "invite UX expert", domain.InviteExpert{ActorID: sam, ExpertID: s.id("marc"), Name: "Marc Petit", Expertise: "checkout UX"}},
		{3, "payments expert commits", domain.CommitExpert{ActorID: sam, ExpertID: s.id("lea")}},
		{4, "UX expert commits", domain.CommitExpert{ActorID: sam, ExpertID: s.id("marc")}},
		{5, "client stakeholder", domain.AddStakeholder{ActorID: sam, NewStakeholder: domain.NewStakeholder{StakeholderID: claire, Party: domain.PartyClient, Name: "Claire Martin", Email: "claire@maisondupont.example", Role: "Head of e-commerce", PrincipalID: d.Client.PrincipalID}}},
		{6, "client joins the discussion", domain.JoinDiscussion{ActorID: claire, Note: "Joined the experts' discussion on the shop's scope."}},
		{12, "agreement", domain.SignAgreement{ActorID: claire, AgreementID: s.id("agreement"), Reference: "MD-2026-014", Signatories: []string{claire, sam}}},
		{12, "to scoping", domain.AdvancePhase{ActorID: sam, To: domain.PhaseScoping}},

		// Scoping: three parties, a workshop, indicators co-defined with the client.
		{14, "provider joins", domain.JoinParty{ActorID: sam, Party: domain.PartyProvider, Name: "HostPro"}},
		{14, "provider stakeholder", domain.AddStakeholder{ActorID: sam, NewStakeholder: domain.NewStakeholder{StakeholderID: pierre, Party: domain.PartyProvider, Name: "Pierre Lambert", Role: "Hosting engineer"}}},
		{14, "provider briefed", domain.BriefStakeholder{ActorID: sam, StakeholderID: pierre, Summary: "The opportunity, the team and the client's expectations."}},
		{15, "supplier perimeter", domain.DefinePerimeter{ActorID: sam, Party: domain.PartySupplier, Description: "Shop design and development", Includes: []string{"storefront", "checkout", "catalogue import"}}},
		{15, "provider perimeter", domain.DefinePerimeter{ActorID: sam, Party: domain.PartyProvider, Description: "Hosting and operations", Includes: []string{"servers", "backups"}, Excludes: []string{"application code"}}},
		{18, "workshop", domain.HoldWorkshop{ActorID: sam, WorkshopID: s.id("workshop"), HeldAt: day(18), Participants: []string{claire, sam}, Notes: "What would success look like? Claire named conversion and a fast checkout."}},
		{18, "conversion indicator", domain.DefineIndicator{ActorID: claire, IndicatorID: s.id("conversion"), WorkshopID: s.id("workshop"), Name: "Conversion rate", Unit: "%", Target: 2.5, Direction: domain.AtLeast}},
		{16, "tolerances", domain.AgreeTolerances{ActorID: sam, TimeDays: 10, CostAmount: 500000, Currency: "EUR", AgreedBy: []string{claire, sam}}},
		{18, "checkout indicator", domain.DefineIndicator{ActorID: claire, IndicatorID: s.id("checkout-time"), WorkshopID: s.id("workshop"), Name: "Median checkout time", Unit: "s", Target: 90, Direction: domain.AtMost}},
		{20, "to delivery", domain.AdvancePhase{ActorID: sam, To: domain.PhaseDelivery}},

		// Delivery: requirements, questions, assumptions, the milestone.
		{22, "checkout requirement", domain.RaiseRequirement{ActorID: claire, RequirementID: s.id("req-checkout"), Title: "Checkout in three steps", Description: "Cart, delivery, payment."}},
		{23, "question on guest checkout", domain.AskQuestion{ActorID: sam, QuestionID: s.id("q-guest"), RequirementID: s.id("req-checkout"), Text: "Must customers be able to buy without an account?"}},
		{25, "clarification", domain.ClarifyRequirement{ActorID: claire, RequirementID: s.id("req-checkout"), QuestionID: s.id("q-guest"), Clarification: "Yes: guest checkout, with an optional account at the end."}},
		{26, "catalogue requirement", domain.RaiseRequirement{ActorID: claire, RequirementID: s.id("req-catalogue"), Title: "Import the product catalogue", Description: "About 4,000 products from the shop's ERP."}},
		{27, "assumption on encoding", domain.MakeAssumption{ActorID: sam, AssumptionID: s.id("a-utf8"), RequirementID: s.id("req-catalogue"), Statement: "The ERP export is UTF-8 CSV."}},
		{29, "assumption validated", domain.ValidateAssumption{ActorID: claire, AssumptionID: s.id("a-utf8"), Comment: "Confirmed with the ERP vendor."}},
		{30, "assumption never checked", domain.MakeAssumption{ActorID: sam, AssumptionID: s.id("a-promos"), RequirementID: s.id("req-checkout"), Statement: "Promotion codes are out of scope for the first release."}},
		{31, "go-live milestone", domain.PlanMilestone{ActorID: sam, MilestoneID: s.id("go-live"), Title: "Go-live", DueDate: day(90)}},
		{32, "hosting risk", domain.RaiseRisk{ActorID: sam, RiskID: s.id("risk-hosting"), Title: "The production cluster is not ready for the go-live",
			Probability: 3, Impact: 4, OwnerID: pierre, Response: "Provision a staging cluster in the same region first.", MilestoneID: s.id("go-live")}},
		{33, "client dependency", domain.RaiseDependency{ActorID: sam, DependencyID: s.id("dep-catalogue"), Title: "Catalogue export from the ERP",
			OwedBy: claire, DueDate: day(60), MilestoneID: s.id("go-live")}},
		{40, "late stakeholder, briefed", domain.AddStakeholder{ActorID: claire, NewStakeholder: domain.NewStakeholder{StakeholderID: julie, Party: domain.PartyClient, Name: "Julie Bernard", Role: "Marketing"}}},
		{41, "briefing", domain.BriefStakeholder{ActorID: sam, StakeholderID: julie, Summary: "Scope, indicators, and the open assumption on promotions."}},
		{45, "late stakeholder, never briefed", domain.AddStakeholder{ActorID: claire, NewStakeholder: domain.NewStakeholder{StakeholderID: nicolas, Party: domain.PartyClient, Name: "Nicolas Roux", Role: "Finance director"}}},
		{50, "feature nobody asked for", domain.ProposeFeature{ActorID: sam, FeatureID: s.id("wishlist"), Title: "Wishlist", Description: "Customers save products for later."}},
		{55, "hosting decision without the client", domain.MakeDecision{ActorID: sam, DecisionID: s.id("d-hosting"), Title: "Hosting platform", Kind: domain.DecisionTechnical, Options: []string{"managed Kubernetes", "two virtual machines"}, Chosen: "managed Kubernetes", Rationale: "The provider's standard offer.", Participants: []string{sam, pierre}}},
		{58, "payment decision with the client", domain.MakeDecision{ActorID: claire, DecisionID: s.id("d-payment"), Title: "Payment provider", Kind: domain.DecisionStrategic, Options: []string{"bank's gateway", "payment platform"}, Chosen: "payment platform", Rationale: "Lower fees at the shop's volume.", Participants: []string{claire, sam}}},
		{60, "change requested", domain.RequestChange{ActorID: claire, ChangeID: s.id("change-promos"), RequirementID: s.id("req-checkout"), Description: "Promotion codes at checkout in the first release."}},
		{62, "change impact", domain.AssessChangeImpact{ActorID: sam, ChangeID: s.id("change-promos"), ScheduleImpactDays: 5, CostImpact: 240000, Currency: "EUR",
			ApproverID: claire, ApproveBy: day(70)}},
		{65, "change approved", domain.ApproveChange{ActorID: claire, ChangeID: s.id("change-promos"), Comment: "Worth five days."}},
		{72, "client dependency met late", domain.MeetDependency{ActorID: claire, DependencyID: s.id("dep-catalogue"), Note: "The ERP vendor sent the export twelve days late."}},
		{84, "the hosting risk occurs", domain.RecordRiskOccurred{ActorID: pierre, RiskID: s.id("risk-hosting"), DifficultyID: s.id("diff-servers"), Description: "The production cluster cannot be provisioned in the chosen region."}},

		// The delay is disclosed two days after the go-live date. The
		// hosting engineer had warned Claire by phone on day 86, it is said:
		// recorded only now, with the day it happened (occurred_at).
		{92, "warning recorded late", domain.InformClient{ActorID: pierre, Claim: domain.Claim{OccurredAt: day(86)}, InformationID: s.id("info-warning"),
			Subject: "The server set-up is at risk", Summary: "A phone call: the cluster may not be ready for the go-live.", Channel: domain.ChannelCall,
			Recipients: []string{claire}, About: []string{s.id("diff-servers")}}},
		{92, "delay disclosed late", domain.DiscloseDelay{ActorID: sam, DelayID: s.id("delay-1"), MilestoneID: s.id("go-live"), NewDueDate: day(110), Reason: "Hosting set-up failed; the provider needs three more weeks."}},
		{92, "cost impact", domain.DiscloseCostImpact{ActorID: sam, CostImpactID: s.id("cost-1"), DifficultyID: s.id("diff-servers"), Amount: 450000, Currency: "EUR", Reason: "Three extra weeks of the hosting engineer."}},
		{92, "skills gap", domain.DiscloseSkillsGap{ActorID: sam, SkillsGapID: s.id("gap-1"), DifficultyID: s.id("diff-servers"), Skill: "Kubernetes operations", Mitigation: "The provider brings in a specialist."}},
		{92, "client informed", domain.InformClient{ActorID: sam, InformationID: s.id("info-delay"), Subject: "Go-live moves by three weeks", Summary: "The hosting set-up failed; new date, cost and mitigation.", Channel: domain.ChannelEmail, Recipients: []string{claire, nicolas}, About: []string{s.id("delay-1"), s.id("cost-1")}}},
		{93, "acknowledged by Claire only", domain.AcknowledgeInformation{ActorID: claire, InformationID: s.id("info-delay")}},
		// Learnt the day after, not at the end.
		{93, "lesson", domain.RecordLesson{ActorID: sam, LessonID: s.id("lesson-1"), Text: "Disclose a delay the day the provider warns, not after the date."}},
		// The 20-day slip passed the 10 days agreed: the delay raised an
		// exception, which the client decides.
		{93, "exception options", domain.ProposeExceptionOptions{ActorID: sam, ExceptionID: "exception-" + s.id("delay-1"),
			Options: []string{"Go live on day 110 with everything", "Go live on day 100 without the wishlist"}, Recommendation: "Go live on day 110 with everything"}},
		{95, "exception decided", domain.DecideException{ActorID: claire, ExceptionID: "exception-" + s.id("delay-1"), Chosen: "Go live on day 110 with everything",
			Rationale: "One launch, announced once."}},
		{96, "highlight report", domain.IssueHighlightReport{ActorID: sam, ReportID: s.id("report-1"), From: day(60), To: day(96), Channel: domain.ChannelEmail,
			Recipients: []string{claire}}},
		{97, "report acknowledged", domain.AcknowledgeInformation{ActorID: claire, InformationID: "information-" + s.id("report-1")}},
		{100, "conversion measured", domain.MeasureIndicator{ActorID: sam, MeasurementID: s.id("m-1"), IndicatorID: s.id("conversion"), Value: 1.9}},

		// Acceptance: delivery day, a need the supplier had not thought of.
		{110, "delivery", domain.MakeDelivery{ActorID: sam, DeliveryID: s.id("delivery-1"), Title: "Storefront v1", MilestoneID: s.id("go-live"), RequirementIDs: []string{s.id("req-checkout"), s.id("req-catalogue")}, FeatureIDs: []string{s.id("wishlist")}}},
		{110, "to acceptance", domain.AdvancePhase{ActorID: sam, To: domain.PhaseAcceptance}},
		{110, "need raised at delivery", domain.RaiseNeedAtDelivery{ActorID: claire, NeedID: s.id("need-vat"), DeliveryID: s.id("delivery-1"), Title: "Invoices must show VAT per line", Description: "Not a lack of specification: a lack of thinking on our side, said the lead."}},
		{111, "delivery rejected", domain.RejectDelivery{ActorID: claire, DeliveryID: s.id("delivery-1"), Reason: "A guest checkout fails at the payment step."}},
		{111.5, "delivered again", domain.RedeliverDelivery{ActorID: sam, DeliveryID: s.id("delivery-1"), Changes: "Guest checkout fixed at the payment step."}},
		{112, "delivery accepted", domain.AcceptDelivery{ActorID: claire, DeliveryID: s.id("delivery-1"), Comment: "Accepted, with the VAT need to follow."}},
	}
	for _, st := range steps {
		s.clock = day(st.day)
		if err := s.do(st.what, st.cmd); err != nil {
			return err
		}
	}
	return nil
}
