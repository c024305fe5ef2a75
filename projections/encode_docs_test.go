package projections

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/internal/jsonenc"
)

// The document encoders write what encoding/json writes, for every field
// set or not, odd strings, nil and empty lists, and floats of every form.
func TestDocumentEncodersMatchEncodingJSON(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	at := time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC)
	later := at.Add(36 * time.Hour).In(paris)
	strs := []string{"", "plain", `quote " \ <b>&amp;</b>`, "tab\tnew\nline ctrl \x01", "accentué ☃ 😀 \u2028", "bad \xff"}
	floats := []float64{0, math.Copysign(0, -1), 1, -2.5, 1.0 / 3, 1e-6, 9.99e-7, 1e-7, -1e-9, 1e20, 1e21, 123456789e15, math.MaxFloat64, math.SmallestNonzeroFloat64}
	lists := [][]string{nil, {}, {"a"}, {"<x>", "y z", ""}}

	var docs []jsonenc.Appender
	for i, s := range strs {
		f := floats[i%len(floats)]
		l := lists[i%len(lists)]
		var tp *time.Time
		if i%2 == 1 {
			tp = &later
		}
		person := Person{ID: s, Name: s, Party: domain.Party(s)}
		docs = append(docs,
			&Requirement{ID: s, Title: s, Description: s, Origin: s, DeliveryID: s, RaisedBy: s, RaisedAt: at, Clarified: i%2 == 0,
				Questions:      []Question{{ID: s, Text: s, Status: domain.Status(s), AskedBy: s, AskedAt: at, Answer: s, AnsweredBy: s, AnsweredAt: tp, AgeDays: f}},
				Clarifications: []Clarification{{Text: s, QuestionID: s, ClarifiedBy: s, ClarifiedAt: later, AnsweredBy: s, QuotedAnswer: s}, {}},
				Changes:        []Change{{ID: s, DecidedAt: tp}}, DeliveredIn: l},
			&Requirement{Questions: []Question{}, Clarifications: nil, Changes: []Change{}},
			&Change{ID: s, RequirementID: s, Description: s, Reason: s, Status: domain.Status(s), RequestedBy: s, RequestedAt: at, DecidedBy: s, DecidedAt: tp, Comment: s},
			&Assumption{ID: s, RequirementID: s, Statement: s, Status: domain.Status(s), MadeBy: s, MadeAt: at, ResolvedBy: s, ResolvedAt: tp, Comment: s, AgeDays: f},
			&Feature{ID: s, Title: s, Description: s, Status: domain.Status(s), ProposedBy: s, ProposedAt: at, DecidedBy: s, DecidedAt: tp, DeliveredIn: l},
			&Milestone{ID: s, Title: s, OriginalDueDate: at, DueDate: later, PlannedBy: s, PlannedAt: at, Delays: i - 2},
			&Delay{ID: s, MilestoneID: s, MilestoneTitle: s, OriginalDueDate: at, PreviousDueDate: later, NewDueDate: at, Reason: s,
				DisclosedBy: s, DisclosedAt: at, LeadTimeDays: -f, DisclosedAfterDue: i%2 == 1, DependencyID: s, DependencyLate: i%2 == 0, DependencyParty: domain.Party(s)},
			&Decision{ID: s, Title: s, Kind: domain.DecisionKind(s), Options: l, Chosen: s, Rationale: s, Participants: []Person{person, {ID: "x"}},
				ClientParticipants: nil, WithoutClient: true, About: l, DecidedBy: s, DecidedAt: at},
			&Decision{Participants: []Person{}, ClientParticipants: []Person{person}},
			&Information{ID: s, Subject: s, Summary: s, Channel: domain.Channel(s), About: l, InformedBy: s, InformedAt: at,
				Recipients: []Recipient{{Person: person, AcknowledgedAt: tp}, {Person: Person{ID: s}}}, AcknowledgedBy: l, NotAcknowledged: lists[(i+1)%len(lists)]},
			&Information{},
			&infoDoc{Subject: s, Channel: domain.Channel(s)},
			&EngagementSummary{ID: s, Title: s, Description: s, Phase: domain.Phase(s),
				Parties:  []PartyView{{Party: domain.Party(s), Name: s}, {Party: "client", Name: s, Perimeter: &Perimeter{Description: s, Includes: l, Excludes: l, DefinedAt: at}}},
				Counts:   Counts{Events: i, Stakeholders: -i, Requirements: 3, OpenQuestions: 4, OpenAssumptions: 5, OpenChanges: 6, FeaturesProposed: 7, Milestones: 8, Delays: 9, Decisions: 10, Informations: 11, Indicators: 12, Deliveries: 13, DeliveriesAwaiting: 14},
				OpenedAt: at, OpenedBy: s, ClosedAt: tp, LastActivityAt: later, LastEventType: s, Revision: uint64(i) << 40, Position: 1<<63 + 7},
			&EngagementSummary{},
		)
	}
	for _, f := range floats {
		docs = append(docs, &Question{AgeDays: f}, &Question{AgeDays: -f})
	}
	docs = append(docs,
		&Indicator{Measurements: []Measurement{}}, &Indicator{Latest: &Measurement{Value: 1e-9, Note: "<n>"}},
		&Stakeholder{Email: "e@x", BriefedAt: &at, LeftAt: &at},
		&statsDoc{}, &statsDoc{OpenQuestions: map[string]statOpen{}, People: map[string]statPerson{"x": {}}},
		&statsDoc{Delays: []statDelay{}, Features: map[string]statFeature{"\xff": {}, "\u2028": {}, "<": {}}},
		&statPending{Waiting: []string{}}, &statIndicator{Latest: &Measurement{}},
	)
	for _, d := range docs {
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.AppendJSON([]byte("prefix"))
		if err != nil {
			t.Fatalf("AppendJSON(%+v): %v", d, err)
		}
		if string(got) != "prefix"+string(want) {
			t.Errorf("AppendJSON(%T)\n got %s\nwant prefix%s", d, got, want)
		}
	}
}

