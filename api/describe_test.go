package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestContractDescribesEverything: every operation of the contract has a
// description, and so has every property of every response body, through
// the schemas they reference ($ref, array items, allOf/oneOf/anyOf, maps). A
// front-end developer reads the contract, not the Go code. A property that is
// only a $ref is described by the text beside its $ref (what the field
// holds), not by the referenced schema's (what the type is).
func TestContractDescribesEverything(t *testing.T) {
	doc := spec(t)
	var gaps []string
	seen := map[*openapi3.Schema]bool{}
	for _, path := range doc.Paths.InMatchingOrder() {
		ops := doc.Paths.Value(path).Operations()
		for _, method := range sortedKeys(ops) {
			op := ops[method]
			name := fmt.Sprintf("%s %s (%s)", method, path, op.OperationID)
			if strings.TrimSpace(op.Description) == "" {
				gaps = append(gaps, name+": no description")
			}
			for _, status := range sortedKeys(op.Responses.Map()) {
				resp := op.Responses.Value(status)
				if resp == nil || resp.Value == nil {
					continue
				}
				for _, mt := range sortedKeys(resp.Value.Content) {
					s := resp.Value.Content[mt].Schema
					where := "response schema " + refName(s)
					if s != nil && s.Ref == "" {
						where = fmt.Sprintf("%s %s response %s %s", method, path, status, mt)
					}
					undescribedProps(s, where, seen, &gaps)
				}
			}
		}
	}
	if len(gaps) > 0 {
		t.Errorf("%d things of the contract have no description (a front-end developer reads the contract, not the Go code):\n%s",
			len(gaps), strings.Join(gaps, "\n"))
	}
}

// undescribedProps appends to gaps every property of s, and of the schemas it
// is made of, that has no description. Each schema is walked once, under the
// name of the component it is, or of the place it is written in.
func undescribedProps(s *openapi3.SchemaRef, where string, seen map[*openapi3.Schema]bool, gaps *[]string) {
	if s == nil || s.Value == nil || seen[s.Value] {
		return
	}
	seen[s.Value] = true
	v := s.Value
	for _, name := range sortedKeys(v.Properties) {
		p := v.Properties[name]
		if !described(p) {
			*gaps = append(*gaps, fmt.Sprintf("%s: property %s has no description", where, name))
		}
		undescribedProps(p, childPlace(p, where+"."+name), seen, gaps)
	}
	if v.Items != nil {
		undescribedProps(v.Items, childPlace(v.Items, where+"[]"), seen, gaps)
	}
	if ap := v.AdditionalProperties.Schema; ap != nil {
		undescribedProps(ap, childPlace(ap, where+"{}"), seen, gaps)
	}
	for kind, list := range map[string]openapi3.SchemaRefs{"allOf": v.AllOf, "oneOf": v.OneOf, "anyOf": v.AnyOf} {
		for i, c := range list {
			undescribedProps(c, childPlace(c, fmt.Sprintf("%s.%s[%d]", where, kind, i)), seen, gaps)
		}
	}
}

// described reports whether a property says what it holds: its own
// description, or for a bare $ref the description written beside it (kin-
// openapi keeps it, and writes it back out, though OpenAPI 3.0 gives it no
// meaning), or for an allOf wrapper the wrapper's.
func described(p *openapi3.SchemaRef) bool {
	if p == nil {
		return false
	}
	if p.Ref == "" {
		return p.Value != nil && strings.TrimSpace(p.Value.Description) != ""
	}
	b, err := json.Marshal(p)
	if err != nil {
		return false
	}
	var beside struct {
		Description string `json:"description"`
	}
	return json.Unmarshal(b, &beside) == nil && strings.TrimSpace(beside.Description) != ""
}

// childPlace names a schema by its component when it is one.
func childPlace(s *openapi3.SchemaRef, inline string) string {
	if s != nil && s.Ref != "" {
		return "schema " + refName(s)
	}
	return inline
}

func refName(s *openapi3.SchemaRef) string {
	if s == nil {
		return "(none)"
	}
	return strings.TrimPrefix(s.Ref, "#/components/schemas/")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
