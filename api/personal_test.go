package api_test

import (
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/candor-ledger/candor/keystore"
)

const (
	revealName  = "Ondine Vasseur-Revealed"
	revealEmail = "ondine.vasseur@revealed.example"
)

// storedKeys returns every key keys.db holds, as the encodings a leak
// would most likely take (hex, base64 std and url).
func storedKeys(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT key FROM keys WHERE key IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k []byte
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out = append(out, hex.EncodeToString(k), base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("keys.db holds no key")
	}
	return out
}

// The reveal middleware opens the envelopes of every response: the state
// (folded from the store), the read models and the write's own response
// show the name; the logs (at debug level) and /metrics show neither the
// name, nor the address, nor any key. The export bundle keeps the
// envelopes as stored.
func TestRevealOpensResponsesOnly(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	_, token := ts.newPrincipal("Sam", "member")
	id, _ := ts.openEngagement(token, "supplier", "Reveal")
	add := must(t, ts.post(token, "/v1/engagements/"+id+"/stakeholders", map[string]any{"party": "client", "name": revealName, "email": revealEmail}), http.StatusCreated)
	sh := add.Header.Get("Location")
	ts.waitProjections()

	var seen strings.Builder
	seen.Write(add.Body)
	for _, p := range []string{sh, "/v1/engagements/" + id + "/stakeholders", "/v1/engagements/" + id + "/events",
		"/v1/engagements/" + id + "/timeline", "/v1/engagements/" + id + "/stakeholder-register"} {
		r := must(t, ts.get(token, p), http.StatusOK)
		if !strings.Contains(string(r.Body), revealName) || strings.Contains(string(r.Body), "enc:v") {
			t.Errorf("GET %s does not show the name opened: %s", p, truncate(r.Body))
		}
		seen.Write(r.Body)
	}
	bundle := must(t, ts.get(token, "/v1/engagements/"+id+"/export"), http.StatusOK)
	if strings.Contains(string(bundle.Body), revealName) || !strings.Contains(string(bundle.Body), "enc:v2:") {
		t.Errorf("the export bundle is not as stored: %s", truncate(bundle.Body))
	}
	metrics := must(t, ts.get("", "/metrics"), http.StatusOK)

	keys := storedKeys(t, filepath.Join(ts.dir, keystore.File))
	logs := ts.logs.String()
	if !strings.Contains(logs, "/stakeholders") {
		t.Fatalf("the logs do not show the requests (nothing to check): %s", logs)
	}
	for what, text := range map[string]string{"logs": logs, "metrics": string(metrics.Body)} {
		for _, s := range append([]string{revealName, revealEmail, "Vasseur"}, keys...) {
			if strings.Contains(text, s) {
				t.Errorf("the %s hold %q", what, s)
			}
		}
	}
	for _, k := range keys {
		if strings.Contains(seen.String(), k) || strings.Contains(string(bundle.Body), k) {
			t.Errorf("a response holds a key")
		}
	}
}

// A lost key store is a failure, said as one: every response that holds
// an envelope answers 503 key_store_unavailable (never ciphertext, never
// "(erased)"); what holds none is served as before, and so is a write
// about a new person (a new key). The key store's loss is read as such at
// the next start, when keys.db is created anew, empty.
func TestRevealKeyStoreLost(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	_, token := ts.newPrincipal("Sam", "member")
	id, _ := ts.openEngagement(token, "supplier", "Lost keys")
	must(t, ts.post(token, "/v1/engagements/"+id+"/stakeholders", map[string]any{"party": "client", "name": revealName}), http.StatusCreated)
	must(t, ts.post(token, "/v1/engagements/"+id+"/lessons", map[string]any{"lesson_id": "l-1", "text": "Keep keys.db apart"}), http.StatusCreated)
	ts.waitProjections()

	ts.stop()
	if err := os.Remove(filepath.Join(ts.dir, keystore.File)); err != nil {
		t.Fatal(err)
	}
	ts.start()
	ts.waitProjections()
	for _, p := range []string{"/v1/engagements/" + id + "/stakeholders", "/v1/engagements/" + id + "/events",
		"/v1/engagements/" + id + "/timeline"} {
		r := ts.get(token, p)
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(string(r.Body), `"code":"key_store_unavailable"`) || r.Header.Get("ETag") != "" {
			t.Errorf("GET %s with keys.db lost: %d %v %s, want 503 key_store_unavailable", p, r.Status, r.Header, truncate(r.Body))
		}
	}
	must(t, ts.get(token, "/v1/engagements/"+id+"/lessons"), http.StatusOK)
	must(t, ts.get(token, "/v1/engagements/"+id), http.StatusOK)
	must(t, ts.post(token, "/v1/engagements/"+id+"/stakeholders", map[string]any{"party": "client", "name": "Newcomer"}), http.StatusCreated)
	if strings.Contains(ts.logs.String(), revealName) {
		t.Error("the logs hold the name")
	}
}

// An erasure shows in the very next response, whatever served it: the
// response caches and the read models hold envelopes.
func TestRevealErasureShowsAtOnce(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	_, token := ts.newPrincipal("Sam", "member")
	id, _ := ts.openEngagement(token, "supplier", "At once")
	sh := must(t, ts.post(token, "/v1/engagements/"+id+"/stakeholders", map[string]any{"party": "client", "name": revealName}), http.StatusCreated).Header.Get("Location")
	ts.waitProjections()
	paths := []string{sh, "/v1/engagements/" + id + "/stakeholders", "/v1/engagements/" + id + "/stakeholder-register", "/v1/engagements/" + id + "/timeline"}
	for _, p := range paths { // twice: the second from the response caches
		must(t, ts.get(token, p), http.StatusOK)
		if r := must(t, ts.get(token, p), http.StatusOK); !strings.Contains(string(r.Body), revealName) {
			t.Fatalf("GET %s: %s", p, truncate(r.Body))
		}
	}
	subject := sh[strings.LastIndexByte(sh, '/')+1:] + "@" + id
	must(t, ts.post(ts.admin, "/v1/subjects/"+subject+"/erasure", map[string]any{"reason": "Art. 17"}), http.StatusCreated)
	for _, p := range paths {
		r := must(t, ts.get(token, p), http.StatusOK)
		if strings.Contains(string(r.Body), revealName) || !strings.Contains(string(r.Body), "(erased)") {
			t.Errorf("GET %s right after the erasure: %s", p, truncate(r.Body))
		}
	}
	// Access: the admin reads what is held, erased; the erasure is not repeated.
	if r := must(t, ts.get(ts.admin, "/v1/subjects/"+subject), http.StatusOK); !strings.Contains(string(r.Body), `"erased":true`) {
		t.Errorf("getSubject after the erasure: %s", truncate(r.Body))
	}
	must(t, ts.post(ts.admin, "/v1/subjects/"+subject+"/erasure", map[string]any{"reason": "again"}), http.StatusOK)
}
