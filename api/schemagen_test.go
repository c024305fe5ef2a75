package api_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/candor-ledger/candor/api"
)

// formatCodes are the codes of refusals for the form of a value, which the
// contract must state: a body the contract accepts never gets one. The
// other refusals (403, 404, 409, and 422 for a rule of the engagement's
// state or of the clock: a signatory on the wrong side, a time in the
// future...) are about the engagement, not the body.
var formatCodes = []string{
	api.CodeValidationFailed, api.CodeMalformedJSON, api.CodeInvalidParameter,
	"unknown_command", "actor_required", "field_required", "invalid_id", "invalid_party", "invalid_phase",
	"invalid_channel", "invalid_direction", "invalid_decision_kind", "invalid_email", "invalid_amount",
	"invalid_currency", "invalid_number", "invalid_options", "duplicate_reference",
}

// crossField are the rules between fields of one body that a JSON schema
// cannot say; the contract says them in the field's description.
var crossField = map[string]string{
	"makeDecision invalid_options /chosen": "One of `options`",
}

// TestContractStatesEveryFormatRule generates, for every write operation,
// bodies that the contract accepts (from its schema: types, enums,
// lengths, patterns, formats, bounds, items) and sends them to the fixture
// of FuzzWriteRequest: none may be refused for its form. A refusal for the
// form that the contract does not state is what a client generating its
// requests from openapi.yaml would meet.
func TestContractStatesEveryFormatRule(t *testing.T) {
	fx := newFuzzFixture(t)
	doc := loadSpec(t)
	n := 120
	if testing.Short() {
		n = 25
	}
	type finding struct {
		body []byte
		res  fuzzResult
	}
	findings := map[string]finding{} // "op code pointer" -> first example
	statuses := map[int]int{}
	for i, op := range fx.ops {
		schema := bodySchema(t, doc, op.id)
		g := &bodyGen{r: rand.New(rand.NewPCG(uint64(i), 18)), doc: doc}
		valid, tried := 0, 0
		for valid < n {
			if tried++; tried > 20*n {
				t.Fatalf("%s: only %d of %d generated bodies match the schema: the generator does not follow it", op.id, valid, tried)
			}
			body := g.value(schema, 0)
			b, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			if !g.accepts(schema, b) {
				continue
			}
			valid++
			res := fx.send(op, "application/json", b)
			fx.check(t, op, res)
			statuses[res.status]++
			if res.status/100 == 2 {
				continue
			}
			var p struct {
				Code   string
				Errors []struct{ Pointer string }
			}
			if err := json.Unmarshal(res.body, &p); err != nil {
				t.Fatalf("%s: %v", op.id, err)
			}
			if res.status == 400 || res.status == 413 || res.status == 415 {
				p.Code = fmt.Sprintf("%s(%d)", p.Code, res.status)
			} else if !slices.Contains(formatCodes, p.Code) {
				continue
			}
			ptr := ""
			if len(p.Errors) > 0 {
				ptr = p.Errors[0].Pointer
			}
			key := op.id + " " + p.Code + " " + ptr
			if _, ok := crossField[key]; ok {
				continue
			}
			if _, seen := findings[key]; !seen {
				findings[key] = finding{b, res}
			}
		}
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range findings {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		f := findings[k]
		t.Errorf("%s: a body the contract accepts is refused for its form:\n  %s\n  -> %d %s", k, f.body, f.res.status, fuzzTruncate(f.res.body))
	}
	t.Logf("%d bodies to each of %d operations: statuses %v", n, len(fx.ops), statuses)

	// The cross-field rules are said where a client reads them.
	for key, phrase := range crossField {
		f := strings.Fields(key)
		field := strings.TrimPrefix(f[2], "/")
		ps := bodySchema(t, doc, f[0]).Value.Properties[field]
		if ps == nil || !strings.Contains(ps.Value.Description, phrase) {
			t.Errorf("%s: the description of %s does not say %q", f[0], field, phrase)
		}
	}
}

func bodySchema(t *testing.T, doc *openapi3.T, opID string) *openapi3.SchemaRef {
	t.Helper()
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID == opID && op.RequestBody != nil {
				return op.RequestBody.Value.Content.Get("application/json").Schema
			}
		}
	}
	t.Fatalf("no body schema for %s", opID)
	return nil
}

// bodyGen generates JSON values from a schema, at random: mostly values it
// accepts, which accepts then confirms with the contract's own validation.
type bodyGen struct {
	r   *rand.Rand
	doc *openapi3.T
}

