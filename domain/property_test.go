package domain

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// gen builds random, often plausible, often wrong commands from the current
// state: ids are picked among existing ones or made up, actors among every
// stakeholder (also those who left) or a stranger, dates around now.
type gen struct {
	r   *rand.Rand
	n   int
	now time.Time
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) fresh() string {
	g.n++
	return fmt.Sprintf("id-%d", g.n)
}

// id picks an existing id of the kind (or of any kind, or a new one).
func (g *gen) id(s *Engagement, kind string) string {
	var pool []string
	for id, k := range s.ids {
		if k == kind || kind == "" {
			pool = append(pool, id)
		}
	}
	if len(pool) == 0 || g.chance(0.1) {
		return g.fresh()
	}
	// Map order is random; sort-free determinism comes from picking by a
	// sorted index.
	sortStrings(pool)
	return pool[g.r.IntN(len(pool))]
}

func sortStrings(xs []string) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

func (g *gen) actor(s *Engagement) string {
	if len(s.Stakeholders) == 0 || g.chance(0.03) {
		return "ghost"
	}
	return s.Stakeholders[g.r.IntN(len(s.Stakeholders))].ID
}

func (g *gen) stakeholders(s *Engagement) []string {
	var out []string
	for _, x := range s.Stakeholders {
		if g.chance(0.5) {
			out = append(out, x.ID)
		}
	}
	if g.chance(0.05) {
		out = append(out, "ghost")
	}
	return out
}

func (g *gen) text() string {
	return []string{"", "x", "Invoices in PDF", "  "}[g.r.IntN(4)]
}

func (g *gen) party() Party {
	return []Party{PartyClient, PartySupplier, PartyProvider, "bank"}[g.r.IntN(4)]
}

func (g *gen) when() time.Time {
	switch g.r.IntN(4) {
	case 0:
		return time.Time{}
	case 1:
		return g.now.Add(-time.Duration(g.r.IntN(500)) * time.Hour)
	default:
		return g.now.Add(time.Duration(g.r.IntN(2000)-200) * time.Hour)
	}
}

func (g *gen) number() float64 {
	if g.chance(0.02) {
		return math.NaN()
	}
	return float64(g.r.IntN(200)) - 50
}

