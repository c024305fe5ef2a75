package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/ledger"
)

// post sends the write load's request (as wrk's script does) and returns
// the status and body.
func post(t *testing.T, base, engagement, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/v1/engagements/"+engagement+"/experts", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer cnd_whatever")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// badRequests are refused by every peer, which then keeps nothing.
var badRequests = []struct{ name, engagement, body string }{
	{"unknown field", "", `{"name":"A","nope":1}`},
	{"no name", "", `{"expertise":"x"}`},
	{"not JSON", "", `{"name":`},
	{"engagement not a UUID", "not-a-uuid", `{"name":"A"}`},
}

func TestStorePeerAppendsOneEventPerRequest(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := httptest.NewServer(storeHandler(store))
	defer srv.Close()
	eng := uuid.NewString()

	for _, bad := range badRequests {
		e := eng
		if bad.engagement != "" {
			e = bad.engagement
		}
		if code, body := post(t, srv.URL, e, bad.body); code < 400 || code >= 500 {
			t.Errorf("%s: %d %s, want a 4xx", bad.name, code, body)
		}
	}
	if head, err := store.Head(ctx); err != nil || head != eventstore.Start {
		t.Fatalf("refused requests stored something: head %v, %v", head, err)
	}

	for _, name := range []string{"Expert 1", "Expert 2"} {
		if code, body := post(t, srv.URL, eng, `{"name":"`+name+`","expertise":"load testing"}`); code != http.StatusCreated {
			t.Fatalf("%d %s", code, body)
		}
	}
	evs, err := store.ReadStream(ctx, ledger.StreamName(eng), eventstore.ReadStreamOptions{})
	if err != nil || len(evs) != 2 {
		t.Fatalf("stream: %d events, %v; want 2", len(evs), err)
	}
	var got expertInvited
	if err := json.Unmarshal(evs[1].Data, &got); err != nil {
		t.Fatal(err)
	}
	if evs[1].Type != "expert.invited" || got.Name != "Expert 2" || got.Expertise != "load testing" || got.EngagementID.String() != eng {
		t.Errorf("event %s %+v", evs[1].Type, got)
	}
}

func TestBarePeerStoresNothingButAnswersLikeTheOthers(t *testing.T) {
	srv := httptest.NewServer(bareHandler())
	defer srv.Close()
	if code, body := post(t, srv.URL, uuid.NewString(), `{"name":"A","expertise":"x"}`); code != http.StatusCreated {
		t.Errorf("%d %s", code, body)
	}
	if code, _ := post(t, srv.URL, uuid.NewString(), `{"name":"A","nope":1}`); code != http.StatusUnprocessableEntity {
		t.Errorf("unknown field: %d", code)
	}
}