// knownIDs are ids of the fixture's engagements (see fuzzSteps), so that
// references are found often enough for the checks after them to run.
var knownIDs = []string{"sh-supplier", "sh-client", "sh-late", "ex-1", "info-1", "ws-1", "ind-1", "req-1",
	"q-1", "as-1", "ch-1", "ft-1", "ms-1", "df-1", "ag-1", "dl-1"}

// accepts reports whether the contract's schema validation accepts body.
func (g *bodyGen) accepts(s *openapi3.SchemaRef, body []byte) bool {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return false
	}
	return s.Value.VisitJSON(v, append(g.doc.GetSchemaValidationOptions(), openapi3.VisitAsRequest())...) == nil
}

func (g *bodyGen) value(ref *openapi3.SchemaRef, depth int) any {
	s := ref.Value
	if depth > 8 || s == nil {
		return nil
	}
	for _, list := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		if len(list) > 0 {
			return g.value(list[g.r.IntN(len(list))], depth+1)
		}
	}
	if len(s.AllOf) > 0 {
		return g.value(s.AllOf[0], depth+1)
	}
	if len(s.Enum) > 0 {
		return s.Enum[g.r.IntN(len(s.Enum))]
	}
	switch {
	case s.Type.Is("object") || len(s.Properties) > 0:
		m := map[string]any{}
		for name, p := range s.Properties {
			if slices.Contains(s.Required, name) || g.r.IntN(2) == 0 {
				m[name] = g.value(p, depth+1)
			}
		}
		return m
	case s.Type.Is("array"):
		lo, hi := int(s.MinItems), int(s.MinItems)+4
		if s.MaxItems != nil {
			hi = min(hi, int(*s.MaxItems))
		}
		out := []any{}
		for n := lo + g.r.IntN(hi-lo+1); len(out) < n; {
			v := g.value(s.Items, depth+1)
			if s.UniqueItems && slices.ContainsFunc(out, func(x any) bool { return fmt.Sprint(x) == fmt.Sprint(v) }) {
				if n--; n < lo {
					break
				}
				continue
			}
			out = append(out, v)
		}
		return out
	case s.Type.Is("integer"):
		n := int64(g.number(s, 1e6))
		switch g.r.IntN(6) {
		case 0: // the same integer, as JSON may also write it
			return json.Number(strconv.FormatInt(n, 10) + ".0")
		case 1:
			if n%1000 == 0 {
				return json.Number(strconv.FormatInt(n/1000, 10) + "e3")
			}
			return json.Number(strconv.FormatInt(n, 10) + "e0")
		}
		return n
	case s.Type.Is("number"):
		v := g.number(s, 1e12)
		if g.r.IntN(2) == 0 && math.Abs(v) < 1e12 {
			v = math.Round(v*100) / 100
		}
		return v
	case s.Type.Is("boolean"):
		return g.r.IntN(2) == 0
	}
	if ref.Ref == "#/components/schemas/Id" && g.r.IntN(3) > 0 {
		return knownIDs[g.r.IntN(len(knownIDs))]
	}
	return g.str(s)
}

// number is within the schema's bounds: mostly moderate, sometimes at a
// bound.
func (g *bodyGen) number(s *openapi3.Schema, scale float64) float64 {
	lo, hi := -scale, scale
	if s.Min != nil {
		lo = *s.Min
	}
	if s.Max != nil {
		hi = *s.Max
	}
	switch g.r.IntN(10) {
	case 0:
		return lo
	case 1:
		return hi
	case 2:
		return 0
	}
	if lo < -scale && hi > scale {
		lo, hi = -scale, scale
	}
	return lo + g.r.Float64()*(hi-lo)
}

func (g *bodyGen) str(s *openapi3.Schema) string {
	for range 50 {
		var v string
		switch {
		case s.Format == "uuid":
			v = uuid.Must(uuid.NewRandomFromReader(randReader{g.r})).String()
		case s.Format == "date-time":
			v = g.dateTime()
		case s.Pattern != "":
			v = g.fromPattern(s.Pattern)
		default:
			v = g.text(int(s.MinLength), 40)
		}
		n := uint64(utf8.RuneCountInString(v))
		if n >= s.MinLength && (s.MaxLength == nil || n <= *s.MaxLength) {
			return v
		}
	}
	return ""
}

