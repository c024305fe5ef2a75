package projections

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/internal/jsonenc"
)

// The hand-written encoders must write exactly what encoding/json writes:
// the stored chunks are read back with encoding/json, and a chunk written
// by either must be the same bytes.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	at := time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC)
	odd := []string{
		"", "plain", `quote " and \ backslash`, "<b>&amp;</b>", "tab\tnew\nline\r", "ctrl \x01\x1f \x7f",
		"accentué ☃ 😀", "bad utf-8 \xff\xfe", "line sep \u2028 \u2029",
	}
	var cases []jsonenc.Appender
	for _, s := range odd {
		cases = append(cases,
			&TimelineEntry{Position: 12, Revision: 3, EventID: s, Type: s, ActorID: s, ActorName: s, ActorParty: domain.Party(s),
				At: at, RecordedAt: at.In(paris), Summary: s, CorrelationID: s},
			&KnowledgeItem{Position: 1 << 40, At: at.Add(time.Nanosecond), Kind: s, Type: s, RefID: s, Subject: s, Channel: domain.Channel(s), By: s, About: []string{s, "x"}},
		)
	}
	cases = append(cases,
		&TimelineEntry{},
		&KnowledgeItem{},
		&KnowledgeItem{About: []string{}},
		&TimelineEntry{At: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), RecordedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -23*3600))},
	)
	for _, c := range cases {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.AppendJSON([]byte("prefix"))
		if err != nil {
			t.Fatalf("AppendJSON(%+v): %v", c, err)
		}
		if string(got) != "prefix"+string(want) {
			t.Errorf("AppendJSON(%+v)\n got %s\nwant prefix%s", c, got, want)
		}
	}
}

func TestAppendJSONTimeRefusesWhatMarshalJSONRefuses(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
	} {
		if _, err := (&TimelineEntry{At: at}).AppendJSON(nil); err == nil {
			t.Errorf("AppendJSON accepted %v", at)
		}
	}
}

func TestRawListAdd(t *testing.T) {
	var l rawList
	if got := string(l.bytes()); got != "[]" {
		t.Fatalf("empty list = %s", got)
	}
	items := []KnowledgeItem{{Position: 1, Kind: "a"}, {Position: 2, Kind: "b", About: []string{"r"}}}
	for i := range items {
		if err := l.add(&items[i], 4); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := json.Marshal(items)
	if got := string(l.bytes()); got != string(want) {
		t.Errorf("list = %s, want %s", got, want)
	}
	// A failed add leaves the list as it was.
	bad := &KnowledgeItem{At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := l.add(bad, 4); err == nil {
		t.Fatal("add of an unencodable item succeeded")
	}
	if got := string(l.bytes()); got != string(want) {
		t.Errorf("after a failed add, list = %s, want %s", got, want)
	}
	var empty rawList
	if err := empty.add(bad, 4); err == nil || string(empty.bytes()) != "[]" {
		t.Errorf("failed first add: err %v, list %s", err, empty.bytes())
	}
	// Read back, the list decodes to what was added.
	var back []KnowledgeItem
	if err := json.Unmarshal(l.bytes(), &back); err != nil || len(back) != 2 || back[1].About[0] != "r" {
		t.Errorf("decoded %+v, %v", back, err)
	}
}

// Chunk ids sort as their numbers do: zero-padded to ten digits, as they
// always were (stored tables hold them).
func TestChunkID(t *testing.T) {
	for _, rev := range []uint64{0, 1, 63, 64, 65, 64 * 999, 64 * 123456789, 64*9999999999 + 63, 64 * 10000000000, math.MaxUint64} {
		if got, want := chunkID(rev), fmt.Sprintf("%010d", rev/timelineChunk); got != want {
			t.Errorf("chunkID(%d) = %q, want %q", rev, got, want)
		}
	}
}