func (g *gen) command(s *Engagement) Command {
	if s == nil {
		c := openCmd()
		c.EngagementID = "eng-" + g.fresh()
		c.Opener.Party = []Party{PartyClient, PartySupplier}[g.r.IntN(2)]
		return c
	}
	a := g.actor(s)
	n := g.r.IntN(41 + governanceGenerated)
	if n >= 41 {
		return g.governance(s, a, n-41)
	}
	switch n {
	case 0:
		to := s.Phase.Next()
		if g.chance(0.1) {
			to = PhaseDelivery
		}
		return AdvancePhase{ActorID: a, To: to}
	case 1:
		return CloseEngagement{ActorID: a}
	case 2:
		return RecordLesson{ActorID: a, LessonID: g.id(s, "lesson"), Text: g.text()}
	case 3:
		return JoinParty{ActorID: a, Party: g.party(), Name: g.text()}
	case 4:
		return DefinePerimeter{ActorID: a, Party: g.party(), Description: g.text(), Includes: []string{"a"}}
	case 5:
		return AddStakeholder{ActorID: a, NewStakeholder: NewStakeholder{StakeholderID: g.fresh(), Party: g.party(), Name: "N", PrincipalID: g.fresh()}}
	case 6:
		return BriefStakeholder{ActorID: a, StakeholderID: g.id(s, "stakeholder"), Summary: "s"}
	case 7:
		if g.chance(0.7) {
			return RaiseRequirement{ActorID: a, RequirementID: g.fresh(), Title: "t"}
		}
		return RemoveStakeholder{ActorID: a, StakeholderID: g.id(s, "stakeholder")}
	case 8:
		return InviteExpert{ActorID: a, ExpertID: g.id(s, "expert"), Name: g.text(), Email: []string{"", "e@x.io", "bad"}[g.r.IntN(3)]}
	case 9:
		return CommitExpert{ActorID: a, ExpertID: g.id(s, "expert")}
	case 10:
		return WithdrawExpert{ActorID: a, ExpertID: g.id(s, "expert")}
	case 11:
		return JoinDiscussion{ActorID: a}
	case 12:
		return SignAgreement{ActorID: a, AgreementID: g.fresh(), Signatories: g.stakeholders(s)}
	case 13:
		return HoldWorkshop{ActorID: a, WorkshopID: g.id(s, "workshop"), HeldAt: g.when(), Participants: g.stakeholders(s)}
	case 14:
		return DefineIndicator{ActorID: a, IndicatorID: g.id(s, "indicator"), WorkshopID: g.id(s, "workshop"), Name: g.text(), Target: g.number(), Direction: []Direction{AtLeast, AtMost, "x"}[g.r.IntN(3)]}
	case 15:
		return MeasureIndicator{ActorID: a, MeasurementID: g.fresh(), IndicatorID: g.id(s, "indicator"), Value: g.number(), MeasuredAt: g.when()}
	case 16:
		return RaiseRequirement{ActorID: a, RequirementID: g.id(s, "requirement"), Title: g.text()}
	case 17:
		return AskQuestion{ActorID: a, QuestionID: g.fresh(), RequirementID: g.id(s, "requirement"), Text: "q"}
	case 18:
		q := ""
		if g.chance(0.7) {
			q = g.id(s, "question")
		}
		return ClarifyRequirement{ActorID: a, RequirementID: g.id(s, "requirement"), Clarification: g.text(), QuestionID: q, Answer: g.text(), AnsweredBy: g.id(s, "stakeholder")}
	case 19:
		return MakeAssumption{ActorID: a, AssumptionID: g.fresh(), RequirementID: []string{"", g.id(s, "requirement")}[g.r.IntN(2)], Statement: "s"}
	case 20:
		return ValidateAssumption{ActorID: a, AssumptionID: g.id(s, "assumption")}
	case 21:
		return RejectAssumption{ActorID: a, AssumptionID: g.id(s, "assumption")}
	case 22:
		return RequestChange{ActorID: a, ChangeID: g.fresh(), Description: g.text()}
	case 23:
		return ApproveChange{ActorID: a, ChangeID: g.id(s, "change")}
	case 24:
		return RejectChange{ActorID: a, ChangeID: g.id(s, "change")}
	case 25:
		return ProposeFeature{ActorID: a, FeatureID: g.fresh(), Title: "f"}
	case 26:
		return AcceptFeature{ActorID: a, FeatureID: g.id(s, "feature")}
	case 27:
		return DeclineFeature{ActorID: a, FeatureID: g.id(s, "feature")}
	case 28:
		return PlanMilestone{ActorID: a, MilestoneID: g.fresh(), Title: "m", DueDate: g.when()}
	case 29:
		return ReportDifficulty{ActorID: a, DifficultyID: g.fresh(), Description: "d", MilestoneID: []string{"", g.id(s, "milestone")}[g.r.IntN(2)]}
	case 30:
		return DiscloseDelay{ActorID: a, DelayID: g.fresh(), MilestoneID: g.id(s, "milestone"), NewDueDate: g.when().Add(1000 * time.Hour), Reason: g.text()}
	case 31:
		return DiscloseCostImpact{ActorID: a, CostImpactID: g.fresh(), Amount: int64(g.r.IntN(3)), Currency: []string{"EUR", "eu"}[g.r.IntN(2)], Reason: "r"}
	case 32:
		return DiscloseSkillsGap{ActorID: a, SkillsGapID: g.fresh(), Skill: g.text()}
	case 33:
		return InformClient{ActorID: a, InformationID: g.fresh(), Subject: "s", Channel: []Channel{ChannelEmail, "x"}[g.r.IntN(2)], Recipients: g.stakeholders(s), About: []string{g.id(s, "")}}
	case 34:
		return AcknowledgeInformation{ActorID: a, InformationID: g.id(s, "information")}
	case 35:
		return MakeDecision{ActorID: a, DecisionID: g.fresh(), Title: "d", Kind: DecisionTechnical, Options: []string{"a", "b"}, Chosen: []string{"a", "c"}[g.r.IntN(2)], Participants: g.stakeholders(s)}
	case 36:
		return MakeDelivery{ActorID: a, DeliveryID: g.fresh(), Title: "d", FeatureIDs: []string{g.id(s, "feature")}[:g.r.IntN(2)]}
	case 37:
		return AcceptDelivery{ActorID: a, DeliveryID: g.id(s, "delivery")}
	case 38:
		return RejectDelivery{ActorID: a, DeliveryID: g.id(s, "delivery"), Reason: g.text()}
	case 39:
		return RaiseNeedAtDelivery{ActorID: a, NeedID: g.fresh(), DeliveryID: g.id(s, "delivery"), Title: "n"}
	default:
		return openCmd()
	}
}

