package personal

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/keystore"
)

// fixedKeys gives every subject the same known key, of id 7 (known-answer
// tests).
type fixedKeys struct{ key keystore.Key }

func (f fixedKeys) KeyFor(context.Context, string) (int64, keystore.Key, error) { return 7, f.key, nil }
func (f fixedKeys) KeyByID(context.Context, int64) (keystore.Key, error)        { return f.key, nil }
func (f fixedKeys) Key(context.Context, string) (keystore.Key, error)           { return f.key, nil }

func testKeyBytes() []byte {
	b := make([]byte, keystore.KeySize)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// counting is a nonce source that gives 0xA0, 0xA1, ...
type counting struct{ next byte }

func (c *counting) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xA0 + c.next
		c.next++
	}
	return len(p), nil
}

var (
	eventID = uuid.MustParse("01936b2e-6f00-7000-8000-000000000001")
	at      = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
)

func joined(eng, sid, name, email string) []byte {
	_, _, data, err := domain.Marshal(&domain.StakeholderJoined{
		Header:        domain.Header{EngagementID: eng, ActorID: "s-1", At: at},
		StakeholderID: sid, Party: domain.PartyClient, Name: name, Email: email, Role: "CFO",
	})
	if err != nil {
		panic(err)
	}
	return data
}

func field(t *testing.T, data []byte, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m[name].(string)
	return s
}

// The envelope is what docs/PERSONAL_DATA.md says, byte for byte: this
// opens it with the standard library alone, building the associated data
// as the document spells it, and compares with the committed vector.
func TestKnownAnswer(t *testing.T) {
	key, _ := keystore.KeyFromBytes(testKeyBytes())
	c := &Cipher{keys: fixedKeys{key}, nonce: &counting{}}
	sealed, err := c.Seal(context.Background(), eventID, domain.TypeStakeholderJoined, joined("e-1", "s-2", "Nicolas Roux", ""))
	if err != nil {
		t.Fatal(err)
	}
	env := field(t, sealed, "name")
	const want = "enc:v2:s-2@e-1:7:01936b2e-6f00-7000-8000-000000000001:name:oKGio6SlpqeoqaqrqHEfQimqcZ8wCvKr_ZwhKmW9hp-7sxHLFxvPDg"
	if env != want {
		t.Errorf("envelope\n got %s\nwant %s", env, want)
	}
	if field(t, sealed, "email") != "" {
		t.Error("an absent e-mail became an envelope")
	}

	// Independently: AES-256-GCM, nonce = first 12 bytes, associated data
	// = "candor-personal-v2" ‖ event id (16 bytes) ‖ len32 ‖ field ‖ len32
	// ‖ subject ‖ kid (u64).
	if plain := openDocumented(t, 2, env, "enc:v2:s-2@e-1:7:01936b2e-6f00-7000-8000-000000000001:name:"); plain != "Nicolas Roux" {
		t.Errorf("opened with the documented layout: %q", plain)
	}
}

// Envelopes of version 1 (no kid: the subject's key, by subject) are read
// still: the vector committed when version 1 was written.
func TestKnownAnswerVersion1(t *testing.T) {
	const v1 = "enc:v1:s-2@e-1:01936b2e-6f00-7000-8000-000000000001:name:oKGio6SlpqeoqaqrqHEfQimqcZ8wCvKrl0GvGxrksFItsteV5W1fsA"
	if plain := openDocumented(t, 1, v1, "enc:v1:s-2@e-1:01936b2e-6f00-7000-8000-000000000001:name:"); plain != "Nicolas Roux" {
		t.Errorf("opened with the documented layout: %q", plain)
	}
	key, _ := keystore.KeyFromBytes(testKeyBytes())
	c := New(fixedKeys{key})
	var m map[string]any
	_ = json.Unmarshal(joined("e-1", "s-2", "x", ""), &m)
	m["name"] = v1
	data, _ := json.Marshal(m)
	opened, status, err := c.Open(context.Background(), eventID, domain.TypeStakeholderJoined, data)
	if err != nil || status != Decrypted || field(t, opened, "name") != "Nicolas Roux" {
		t.Errorf("Open of a version 1 envelope: %s %v %v", opened, status, err)
	}
	if got, err := c.Reveal(context.Background(), []byte(`{"n":"`+v1+`"}`)); err != nil || string(got) != `{"n":"Nicolas Roux"}` {
		t.Errorf("Reveal of a version 1 envelope: %s %v", got, err)
	}
}

