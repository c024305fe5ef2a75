package api

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/projections"
)

// jsonNames lists the JSON field names of a struct type, as encoding/json
// would write them (embedded structs flattened, "-" skipped).
func jsonNames(t reflect.Type) []string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			out = append(out, jsonNames(f.Type)...)
			continue
		}
		if name != "" && name != "-" && f.IsExported() {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

var (
	specOnce sync.Once
	specDoc  *openapi3.T
	specErr  error
)

// spec loads the contract once for all the drift tests.
func spec(t *testing.T) *openapi3.T {
	t.Helper()
	specOnce.Do(func() { specDoc, specErr = LoadSpec(context.Background()) })
	if specErr != nil {
		t.Fatal(specErr)
	}
	return specDoc
}

func schemaProps(t *testing.T, name string) []string {
	t.Helper()
	doc := spec(t)
	s, ok := doc.Components.Schemas[name]
	if !ok {
		t.Fatalf("no schema %s in the contract", name)
	}
	var out []string
	for p := range s.Value.Properties {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

var pathParam = regexp.MustCompile(`\{(\w+)\}`)

// TestCommandBodiesMatchDomain: the request body of every write is the
// domain command's JSON fields minus those taken from the path. A field
// added to a command without the contract would otherwise be refused as
// unknown; one removed would be accepted and ignored.
func TestCommandBodiesMatchDomain(t *testing.T) {
	doc := spec(t)
	seen := map[string]bool{}
	for _, path := range doc.Paths.InMatchingOrder() {
		for _, op := range doc.Paths.Value(path).Operations() {
			w, ok := writeOps[op.OperationID]
			if !ok {
				continue
			}
			seen[op.OperationID] = true
			var want []string
			for _, n := range jsonNames(reflect.TypeOf(w.cmd)) {
				fromPath := false
				for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
					fromPath = fromPath || (m[1] == n && n != "engagement_id")
				}
				if !fromPath {
					want = append(want, n)
				}
			}
			ref := op.RequestBody.Value.Content.Get("application/json").Schema.Ref
			got := schemaProps(t, strings.TrimPrefix(ref, "#/components/schemas/"))
			if !slices.Equal(got, want) {
				t.Errorf("%s: contract body has %v, command %T has %v", op.OperationID, got, w.cmd, want)
			}
		}
	}
	for id := range writeOps {
		if !seen[id] {
			t.Errorf("write %s is not in the contract", id)
		}
	}
	// The opener's principal is the caller, never the body.
	want := slices.DeleteFunc(jsonNames(reflect.TypeOf(domain.NewStakeholder{})), func(s string) bool { return s == "principal_id" })
	if got := schemaProps(t, "Opener"); !slices.Equal(got, want) {
		t.Errorf("Opener: contract has %v, domain %v", got, want)
	}
}

// TestStateSchemasMatchDomain: every state type the API returns has exactly
// the properties of its schema (response validation in the end-to-end tests
// checks types and required fields, but not fields the contract forgot).
func TestStateSchemasMatchDomain(t *testing.T) {
	for name, v := range map[string]any{
		"Engagement": EngagementOut{}, "PartyInfo": domain.PartyInfo{}, "Perimeter": domain.Perimeter{}, "PartyPerimeter": PerimeterOut{},
		"Discussion": DiscussionOut{}, "Agreement": domain.Agreement{}, "PhaseChange": domain.PhaseChange{},
		"Stakeholder": domain.Stakeholder{}, "Expert": domain.Expert{}, "Workshop": domain.Workshop{},
		"Indicator": domain.Indicator{}, "Measurement": domain.Measurement{}, "Requirement": domain.Requirement{},
		"Clarification": domain.Clarification{}, "Question": domain.Question{}, "Assumption": domain.Assumption{},
		"Change": domain.ChangeRequest{}, "Feature": domain.Feature{}, "Milestone": domain.Milestone{}, "Delay": domain.Delay{},
		"Difficulty": domain.Difficulty{}, "CostImpact": domain.CostImpact{}, "SkillsGap": domain.SkillsGap{},
		"Communication": domain.Information{}, "Acknowledgement": domain.Acknowledgement{}, "Decision": domain.Decision{},
		"Delivery": domain.Delivery{}, "Lesson": domain.Lesson{}, "EventOut": EventOut{}, "WriteResult": WriteResult{},
		"Principal": PrincipalOut{}, "Token": TokenOut{}, "IssuedToken": IssuedTokenOut{}, "Readiness": Readiness{},
		"Risk": domain.Risk{}, "RiskReview": domain.RiskReview{}, "Dependency": domain.Dependency{}, "ChangeImpact": domain.ChangeImpact{},
		"AcceptanceCriterion": domain.AcceptanceCriterion{}, "DeliveryVersion": domain.DeliveryVersion{},
		"Tolerances": domain.Tolerances{}, "Exception": domain.Exception{}, "Cadence": domain.Cadence{},
		"HighlightReport": HighlightReportOut{}, "HighlightContent": domain.HighlightContent{}, "RAGReason": domain.RAGReason{},
		"HighlightMilestone": domain.HLMilestone{}, "HighlightDelay": domain.HLDelay{}, "HighlightRisk": domain.HLRisk{},
		"HighlightIssue": domain.HLIssue{}, "HighlightDependency": domain.HLDep{}, "HighlightChange": domain.HLChange{},
		"HighlightDecision": domain.HLDecision{}, "HighlightException": domain.HLException{}, "HighlightIndicator": domain.HLIndicator{},
	} {
		got, want := schemaProps(t, name), jsonNames(reflect.TypeOf(v))
		if !slices.Equal(got, want) {
			t.Errorf("%s: contract has %v, Go type %T has %v", name, got, v, want)
		}
	}
}

// TestReadModelSchemasMatchProjections: the same for the read models'
// types, which the API returns as the projections package defines them.
func TestReadModelSchemasMatchProjections(t *testing.T) {
	var tr projections.TransparencyReport
	for name, v := range map[string]any{
		"EngagementSummary": projections.EngagementSummary{}, "EngagementCounts": projections.Counts{},
		"PartyView": projections.PartyView{}, "ReadPerimeter": projections.Perimeter{},
		"TimelineEntry": projections.TimelineEntry{}, "TimelinePage": TimelineOut{},
		"RequirementsBoard": projections.RequirementsBoard{}, "BoardRequirement": projections.Requirement{},
		"BoardQuestion": projections.Question{}, "BoardClarification": projections.Clarification{},
		"BoardChange": projections.Change{}, "BoardAssumption": projections.Assumption{}, "BoardFeature": projections.Feature{},
		"DelayRegister": projections.DelayRegister{}, "RegisterMilestone": projections.Milestone{}, "RegisterDelay": projections.Delay{},
		"DecisionLogEntry": projections.Decision{}, "Person": projections.Person{},
		"CommunicationsReport": projections.Communications{}, "ReportInformation": projections.Information{},
		"Recipient": projections.Recipient{}, "IndicatorStatus": projections.Indicator{},
		"IndicatorMeasurement": projections.Measurement{}, "RegisterStakeholder": projections.Stakeholder{},
		"Knowledge": projections.Knowledge{}, "KnowledgeItem": projections.KnowledgeItem{},
		"TransparencyReport": tr, "TransparencyDelays": tr.Delays, "TransparencyAssumptions": tr.OpenAssumptions,
		"TransparencyDecisions": tr.Decisions, "TransparencyFeatures": tr.Features, "TransparencyIndicators": tr.Indicators,
		"AgedItem": projections.AgedItem{}, "AgedRef": projections.AgedRef{}, "PendingInformation": projections.PendingInformation{},
		"UnbriefedStakeholder": projections.UnbriefedStakeholder{}, "ProjectionLag": projections.Lag{},
		"UninformedStakeholder": projections.UninformedStakeholder{}, "LateRecord": projections.LateRecord{},
		"TransparencyLateRecording": tr.LateRecording,
		"ProjectionStatus":          projections.ProjectionStatus{}, "FeedEvent": projections.FeedEvent{},
		"EngagementSummaryList": EngagementSummaryList{}, "DecisionLogPage": Page[projections.Decision]{},
		"IndicatorStatusPage": Page[projections.Indicator]{}, "RegisterStakeholderPage": Page[projections.Stakeholder]{},
		"Verification": VerificationOut{}, "ChainBreak": ChainBreakOut{},
		"RAIDRegister": projections.RAIDRegister{}, "RAIDRisk": projections.RAIDRisk{}, "RAIDIssue": projections.RAIDIssue{},
		"RAIDDependency": projections.RAIDDependency{}, "TransparencyRisks": tr.Risks, "OpenRisk": projections.OpenRisk{},
		"TransparencyDependencies": tr.Dependencies, "LateDependency": projections.LateDependency{},
		"TransparencyDifficulties": tr.Difficulties, "OpenDifficulty": projections.OpenDifficulty{},
		"TransparencyExceptions": tr.Exceptions, "OpenException": projections.OpenException{},
		"TransparencyCadence": tr.Cadence, "OverdueCadence": projections.OverdueCadence{},
	} {
		got, want := schemaProps(t, name), jsonNames(reflect.TypeOf(v))
		if !slices.Equal(got, want) {
			t.Errorf("%s: contract has %v, Go type %T has %v", name, got, v, want)
		}
		// A field the Go type always writes is required by the contract, so
		// that response validation catches it missing.
		if req := requiredNames(reflect.TypeOf(v)); !slices.Equal(sorted(spec(t).Components.Schemas[name].Value.Required), req) {
			t.Errorf("%s: contract requires %v, Go type %T always writes %v", name, sorted(spec(t).Components.Schemas[name].Value.Required), v, req)
		}
	}
}

// requiredNames lists the JSON fields of a struct type without omitempty.
func requiredNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			out = append(out, requiredNames(f.Type)...)
			continue
		}
		if name != "" && name != "-" && f.IsExported() && !strings.Contains(opts, "omitempty") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func sorted(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}

// TestEventTypesMatchDomain: the event type filter of the log lists exactly
// the domain's event types.
func TestEventTypesMatchDomain(t *testing.T) {
	doc := spec(t)
	var got []string
	for _, v := range doc.Components.Schemas["EventType"].Value.Enum {
		got = append(got, v.(string))
	}
	want := domain.EventTypes()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("contract lists %v, domain %v", got, want)
	}
}

