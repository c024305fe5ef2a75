package projections

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

// sameAsLedger checks that decodeRecorded gives what ledger.Decode gives,
// error included.
func sameAsLedger(t *testing.T, se eventstore.RecordedEvent) {
	t.Helper()
	want, werr := ledger.Decode(se)
	got, gerr := decodeRecorded(se)
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("metadata %s: error %v, ledger.Decode says %v", se.Metadata, gerr, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("metadata %s:\n got %+v\nwant %+v", se.Metadata, got, want)
	}
}

func TestDecodeRecordedMatchesLedger(t *testing.T) {
	ev := &domain.RequirementRaised{Header: domain.Header{EngagementID: "eng-1", ActorID: "s-bob", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		RequirementID: "req-1", Title: "Reports"}
	typ, ver, data, err := domain.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	full, err := json.Marshal(ledger.Metadata{Actor: "s-bob", PrincipalID: "p-1", CorrelationID: "corr", CausationID: "cause",
		IdempotencyKey: "key", Fingerprint: "fp", SchemaVersion: ver, PrevHash: "00ff", Hash: "ff00"})
	if err != nil {
		t.Fatal(err)
	}
	// What the ledger writes, with every field set, must take the fast path.
	var m ledger.Metadata
	if !decodeMetadata(full, &m) {
		t.Fatalf("%s: not read by the fast path", full)
	}
	base := string(full[1 : len(full)-1])
	metas := []string{
		string(full),
		"",
		`{}`,
		` { "schema_version" : 1 , "hash" : "h" } `,
		`{"schema_version":1,"hash":"h","hash":"second"}`,
		`{"schema_version":1,"hash":null}`,
		`{"schema_version":1,"hash":"esc\u0061ped"}`,
		`{"schema_version":1,"actor":"Zoë"}`,
		"{\"schema_version\":1,\"actor\":\"bad \xff\"}",
		`{"schema_version":1,"Actor":"cased"}`,
		`{"schema_version":1,"extra":{"a":[1,2]}}`,
		`{"schema_version":1.0}`,
		`{"schema_version":1e0}`,
		`{"schema_version":01}`,
		`{"schema_version":-1}`,
		`{"schema_version":0}`,
		`{"schema_version":99}`,
		`{"schema_version":"1"}`,
		`{"schema_version":99999999999999999999}`,
		`{"schema_version":1,}`,
		`{"schema_version":1}x`,
		`{"schema_version":1`,
		`{` + base + `,"correlation_id":"again"}`,
		`not json`,
	}
	for _, meta := range metas {
		se := eventstore.RecordedEvent{Stream: ledger.StreamName("eng-1"), Revision: 3, Position: 42, ID: uuid.New(),
			Type: typ, Data: data, Metadata: []byte(meta), RecordedAt: time.Now()}
		sameAsLedger(t, se)
	}
	// Bad data, with good metadata.
	for _, bad := range []string{`{"requirement_id":1}`, `[]`, ``} {
		se := eventstore.RecordedEvent{Stream: ledger.StreamName("eng-1"), Type: typ, Data: []byte(bad), Metadata: full}
		sameAsLedger(t, se)
	}
	se := eventstore.RecordedEvent{Stream: ledger.StreamName("eng-1"), Type: "no.such", Data: data, Metadata: full}
	sameAsLedger(t, se)
}

// Every event the benchmark generator writes decodes as the ledger decodes
// it.
func TestDecodeRecordedOnGeneratedEvents(t *testing.T) {
	st := newFakeStore()
	generate(t, st, 2000, 20, 100)
	evs, err := st.ReadAll(t.Context(), eventstore.Start, 5000)
	if err != nil {
		t.Fatal(err)
	}
	for _, se := range evs {
		var m ledger.Metadata
		if !decodeMetadata(se.Metadata, &m) {
			t.Fatalf("%s: not read by the fast path", se.Metadata)
		}
		sameAsLedger(t, se)
	}
	if len(evs) == 0 || !strings.HasPrefix(evs[0].Stream, ledger.StreamPrefix) {
		t.Fatal("no engagement event generated")
	}
}

func FuzzDecodeMetadata(f *testing.F) {
	f.Add([]byte(`{"actor":"a","correlation_id":"c","schema_version":1,"prev_hash":"p","hash":"h"}`))
	f.Add([]byte(`{"schema_version":2}`))
	ev := &domain.PhaseAdvanced{Header: domain.Header{EngagementID: "e", ActorID: "a"}, From: domain.PhaseEmergence, To: domain.PhaseScoping}
	typ, _, data, err := domain.Marshal(ev)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, meta []byte) {
		sameAsLedger(t, eventstore.RecordedEvent{Stream: ledger.StreamName("e"), Type: typ, Data: data, Metadata: meta})
	})
}
