package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/candor-ledger/candor/api"
)

// TestBodiesAreIJSON: a body that is JSON but not I-JSON (RFC 7493) is
// refused, 400 malformed_json naming the place (RFC 6901), and nothing is
// stored; encoding/json alone would store U+FFFD for the bad text and the
// last of duplicate keys.
func TestBodiesAreIJSON(t *testing.T) {
	ts := startServer(t, testConfig())
	clientID, _ := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, _ := ts.scopedEngagement(supplier, clientID, "I-JSON")
	eng := "/v1/engagements/" + id

	tests := []struct {
		name, path, body string
		pointer, detail  string
	}{
		{"lone high surrogate", eng + "/requirements", `{"title":"a\ud800b"}`, "/title", "lone surrogate escape"},
		{"lone low surrogate", eng + "/requirements", `{"title":"\udc00"}`, "/title", "lone surrogate escape"},
		{"reversed pair", eng + "/requirements", `{"title":"\ude00\ud83d"}`, "/title", "lone surrogate escape"},
		{"raw invalid UTF-8", eng + "/requirements", "{\"title\":\"bad \xff\xfe\xc3( bytes\"}", "/title", "invalid UTF-8"},
		{"invalid UTF-8 in an array", eng + "/communications", "{\"subject\":\"s\",\"channel\":\"call\",\"recipients\":[\"x\",\"\xc3\"]}", "/recipients/1", "invalid UTF-8"},
		{"duplicate key", eng + "/requirements", `{"title":"first","title":"second"}`, "/title", "duplicate key"},
		{"duplicate key, nested", "/v1/engagements", `{"title":"t","client_name":"c","supplier_name":"s","opener":{"party":"supplier","name":"a","name":"b"}}`, "/opener/name", "duplicate key"},
		{"duplicate key, escaped in the pointer", eng + "/requirements", `{"title":"t","a/b~c":1,"a/b~c":2}`, "/a~1b~0c", "duplicate key"},
		{"duplicate key, same after unescaping", eng + "/requirements", `{"title":"t","ti\u0074le":"u"}`, "/title", "duplicate key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.get(supplier, eng).Header.Get("ETag")
			r := ts.do(req{method: http.MethodPost, path: tt.path, token: supplier, body: tt.body})
			if r.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
			}
			p := r.problem(t)
			if p.Code != api.CodeMalformedJSON || !strings.Contains(p.Detail, "I-JSON") {
				t.Errorf("problem %+v", p)
			}
			if len(p.Errors) != 1 || p.Errors[0].Pointer != tt.pointer || p.Errors[0].Detail != tt.detail {
				t.Errorf("errors %+v, want pointer %q: %s", p.Errors, tt.pointer, tt.detail)
			}
			if after := ts.get(supplier, eng).Header.Get("ETag"); after != before {
				t.Errorf("ETag %s -> %s: something was stored", before, after)
			}
		})
	}

	// A surrogate pair is one character, stored as such.
	var w writeResult
	must(t, ts.post(supplier, eng+"/requirements", []byte(`{"title":"smile \ud83d\ude00"}`)), http.StatusCreated).json(t, &w)
	if got := w.Events[0].Data["title"]; got != "smile 😀" {
		t.Errorf("title %q", got)
	}
}
