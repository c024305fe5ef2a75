package domain

import (
	"reflect"
	"testing"
	"time"
)

// t0 is the moment the test engagement opens; every scripted command runs
// one hour after the previous one.
var t0 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

const eng = "eng-1"

// Stakeholders of the test engagement.
const (
	sup  = "s-sam"    // supplier, the opener
	sup2 = "s-sofia"  // supplier
	cli  = "c-claire" // client
	cli2 = "c-chloe"  // client
	prv  = "p-paul"   // provider
)

// script decides commands one after the other, one hour apart from t0,
// folding each result, and fails the test on any error. It returns the
// events and the time of the last command.
type script struct {
	t      testing.TB
	events []Event
	state  *Engagement
	now    time.Time
}

func newScript(t testing.TB) *script { return &script{t: t, now: t0} }

func (s *script) do(cmds ...Command) *script {
	s.t.Helper()
	for _, c := range cmds {
		evs, err := Decide(s.state, c, s.now)
		if err != nil {
			s.t.Fatalf("script: %T: %v", c, err)
		}
		for _, e := range evs {
			if s.state, err = Evolve(s.state, e); err != nil {
				s.t.Fatalf("script: evolve %s: %v", e.EventType(), err)
			}
		}
		s.events = append(s.events, evs...)
		s.now = s.now.Add(time.Hour)
	}
	return s
}

func openCmd() OpenEngagement {
	return OpenEngagement{
		EngagementID: eng, Title: "New billing platform", ClientName: "Acme", SupplierName: "Candor Consulting",
		Opener: NewStakeholder{StakeholderID: sup, Party: PartySupplier, Name: "Sam", Email: "sam@example.com", PrincipalID: "pr-sam"},
	}
}

func add(actor, id string, p Party, name string) AddStakeholder {
	return AddStakeholder{ActorID: actor, NewStakeholder: NewStakeholder{StakeholderID: id, Party: p, Name: name, PrincipalID: "pr-" + id}}
}

// Stages of the test engagement, each building on the previous one.

func emergence(t testing.TB) *script {
	return newScript(t).do(
		openCmd(),
		add(sup, cli, PartyClient, "Claire"),
		add(sup, sup2, PartySupplier, "Sofia"),
		JoinParty{ActorID: sup, Party: PartyProvider, Name: "Hosting Ltd"},
		add(sup, prv, PartyProvider, "Paul"),
	)
}

func scoping(t testing.TB) *script {
	return emergence(t).do(
		JoinDiscussion{ActorID: cli},
		AdvancePhase{ActorID: sup, To: PhaseScoping},
	)
}

var due = t0.Add(30 * 24 * time.Hour)

func delivery(t testing.TB) *script {
	return scoping(t).do(
		SignAgreement{ActorID: cli, AgreementID: "agr-1", Signatories: []string{cli, sup}},
		AdvancePhase{ActorID: sup, To: PhaseDelivery},
		RaiseRequirement{ActorID: cli, RequirementID: "req-1", Title: "Invoices in PDF"},
		PlanMilestone{ActorID: sup, MilestoneID: "ms-1", Title: "Beta", DueDate: due},
	)
}

func acceptance(t testing.TB) *script {
	return delivery(t).do(
		MakeDelivery{ActorID: sup, DeliveryID: "dlv-1", Title: "Beta", MilestoneID: "ms-1", RequirementIDs: []string{"req-1"}},
		AdvancePhase{ActorID: sup, To: PhaseAcceptance},
	)
}

// scenario is one given/when/then case: given the events of a script, when
// a command is decided at the script's next time, then these events (with
// their Header filled by the helper: actor from the command, At = when) or
// an error with this code.
type scenario struct {
	name  string
	given func(testing.TB) *script
	when  Command
	then  []Event // Headers left zero; the helper fills them
	code  string  // expected error code, when then is nil
	field string  // expected error field, optional
	// occurred is the OccurredAt the helper puts in then's Headers (the
	// command's claim); zero for none.
	occurred time.Time
}

func (sc scenario) run(t *testing.T) {
	t.Helper()
	g := sc.given(t)
	before := g.state.Clone()
	got, err := Decide(g.state, sc.when, g.now)
	if !reflect.DeepEqual(before, g.state) {
		t.Fatalf("Decide modified the state")
	}
	if sc.code != "" {
		if err == nil {
			t.Fatalf("got events %v, want error %s", types(got), sc.code)
		}
		de, ok := err.(*Error)
		if !ok {
			t.Fatalf("error %T is not *Error: %v", err, err)
		}
		if de.Code != sc.code {
			t.Fatalf("error code %s (%v), want %s", de.Code, err, sc.code)
		}
		if sc.field != "" && de.Field != sc.field {
			t.Fatalf("error field %q, want %q", de.Field, sc.field)
		}
		if de.Message == "" || de.Kind == 0 {
			t.Fatalf("error without message or kind: %#v", de)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	want := make([]Event, len(sc.then))
	for i, e := range sc.then {
		h := e.Head()
		if h.EngagementID == "" {
			*h = Header{EngagementID: eng, ActorID: Command(sc.when).Actor(), At: g.now, OccurredAt: sc.occurred}
		}
		want[i] = e
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events\n got %s\nwant %s", dump(got), dump(want))
	}
	// What Decide emits, Evolve applies.
	s := g.state.Clone()
	for _, e := range got {
		if s, err = Evolve(s, e); err != nil {
			t.Fatalf("Evolve rejects decided %s: %v", e.EventType(), err)
		}
	}
}

func types(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.EventType()
	}
	return out
}

func dump(evs []Event) string {
	var b []byte
	for _, e := range evs {
		_, _, data, _ := Marshal(e)
		b = append(b, e.EventType()...)
		b = append(b, ' ')
		b = append(b, data...)
		b = append(b, '\n')
	}
	return string(b)
}