// openDocumented opens an envelope with the standard library alone, the
// associated data built as docs/PERSONAL_DATA.md spells it.
func openDocumented(t *testing.T, version int, env, head string) string {
	t.Helper()
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(env, head))
	if err != nil {
		t.Fatal(err)
	}
	var ad []byte
	ad = append(ad, fmt.Sprintf("candor-personal-v%d", version)...)
	ad = append(ad, eventID[:]...)
	for _, s := range []string{"name", "s-2@e-1"} {
		ad = append(ad, byte(len(s)>>24), byte(len(s)>>16), byte(len(s)>>8), byte(len(s)))
		ad = append(ad, s...)
	}
	if version == 2 {
		ad = append(ad, 0, 0, 0, 0, 0, 0, 0, 7)
	}
	block, _ := aes.NewCipher(testKeyBytes())
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, payload[:12], payload[12:], ad)
	if err != nil {
		t.Fatalf("open %s: %v", env, err)
	}
	return string(plain)
}

func TestSubjectRulesCoverEveryPersonalField(t *testing.T) {
	n := 0
	for _, typ := range domain.EventTypes() {
		if len(domain.PersonalFields(typ)) == 0 {
			continue
		}
		n++
		idField, ok := subjectRules[typ]
		if !ok {
			t.Errorf("%s has personal fields %v but no subject rule", typ, domain.PersonalFields(typ))
			continue
		}
		ev, err := domain.Unmarshal(typ, domain.CurrentVersion(typ), []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _, data, _ := domain.Marshal(ev)
		var m map[string]json.RawMessage
		_ = json.Unmarshal(data, &m)
		if _, ok := m[idField]; !ok {
			t.Errorf("%s: rule names %q, which the event does not have", typ, idField)
		}
	}
	if n == 0 {
		t.Fatal("no event type has personal fields: the tags are gone")
	}
}

func openKeys(t *testing.T, path string) *keystore.Store {
	t.Helper()
	s, err := keystore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Seal then Open gives back the event, for random text, ids and fields.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := New(openKeys(t, filepath.Join(t.TempDir(), "keys.db")))
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("abcXYZ019 -_.:@\"\\/<>&é漢字🙂\u2028\x00\x1f")
	text := func(max int) string {
		r := make([]rune, rng.IntN(max+1))
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(r)
	}
	id := func() string {
		const idChars = "abcdefXYZ0123456789-_.:"
		b := make([]byte, 1+rng.IntN(20))
		for i := range b {
			b[i] = idChars[rng.IntN(len(idChars))]
		}
		return string(b)
	}
	for i := range 300 {
		var ev domain.Event
		eng := id()
		if i%2 == 0 {
			ev = &domain.StakeholderJoined{Header: domain.Header{EngagementID: eng, ActorID: id(), At: at},
				StakeholderID: id(), Party: domain.PartySupplier, Name: text(30), Email: text(10)}
		} else {
			ev = &domain.ExpertInvited{Header: domain.Header{EngagementID: eng, ActorID: id(), At: at},
				ExpertID: id(), Name: text(30), Email: text(10), Expertise: text(5)}
		}
		typ, v, data, err := domain.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		evID := uuid.Must(uuid.NewV7())
		sealed, err := c.Seal(ctx, evID, typ, data)
		if err != nil {
			t.Fatalf("seal %s: %v", data, err)
		}
		for _, f := range domain.PersonalFields(typ) {
			plain := reflect.ValueOf(ev).Elem().FieldByName(map[string]string{"name": "Name", "email": "Email"}[f]).String()
			got := field(t, sealed, f)
			if plain != "" && !strings.HasPrefix(got, "enc:v2:") {
				t.Fatalf("%s.%s stored in clear: %q", typ, f, got)
			}
		}
		opened, status, err := c.Open(ctx, evID, typ, sealed)
		if err != nil {
			t.Fatalf("open %s: %v", sealed, err)
		}
		back, err := domain.Unmarshal(typ, v, opened)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, ev) {
			t.Fatalf("round trip\n got %#v\nwant %#v", back, ev)
		}
		if status == Clear && !bytes.Equal(sealed, data) {
			t.Fatalf("status Clear for an event that was sealed: %s", sealed)
		}
	}
}

