package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// TestHighlightReportOverHTTP: a report built from the engagement's state,
// frozen with its SHA-256, sent to the client in the same write and
// acknowledged; served as JSON (the frozen bytes) and as a printable page
// that the page's own CSP allows; later facts never change it.
func TestHighlightReportOverHTTP(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	clientPID, client := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, sam, chloe := ts.scopedEngagement(supplier, clientPID, "Highlights")
	e := "/v1/engagements/" + id
	at := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
	const day = 24 * time.Hour
	from := at(-time.Hour)

	must(t, ts.post(supplier, e+"/milestones", map[string]any{"milestone_id": "ms", "title": "Beta", "due_date": at(30 * day)}), 201)
	must(t, ts.post(supplier, e+"/milestones/ms/delays", map[string]any{"delay_id": "dl", "new_due_date": at(33 * day),
		"reason": `<script>alert("x")</script> & more`}), 201)
	must(t, ts.post(supplier, e+"/risks", map[string]any{"risk_id": "rk", "title": "Staff leave", "probability": 4, "impact": 4,
		"owner_id": sam, "response": "Pair"}), 201)

	body := func(mod func(map[string]any)) map[string]any {
		b := map[string]any{"report_id": "hr", "from": from, "to": time.Now().UTC().Format(time.RFC3339Nano), "channel": "email", "recipients": []string{chloe}}
		if mod != nil {
			mod(b)
		}
		return b
	}
	for _, tc := range []struct {
		name, token string
		body        map[string]any
		status      int
		code        string
	}{
		{"from the client", client, body(nil), 403, "actor_wrong_party"},
		{"a period not over", supplier, body(func(b map[string]any) { b["to"] = at(day) }), 422, "date_in_future"},
		{"an empty period", supplier, body(func(b map[string]any) { b["from"] = b["to"] }), 422, "invalid_period"},
		{"no client recipient", supplier, body(func(b map[string]any) { b["recipients"] = []string{sam} }), 422, "no_client_recipient"},
	} {
		r := ts.post(tc.token, e+"/highlight-reports", tc.body)
		if p := r.problem(t); r.Status != tc.status || p.Code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.Status, r.Body, tc.status, tc.code)
		}
	}

	r := must(t, ts.post(supplier, e+"/highlight-reports", body(nil)), 201)
	if loc := r.Header.Get("Location"); loc != e+"/highlight-reports/hr" {
		t.Errorf("Location %q", loc)
	}
	var res struct {
		Events []struct {
			Type string
			Data struct {
				SHA256        string   `json:"sha256"`
				Content       string   `json:"content"`
				InformationID string   `json:"information_id"`
				About         []string `json:"about"`
			}
		}
	}
	r.json(t, &res)
	if len(res.Events) != 2 || res.Events[0].Type != "highlight_report.issued" || res.Events[1].Type != "client.informed" ||
		res.Events[1].Data.InformationID != "information-hr" || len(res.Events[1].Data.About) != 1 || res.Events[1].Data.About[0] != "hr" {
		t.Fatalf("events: %s", r.Body)
	}
	frozen := res.Events[0].Data.Content
	if sum := sha256.Sum256([]byte(frozen)); res.Events[0].Data.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("the event's sha256 is not its content's")
	}

	// As JSON: content is the frozen bytes.
	get := func() (raw json.RawMessage, sha, health string) {
		var out struct {
			SHA256, Health string
			Content        json.RawMessage
		}
		must(t, ts.get(client, e+"/highlight-reports/hr"), http.StatusOK).json(t, &out)
		return out.Content, out.SHA256, out.Health
	}
	content, sha, health := get()
	if string(content) != frozen {
		t.Errorf("served content differs from the frozen one:\n%s\n%s", content, frozen)
	}
	if sum := sha256.Sum256(content); sha != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 %s is not the served content's", sha)
	}
	var c struct {
		Health  string
		Reasons []struct{ Rule, ID string }
		Delays  []struct{ ID string }
		Risks   []struct{ ID string }
	}
	if err := json.Unmarshal(content, &c); err != nil {
		t.Fatal(err)
	}
	if health != "amber" || c.Health != "amber" || len(c.Reasons) != 2 || c.Reasons[0].Rule != "delay" || c.Reasons[1].Rule != "high_risk" ||
		len(c.Delays) != 1 || len(c.Risks) != 1 {
		t.Errorf("content %s", content)
	}

	// The client lead acknowledges it as any information.
	must(t, ts.post(client, e+"/communications/information-hr/acknowledgements", map[string]any{}), 200)
	if r := ts.post(client, e+"/communications/information-hr/acknowledgements", map[string]any{}); r.Status != 409 {
		t.Errorf("acknowledged twice: %d", r.Status)
	}

	// Later facts change nothing of it.
	must(t, ts.post(supplier, e+"/milestones/ms/delays", map[string]any{"delay_id": "dl2", "new_due_date": at(40 * day), "reason": "more"}), 201)
	if again, _, _ := get(); !bytes.Equal(again, content) {
		t.Errorf("the report changed")
	}

	// As a printable page: escaped, no script, no inline style attribute,
	// and its one <style> allowed by the page's CSP, which still forbids
	// everything else.
	p := must(t, ts.do(req{method: http.MethodGet, path: e + "/highlight-reports/hr", token: client, header: map[string]string{"Accept": "text/html"}}), 200)
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q", ct)
	}
	csp := p.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'none';") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	var styles []string
	z := html.NewTokenizer(bytes.NewReader(p.Body))
	inStyle := false
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			switch tok.Data {
			case "script", "link", "img", "iframe", "object", "embed", "form":
				t.Errorf("the page has a <%s>", tok.Data)
			case "style":
				inStyle = true
			}
			for _, a := range tok.Attr {
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") || a.Key == "src" || a.Key == "href" {
					t.Errorf("the page has a %s attribute on <%s>", a.Key, tok.Data)
				}
			}
		case html.TextToken:
			if inStyle {
				styles = append(styles, tok.Data)
			}
		case html.EndTagToken:
			inStyle = false
		}
	}
	if len(styles) != 1 {
		t.Fatalf("%d <style> elements", len(styles))
	}
	sum := sha256.Sum256([]byte(styles[0]))
	if want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, want) {
		t.Errorf("CSP %q does not allow the page's style (%s)", csp, want)
	}
	if page := string(p.Body); !strings.Contains(page, "Health: amber") || !strings.Contains(page, "&lt;script&gt;") || !strings.Contains(page, sha) {
		t.Errorf("page:\n%s", page)
	}

	if r := ts.get(client, e+"/highlight-reports/nope"); r.Status != 404 {
		t.Errorf("an unknown report: %d", r.Status)
	}
}