// TestProblemCodesMatchDomain: every write operation lists, under
// x-problem-codes and by status, exactly the codes of the domain rules that
// can refuse its command (domain.Refusals, which a property test of the
// domain keeps true), each under the status its kind maps to; no other
// operation lists any. A rule added to the domain and not to the contract,
// or the reverse, fails here.
func TestProblemCodesMatchDomain(t *testing.T) {
	status := map[domain.Kind]string{domain.KindInvalid: "422", domain.KindNotFound: "404", domain.KindConflict: "409", domain.KindForbidden: "403"}
	doc := spec(t)
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			raw, has := op.Extensions["x-problem-codes"]
			w, isWrite := writeOps[op.OperationID]
			if !isWrite {
				if has {
					t.Errorf("%s %s (%s) lists problem codes but writes nothing", method, path, op.OperationID)
				}
				continue
			}
			if !has {
				t.Errorf("%s: no x-problem-codes", op.OperationID)
				continue
			}
			b, err := json.Marshal(raw)
			if err != nil {
				t.Fatal(err)
			}
			var byStatus map[string][]string
			if err := json.Unmarshal(b, &byStatus); err != nil {
				t.Errorf("%s: x-problem-codes is not a map of status to codes: %s", op.OperationID, b)
				continue
			}
			var got []string
			for st, codes := range byStatus {
				for _, c := range codes {
					if want := status[domain.KindOfCode(c)]; want != st {
						t.Errorf("%s: %s listed under %s, its status is %q", op.OperationID, c, st, want)
					}
					got = append(got, c)
				}
				if _, ok := op.Responses.Map()[st]; !ok {
					t.Errorf("%s: codes under %s, a status it does not declare", op.OperationID, st)
				}
			}
			slices.Sort(got)
			if want := domain.Refusals(w.cmd); !slices.Equal(got, want) {
				t.Errorf("%s: the contract lists %v\nthe domain refuses %T with %v", op.OperationID, got, w.cmd, want)
			}
		}
	}
}