func TestNoPersonalFieldsIsUntouched(t *testing.T) {
	c := New(fixedKeys{})
	_, _, data, _ := domain.Marshal(&domain.AssumptionMade{Header: domain.Header{EngagementID: "e", ActorID: "a", At: at}, AssumptionID: "x", Statement: "enc:v2:looks:like"})
	for name, f := range map[string]func() ([]byte, error){
		"Seal": func() ([]byte, error) { return c.Seal(context.Background(), eventID, domain.TypeAssumptionMade, data) },
		"Open": func() ([]byte, error) {
			b, _, err := c.Open(context.Background(), eventID, domain.TypeAssumptionMade, data)
			return b, err
		},
	} {
		got, err := f()
		if err != nil || &got[0] != &data[0] {
			t.Errorf("%s changed an event without personal fields (%v)", name, err)
		}
	}
}

// An envelope opens only where it was sealed.
func TestEnvelopeCannotMove(t *testing.T) {
	ctx := context.Background()
	c := New(openKeys(t, filepath.Join(t.TempDir(), "keys.db")))
	sealed, err := c.Seal(ctx, eventID, domain.TypeStakeholderJoined, joined("e-1", "s-2", "Nicolas Roux", "nr@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	set := func(data []byte, f string, v string) []byte {
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		m[f] = v
		b, _ := json.Marshal(m)
		return b
	}
	name, email := field(t, sealed, "name"), field(t, sealed, "email")
	env, err := parseEnvelope(name)
	if err != nil {
		t.Fatal(err)
	}
	env.payload[len(env.payload)-3] ^= 1
	flipped := fmt.Sprintf("enc:v2:%s:%d:%s:name:%s", env.subject, env.kid, env.eventID, base64.RawURLEncoding.EncodeToString(env.payload))
	// Claims to be another event's: the associated data no longer matches.
	relabelled := strings.Replace(name, eventID.String(), "01936b2e-6f00-7000-8000-000000000002", 1)
	// Claims another key (the other subject's): does not open under it.
	otherKid := strings.Replace(name, fmt.Sprintf(":%d:", env.kid), fmt.Sprintf(":%d:", env.kid+1), 1)
	other, err := c.Seal(ctx, eventID, domain.TypeStakeholderJoined, joined("e-1", "s-3", "Someone Else", ""))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		id   uuid.UUID
		data []byte
		want error
	}{
		{"another event id", uuid.MustParse("01936b2e-6f00-7000-8000-000000000002"), sealed, ErrMalformedEnvelope},
		{"fields swapped", eventID, set(set(sealed, "name", email), "email", name), ErrMalformedEnvelope},
		{"relabelled for another event", uuid.MustParse("01936b2e-6f00-7000-8000-000000000002"), set(sealed, "name", relabelled), ErrUndecryptable},
		{"a byte changed", eventID, set(sealed, "name", flipped), ErrUndecryptable},
		{"another subject's event", eventID, set(other, "name", name), ErrMalformedEnvelope},
		{"another key", eventID, set(sealed, "name", otherKid), ErrUndecryptable},
		{"not base64", eventID, set(sealed, "name", "enc:v2:s-2@e-1:1:"+eventID.String()+":name:!!"), ErrMalformedEnvelope},
		{"no kid", eventID, set(sealed, "name", "enc:v2:s-2@e-1:"+eventID.String()+":name:"+base64.RawURLEncoding.EncodeToString(env.payload)), ErrMalformedEnvelope},
		{"no subject", eventID, set(sealed, "name", "enc:v2:abc"), ErrMalformedEnvelope},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.Open(ctx, tc.id, domain.TypeStakeholderJoined, tc.data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open: %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "Nicolas") || strings.Contains(err.Error(), "nr@") {
				t.Errorf("error text holds personal data: %v", err)
			}
		})
	}
}