// What encoding/json refuses, the encoders refuse.
func TestDocumentEncodersRefuseWhatEncodingJSONRefuses(t *testing.T) {
	bad := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, d := range []jsonenc.Appender{
		&Question{AgeDays: math.NaN()},
		&Assumption{AgeDays: math.Inf(1)},
		&Delay{LeadTimeDays: math.Inf(-1)},
		&Milestone{DueDate: bad},
		&Change{DecidedAt: &bad},
		&Requirement{Questions: []Question{{AskedAt: bad}}},
		&EngagementSummary{Parties: []PartyView{{Perimeter: &Perimeter{DefinedAt: bad}}}},
		&Information{Recipients: []Recipient{{AcknowledgedAt: &bad}}},
	} {
		if _, err := json.Marshal(d); err == nil {
			t.Fatalf("encoding/json accepts %+v", d)
		}
		if _, err := d.AppendJSON(nil); err == nil {
			t.Errorf("AppendJSON accepted %+v", d)
		}
	}
}

// fill sets every field of v, recursively, to something not zero: a field
// added to a document and not to its encoder then shows.
func fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strconv.Itoa(depth))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(depth + 1))
	case reflect.Uint64:
		v.SetUint(uint64(depth + 7))
	case reflect.Float64:
		v.SetFloat(float64(depth) + 0.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), depth+1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(v.Index(0), depth+1)
		fill(v.Index(1), depth+2)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for _, k := range []string{"b<&>", "a", "ä", "B"} {
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, depth+len(k))
			v.SetMapIndex(reflect.ValueOf(k), e)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2+depth, 3, 4, 5, 6, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), depth+1)
		}
	}
}

func TestDocumentEncodersWriteEveryField(t *testing.T) {
	for _, d := range []jsonenc.Appender{
		&Requirement{}, &Question{}, &Clarification{}, &Change{}, &Assumption{}, &Feature{}, &Milestone{}, &Delay{},
		&Decision{}, &Person{}, &Recipient{}, &Information{}, &infoDoc{}, &EngagementSummary{}, &PartyView{}, &Perimeter{},
		&Indicator{}, &Measurement{}, &Stakeholder{}, &statsDoc{}, &statDelay{}, &statOpen{}, &statPending{}, &statRef{},
		&statFeature{}, &statPerson{}, &statIndicator{}, &statLate{},
	} {
		fill(reflect.ValueOf(d).Elem(), 0)
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.AppendJSON(nil)
		if err != nil || string(got) != string(want) {
			t.Errorf("AppendJSON(%T) = %s, %v\nwant %s", d, got, err, want)
		}
	}
}