// dateTime is an RFC 3339 time of a random year (mostly of the last and
// next few centuries), offset and precision.
func (g *bodyGen) dateTime() string {
	year := 1 + g.r.IntN(9999)
	if g.r.IntN(4) > 0 {
		year = 1900 + g.r.IntN(300)
	}
	t := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g.r.Int64N(int64(365 * 24 * time.Hour))))
	off := (g.r.IntN(24*60*2-1) - (24*60 - 1)) * 60
	if g.r.IntN(2) == 0 {
		off = 0
	}
	layout := time.RFC3339
	if g.r.IntN(2) == 0 {
		layout = time.RFC3339Nano
		t = t.Add(time.Duration(g.r.IntN(1e9)))
	}
	return t.In(time.FixedZone("", off)).Format(layout)
}

// alphabet mixes ASCII, letters of other scripts, emoji, white space that
// is not ASCII, and controls (which JSON escapes).
var alphabet = []rune("abcXYZ019 .,;:-_'\"\\/<>&@#~é ßЖ日本😀\u00A0\u2003\u3000\t\n\u0007\u200b\ufeff")

func (g *bodyGen) text(lo, hi int) string {
	n := lo + g.r.IntN(hi-lo+1)
	var b strings.Builder
	for range n {
		b.WriteRune(alphabet[g.r.IntN(len(alphabet))])
	}
	return b.String()
}

// fromPattern generates a string that the pattern (ECMA-262, as the
// contract writes it) matches: around the match, free text where the
// pattern is not anchored.
func (g *bodyGen) fromPattern(p string) string {
	re, err := syntax.Parse(ecmaEscape.ReplaceAllString(p, `\x{$1}`), syntax.Perl)
	if err != nil {
		panic(fmt.Sprintf("pattern %q: %v", p, err))
	}
	var b strings.Builder
	if !strings.HasPrefix(p, "^") {
		b.WriteString(g.text(0, 5))
	}
	g.regex(re.Simplify(), &b)
	if !strings.HasSuffix(p, "$") {
		b.WriteString(g.text(0, 5))
	}
	return b.String()
}

// patternSample returns like when the pattern matches it, else a string it
// matches, the same on every call.
func patternSample(pattern, like string) string {
	re := regexp.MustCompile(ecmaEscape.ReplaceAllString(pattern, `\x{$1}`))
	g := &bodyGen{r: rand.New(rand.NewPCG(1, 2))}
	for v := like; ; v = g.fromPattern(pattern) {
		if re.MatchString(v) {
			return v
		}
	}
}

// ecmaEscape is an ECMA-262 \uXXXX escape, \x{XXXX} in Go.
var ecmaEscape = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

func (g *bodyGen) regex(re *syntax.Regexp, b *strings.Builder) {
	rep := func(lo, hi int) {
		if hi < 0 {
			hi = lo + 3
		}
		for range lo + g.r.IntN(hi-lo+1) {
			g.regex(re.Sub[0], b)
		}
	}
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		b.WriteRune(g.classRune(re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteRune(alphabet[g.r.IntN(len(alphabet))])
	case syntax.OpCapture:
		g.regex(re.Sub[0], b)
	case syntax.OpStar:
		rep(0, 3)
	case syntax.OpPlus:
		rep(1, 4)
	case syntax.OpQuest:
		rep(0, 1)
	case syntax.OpRepeat:
		rep(re.Min, min(re.Max, re.Min+4))
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			g.regex(sub, b)
		}
	case syntax.OpAlternate:
		g.regex(re.Sub[g.r.IntN(len(re.Sub))], b)
	}
}

// classRune picks a character of a class (pairs of rune ranges), never a
// surrogate (no UTF-8 for it).
func (g *bodyGen) classRune(ranges []rune) rune {
	for {
		i := 2 * g.r.IntN(len(ranges)/2)
		lo, hi := ranges[i], min(ranges[i+1], 0x10FFFF)
		if hi-lo > 0x3000 && g.r.IntN(2) == 0 {
			hi = lo + 0x3000 // mostly near the start of a wide range (ASCII, Latin)
		}
		r := lo + rune(g.r.IntN(int(hi-lo)+1))
		if r < 0xD800 || r > 0xDFFF {
			return r
		}
	}
}

// randReader feeds uuid from the test's seeded generator.
type randReader struct{ r *rand.Rand }

func (rr randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(rr.r.Uint32())
	}
	return len(p), nil
}