func TestErasedSubjectReadsErased(t *testing.T) {
	ctx := context.Background()
	keys := openKeys(t, filepath.Join(t.TempDir(), "keys.db"))
	c := New(keys)
	sealed, err := c.Seal(ctx, eventID, domain.TypeStakeholderJoined, joined("e-1", "s-2", "Nicolas Roux", "nr@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	otherID := uuid.MustParse("01936b2e-6f00-7000-8000-000000000003")
	other, err := c.Seal(ctx, otherID, domain.TypeStakeholderJoined, joined("e-1", "s-3", "Claire Martin", ""))
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Erase(ctx, Subject("e-1", "s-2"), at); err != nil {
		t.Fatal(err)
	}
	opened, status, err := c.Open(ctx, eventID, domain.TypeStakeholderJoined, sealed)
	if err != nil || status != Erased {
		t.Fatalf("Open after erasure: status %v, %v; want Erased, nil", status, err)
	}
	for _, f := range []string{"name", "email"} {
		if got := field(t, opened, f); got != ErasedValue {
			t.Errorf("%s = %q, want %q", f, got, ErasedValue)
		}
	}
	if field(t, opened, "role") != "CFO" || field(t, opened, "stakeholder_id") != "s-2" {
		t.Errorf("fields that are not personal changed: %s", opened)
	}
	// Others keep their data.
	if o, st, err := c.Open(ctx, otherID, domain.TypeStakeholderJoined, other); err != nil || st != Decrypted || field(t, o, "name") != "Claire Martin" {
		t.Errorf("another subject after the erasure: %s %v %v", o, st, err)
	}
	// Nothing new is written about an erased person.
	if _, err := c.Seal(ctx, otherID, domain.TypeStakeholderJoined, joined("e-1", "s-2", "Nicolas Roux", "")); !errors.Is(err, keystore.ErrErased) {
		t.Errorf("Seal for an erased subject: %v, want keystore.ErrErased", err)
	}
}

func TestLostKeyStoreIsAnError(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := New(openKeys(t, filepath.Join(dir, "keys.db")))
	sealed, err := c.Seal(ctx, eventID, domain.TypeStakeholderJoined, joined("e-1", "s-2", "Nicolas Roux", ""))
	if err != nil {
		t.Fatal(err)
	}
	// Another, empty key store: the subject is unknown to it.
	fresh := openKeys(t, filepath.Join(dir, "other-keys.db"))
	_, status, err := New(fresh).Open(ctx, eventID, domain.TypeStakeholderJoined, sealed)
	if !errors.Is(err, keystore.ErrKeyMissing) || errors.Is(err, keystore.ErrErased) || status != Clear {
		t.Errorf("Open with a lost key store: %v (status %v), want keystore.ErrKeyMissing", err, status)
	}
	// The same store, once it handed out a key of the id the envelope
	// names (ids start at 1 in every file): it does not open, and says so.
	env, err := parseEnvelope(field(t, sealed, "name"))
	if err != nil {
		t.Fatal(err)
	}
	if kid, _, err := fresh.KeyFor(ctx, Subject("e-1", "s-2")); err != nil || kid != env.kid {
		t.Fatalf("fresh key %d %v, want id %d", kid, err, env.kid)
	}
	if _, _, err := New(fresh).Open(ctx, eventID, domain.TypeStakeholderJoined, sealed); !errors.Is(err, ErrUndecryptable) {
		t.Errorf("Open with a replaced key: %v, want ErrUndecryptable", err)
	}
}

func TestLegacyPlaintextPassesThrough(t *testing.T) {
	data := joined("e-1", "s-2", "Nicolas Roux", "")
	got, status, err := New(fixedKeys{}).Open(context.Background(), eventID, domain.TypeStakeholderJoined, data)
	if err != nil || status != Clear || !bytes.Equal(got, data) {
		t.Errorf("Open of an event written before encryption: %s %v %v", got, status, err)
	}
}

func TestSubjectIDs(t *testing.T) {
	s := Subject("01a2096c-2bb5", "s:1.x")
	if eng, local, ok := SplitSubject(s); !ok || eng != "01a2096c-2bb5" || local != "s:1.x" {
		t.Errorf("SplitSubject(%q) = %q %q %v", s, eng, local, ok)
	}
	if _, _, ok := SplitSubject("0193a-principal"); ok {
		t.Error("a principal's id split as a stakeholder's")
	}
	got, ok, err := SubjectOf(domain.TypeExpertInvited, []byte(`{"engagement_id":"e","expert_id":"x","name":"n"}`))
	if err != nil || !ok || got != "x@e" {
		t.Errorf("SubjectOf = %q %v %v", got, ok, err)
	}
	if _, _, err := SubjectOf(domain.TypeExpertInvited, []byte(`{"engagement_id":"e","name":"n"}`)); !errors.Is(err, ErrNoSubject) {
		t.Errorf("SubjectOf without id: %v", err)
	}
}

// Reveal opens envelopes wherever a read model copied them.
func TestReveal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keys := openKeys(t, filepath.Join(dir, "keys.db"))
	c := New(keys)
	a, err := c.Seal(ctx, eventID, domain.TypeStakeholderJoined, joined("e-1", "s-2", `Nicolas "Nico" Roux`, "nr@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Seal(ctx, eventID, domain.TypeStakeholderJoined, joined("e-1", "s-3", "Claire Martin", ""))
	if err != nil {
		t.Fatal(err)
	}
	// Whole values, an envelope inside a text (a timeline's summary), and
	// text that only looks like one.
	doc := []byte(`{"people":[{"name":"` + field(t, a, "name") + `","email":"` + field(t, a, "email") +
		`"},{"name":"` + field(t, b, "name") + `"}],"summary":"` + field(t, b, "name") + ` joined, with ` + field(t, a, "name") + `.",` +
		`"note":"enc:v1 is not an envelope, enc:v1:s-2@e-1:` + eventID.String() + `:name: neither"}`)
	want := `{"people":[{"name":"Nicolas \"Nico\" Roux","email":"nr@example.com"},{"name":"Claire Martin"}],"summary":"Claire Martin joined, with Nicolas \"Nico\" Roux.",` +
		`"note":"enc:v1 is not an envelope, enc:v1:s-2@e-1:` + eventID.String() + `:name: neither"}`
	got, err := c.Reveal(ctx, doc)
	if err != nil || string(got) != want {
		t.Fatalf("Reveal:\n got %s (%v)\nwant %s", got, err, want)
	}
	if err := keys.Erase(ctx, Subject("e-1", "s-2"), at); err != nil {
		t.Fatal(err)
	}
	want = `{"people":[{"name":"(erased)","email":"(erased)"},{"name":"Claire Martin"}],"summary":"Claire Martin joined, with (erased).",` +
		`"note":"enc:v1 is not an envelope, enc:v1:s-2@e-1:` + eventID.String() + `:name: neither"}`
	if got, err = c.Reveal(ctx, doc); err != nil || string(got) != want {
		t.Fatalf("Reveal after erasure:\n got %s (%v)\nwant %s", got, err, want)
	}
	if _, err := New(openKeys(t, filepath.Join(dir, "lost.db"))).Reveal(ctx, doc); !errors.Is(err, keystore.ErrKeyMissing) {
		t.Errorf("Reveal with a lost key store: %v, want keystore.ErrKeyMissing", err)
	}
	plain := []byte(`{"a":"b"}`)
	if got, err := c.Reveal(ctx, plain); err != nil || &got[0] != &plain[0] {
		t.Error("Reveal changed a document without envelopes")
	}
}