// claimed gives a command that takes a claim (see Claim) a random claimed
// time, often plausible, sometimes in the future or before the opening.
func (g *gen) claimed(cmd Command) Command {
	v := reflect.New(reflect.TypeOf(cmd)).Elem()
	v.Set(reflect.ValueOf(cmd))
	f := v.FieldByName("Claim")
	if !f.IsValid() || g.chance(0.6) {
		return cmd
	}
	t := g.now.Add(-time.Duration(g.r.IntN(72*60)) * time.Minute)
	switch g.r.IntN(10) {
	case 0:
		t = g.now.Add(time.Hour)
	case 1:
		t = t0.Add(-time.Hour)
	}
	f.Set(reflect.ValueOf(Claim{OccurredAt: t}))
	return v.Interface().(Command)
}

// TestRandomCommandSequences: whatever the commands, Decide returns events
// or an *Error with a code the command's Refusals list, never modifies the
// state, and every event it emits is accepted by Evolve and survives
// Marshal/Unmarshal; folding the emitted events rebuilds the same state,
// and folding only those that happened by any moment (as claimed) folds
// too: no fact is said to have happened before what it names.
func TestRandomCommandSequences(t *testing.T) {
	seeds, steps := 120, 400
	if testing.Short() {
		seeds = 30
	}
	seen := map[string]int{}
	codes := map[string]int{}
	for seed := range seeds {
		g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 42)), now: t0}
		var s *Engagement
		var all []Event
		for step := range steps {
			cmd := g.claimed(g.command(s))
			before := s.Clone()
			evs, err := Decide(s, cmd, g.now)
			if !reflect.DeepEqual(before, s) {
				t.Fatalf("seed %d step %d: Decide(%T) modified the state", seed, step, cmd)
			}
			if err != nil {
				var de *Error
				if !errors.As(err, &de) || de.Code == "" || de.Kind == 0 || de.Message == "" {
					t.Fatalf("seed %d step %d: %T: bad error %#v", seed, step, cmd, err)
				}
				codes[de.Code]++
				if KindOfCode(de.Code) != de.Kind {
					t.Fatalf("seed %d step %d: %T: code %s has kind %v, KindOfCode says %v", seed, step, cmd, de.Code, de.Kind, KindOfCode(de.Code))
				}
				if !slices.Contains(Refusals(cmd), de.Code) {
					t.Fatalf("seed %d step %d: %T refused with %s, which Refusals does not list: %v", seed, step, cmd, de.Code, err)
				}
			}
			for _, e := range evs {
				h := e.Head()
				if h.At != g.now.UTC() || h.ActorID == "" || (s != nil && h.EngagementID != s.ID) {
					t.Fatalf("seed %d step %d: bad header %+v", seed, step, *h)
				}
				if c, ok := cmd.(interface{ Claimed() time.Time }); ok && !h.OccurredAt.Equal(c.Claimed()) {
					t.Fatalf("seed %d step %d: %T claimed %s, the event says %s", seed, step, cmd, c.Claimed(), h.OccurredAt)
				}
				if s, err = Evolve(s, e); err != nil {
					t.Fatalf("seed %d step %d: Evolve rejects decided %s: %v", seed, step, e.EventType(), err)
				}
				typ, v, data, err := Marshal(e)
				if err != nil {
					t.Fatalf("seed %d step %d: Marshal %s: %v", seed, step, e.EventType(), err)
				}
				back, err := Unmarshal(typ, v, data)
				if err != nil || !reflect.DeepEqual(back, e) {
					t.Fatalf("seed %d step %d: round trip of %s: %v\n%s", seed, step, typ, err, data)
				}
				seen[typ]++
				all = append(all, e)
			}
			g.now = g.now.Add(time.Duration(g.r.IntN(48*60)) * time.Minute)
			if s != nil && s.Phase == PhaseClosed {
				break
			}
		}
		folded, err := Fold(all...)
		if err != nil {
			t.Fatalf("seed %d: Fold: %v", seed, err)
		}
		for range 20 {
			by := t0.Add(time.Duration(g.r.Int64N(int64(g.now.Sub(t0)) + 1)))
			var past *Engagement
			for _, e := range all {
				if !OccurredBy(e, by) {
					continue
				}
				if past, err = Evolve(past, e); err != nil {
					t.Fatalf("seed %d: the engagement as it happened by %s does not fold: %v", seed, by, err)
				}
			}
		}
		if !reflect.DeepEqual(folded, s) || !reflect.DeepEqual(s.Clone(), s) {
			t.Fatalf("seed %d: Fold or Clone differs from the evolved state", seed)
		}
	}
	if !testing.Short() {
		for _, typ := range EventTypes() {
			if seen[typ] == 0 {
				t.Errorf("no random sequence emitted %s", typ)
			}
		}
	}
	t.Logf("events emitted per type: %v", seen)
	t.Logf("%d distinct error codes seen", len(codes))
}
