// Package personal encrypts the personal fields of Candor's events, each
// with the key of the data subject it is about, so that destroying that key
// (package keystore) erases the person from every copy of the log while the
// events, and the hashes that cover their stored bytes, stay as they are.
//
// The fields are those domain.PersonalFields lists (tagged
// personal:"true"); which subject each event's fields belong to is the rule
// in subjects.go. A field's value is stored as a JSON string, the envelope
//
//	"enc:v2:<subject>:<kid>:<event id>:<field>:<base64url(nonce ‖ ciphertext ‖ tag)>"
//
// sealed with AES-256-GCM under the subject's key of id kid (keystore), a
// 96-bit random nonce, and associated data that binds it to its event,
// field, subject and key (see associatedData): changing any of them makes
// it fail to open, and Open refuses an envelope found in another event or
// field than the one it names. The kid in the envelope is what lets an
// erasure find every key of the subject from the log alone. Envelopes of
// version 1 (no kid: the subject's one key) are still read.
// docs/PERSONAL_DATA.md specifies the format.
//
// Everything inside Candor (the event store, the ledger's state, the read
// models and their caches) carries envelopes; they are opened at the edge,
// by Reveal on each response body and by Open in an export, so that
// destroying a key takes effect at once everywhere, rebuilds included.
package personal

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/keystore"
)

// ErasedValue replaces every personal field of an erased subject when an
// event is read.
const ErasedValue = "(erased)"

// prefix starts every envelope Seal writes: v2, AES-256-GCM under the key
// the envelope names, with the associated data of associatedData. prefixV1
// starts the envelopes of version 1 (the subject's key, by subject), read
// still.
const (
	prefix   = "enc:v2:"
	prefixV1 = "enc:v1:"
)

const nonceSize = 12

// Errors of the package. Key store failures keep wrapping the key store's
// errors (keystore.ErrKeyMissing among them).
var (
	// ErrMalformedEnvelope: a personal field holds "enc:..." that is not
	// an envelope, or an envelope naming another subject than the event's.
	ErrMalformedEnvelope = errors.New("personal: malformed envelope")
	// ErrUndecryptable: the envelope does not open with the subject's key.
	// The ciphertext was altered or moved, or the key store was replaced
	// by one holding another key for the subject.
	ErrUndecryptable = errors.New("personal: envelope does not open with the subject's key: data altered or key store replaced")
	// ErrNoSubject: the event has personal fields but names no subject
	// (an empty id), or its type has no rule (a test keeps the rules
	// complete).
	ErrNoSubject = errors.New("personal: no data subject for the event's personal fields")
	// ErrNotString: a personal field is not a JSON string.
	ErrNotString = errors.New("personal: personal field is not a string")
)

// Status says what Open found in an event.
type Status uint8

const (
	// Clear: no envelope (no personal field, or data written before
	// encryption).
	Clear Status = iota
	// Decrypted: every envelope opened.
	Decrypted
	// Erased: the subject was erased; their fields read ErasedValue.
	Erased
)

// Keys is what the cipher needs of a key store (*keystore.Store).
type Keys interface {
	// KeyFor returns a key of the subject, and its id, stored durably.
	KeyFor(ctx context.Context, subject string) (int64, keystore.Key, error)
	// KeyByID returns the key of an id, *keystore.ErasedError or
	// keystore.ErrKeyMissing.
	KeyByID(ctx context.Context, kid int64) (keystore.Key, error)
	// Key returns the subject's key of version 1 envelopes,
	// *keystore.ErasedError or keystore.ErrKeyMissing.
	Key(ctx context.Context, subject string) (keystore.Key, error)
}

// Cipher seals and opens the personal fields of events. It is safe for
// concurrent use.
type Cipher struct {
	keys  Keys
	nonce io.Reader
}

// New returns a Cipher over a key store.
func New(keys Keys) *Cipher { return &Cipher{keys: keys, nonce: rand.Reader} }

// Seal returns data (an event's JSON, as domain.Marshal writes it) with
// every non-empty personal field replaced by its envelope, and data itself
// when the type has no personal field. The subject is given a key if it
// has none; an erased subject's events are refused (*keystore.ErasedError).
func (c *Cipher) Seal(ctx context.Context, eventID uuid.UUID, typ string, data []byte) ([]byte, error) {
	fields := domain.PersonalFields(typ)
	if len(fields) == 0 {
		return data, nil
	}
	obj, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	subject, err := subjectOf(typ, obj)
	if err != nil {
		return nil, err
	}
	changed := false
	var (
		kid int64
		key keystore.Key
	)
	for _, f := range fields {
		raw, ok := obj[f]
		if !ok {
			continue
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("%w: %s.%s", ErrNotString, typ, f)
		}
		if v == "" {
			continue // nothing to hide
		}
		if !changed {
			if kid, key, err = c.keys.KeyFor(ctx, subject); err != nil {
				return nil, fmt.Errorf("personal: key of %q: %w", subject, err)
			}
		}
		env, err := c.seal(key, kid, eventID, f, subject, v)
		if err != nil {
			return nil, err
		}
		obj[f], _ = json.Marshal(env)
		changed = true
	}
	if !changed {
		return data, nil
	}
	return json.Marshal(obj)
}

func (c *Cipher) seal(key keystore.Key, kid int64, eventID uuid.UUID, field, subject, plain string) (string, error) {
	aead, err := key.AEAD()
	if err != nil {
		return "", err
	}
	out := make([]byte, nonceSize, nonceSize+len(plain)+aead.Overhead())
	if _, err := io.ReadFull(c.nonce, out); err != nil {
		return "", fmt.Errorf("personal: nonce: %w", err)
	}
	out = aead.Seal(out, out[:nonceSize], []byte(plain), associatedData(2, kid, eventID, field, subject))
	return prefix + subject + ":" + strconv.FormatInt(kid, 10) + ":" + eventID.String() + ":" + field + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open returns data with every envelope replaced by its plaintext, or by
// ErasedValue when the subject was erased (Status Erased). A missing key
// (keystore.ErrKeyMissing), an envelope that does not open
// (ErrUndecryptable) or a malformed one is an error: never a guess.
func (c *Cipher) Open(ctx context.Context, eventID uuid.UUID, typ string, data []byte) ([]byte, Status, error) {
	fields := domain.PersonalFields(typ)
	if len(fields) == 0 || !bytes.Contains(data, []byte(`"enc:v`)) {
		return data, Clear, nil
	}
	obj, err := decodeObject(data)
	if err != nil {
		return nil, Clear, err
	}
	subject, err := subjectOf(typ, obj)
	if err != nil {
		return nil, Clear, err
	}
	status := Clear
	for _, f := range fields {
		raw, ok := obj[f]
		if !ok {
			continue
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, Clear, fmt.Errorf("%w: %s.%s", ErrNotString, typ, f)
		}
		if !strings.HasPrefix(v, prefix) && !strings.HasPrefix(v, prefixV1) {
			continue // written before encryption
		}
		env, err := parseEnvelope(v)
		if err != nil {
			return nil, Clear, fmt.Errorf("%s.%s: %w", typ, f, err)
		}
		if env.subject != subject || env.eventID != eventID || env.field != f {
			return nil, Clear, fmt.Errorf("%w: %s.%s is sealed for another event, field or subject", ErrMalformedEnvelope, typ, f)
		}
		plain, erased, err := c.openEnvelope(ctx, env)
		if err != nil {
			return nil, Clear, fmt.Errorf("%s.%s of %q: %w", typ, f, subject, err)
		}
		switch {
		case erased:
			status = Erased
		case status == Clear:
			status = Decrypted
		}
		obj[f], _ = json.Marshal(plain)
	}
	if status == Clear {
		return data, Clear, nil
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, Clear, fmt.Errorf("personal: encode %s: %w", typ, err)
	}
	return out, status, nil
}

// openEnvelope returns the plaintext, or ErasedValue and true when its key
// was destroyed.
func (c *Cipher) openEnvelope(ctx context.Context, env envelope) (string, bool, error) {
	var (
		key keystore.Key
		err error
	)
	if env.version == 1 {
		key, err = c.keys.Key(ctx, env.subject)
	} else {
		key, err = c.keys.KeyByID(ctx, env.kid)
	}
	if errors.Is(err, keystore.ErrErased) {
		return ErasedValue, true, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("personal: key of %q: %w", env.subject, err)
	}
	plain, err := env.open(key)
	return plain, false, err
}

// envelope is a parsed "enc:v2:<subject>:<kid>:<event id>:<field>:<payload>",
// or "enc:v1:<subject>:<event id>:<field>:<payload>" (kid 0).
type envelope struct {
	version        int
	subject, field string
	kid            int64
	eventID        uuid.UUID
	payload        []byte
}

func (e envelope) open(key keystore.Key) (string, error) {
	aead, err := key.AEAD()
	if err != nil {
		return "", err
	}
	if len(e.payload) < nonceSize+aead.Overhead() {
		return "", fmt.Errorf("%w: payload too short", ErrMalformedEnvelope)
	}
	plain, err := aead.Open(nil, e.payload[:nonceSize], e.payload[nonceSize:], associatedData(e.version, e.kid, e.eventID, e.field, e.subject))
	if err != nil {
		return "", ErrUndecryptable
	}
	return string(plain), nil
}

// parseEnvelope splits an envelope from the right: the payload (base64url),
// the field (a JSON name), the event id (a UUID) and, in version 2, the kid
// (decimal) hold no colon; the subject may.
func parseEnvelope(v string) (envelope, error) {
	env := envelope{version: 2}
	rest, ok := strings.CutPrefix(v, prefix)
	if !ok {
		if rest, ok = strings.CutPrefix(v, prefixV1); !ok {
			return envelope{}, ErrMalformedEnvelope
		}
		env.version = 1
	}
	var parts [4]string
	first := 1 // parts[0] is the kid, in version 2 only
	if env.version == 2 {
		first = 0
	}
	for i := 3; i >= first; i-- {
		j := strings.LastIndexByte(rest, ':')
		if j <= 0 {
			return envelope{}, ErrMalformedEnvelope
		}
		parts[i], rest = rest[j+1:], rest[:j]
	}
	if env.version == 2 {
		kid, err := strconv.ParseInt(parts[0], 10, 64)
		if err != nil || kid <= 0 {
			return envelope{}, fmt.Errorf("%w: bad key id", ErrMalformedEnvelope)
		}
		env.kid = kid
	}
	id, err := uuid.Parse(parts[1])
	if err != nil || parts[2] == "" {
		return envelope{}, fmt.Errorf("%w: bad event id or field", ErrMalformedEnvelope)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil {
		return envelope{}, fmt.Errorf("%w: payload is not base64url", ErrMalformedEnvelope)
	}
	env.subject, env.eventID, env.field, env.payload = rest, id, parts[2], payload
	return env, nil
}

// associatedData binds a ciphertext to where it is stored: the label of
// the version, the event's id (16 bytes), the field's JSON name and the
// subject, each of the last two prefixed with its length (uint32,
// big-endian), and in version 2 the kid (uint64, big-endian).
func associatedData(version int, kid int64, eventID uuid.UUID, field, subject string) []byte {
	ad := make([]byte, 0, 72+len(field)+len(subject))
	ad = append(ad, "candor-personal-v"...)
	ad = strconv.AppendInt(ad, int64(version), 10)
	ad = append(ad, eventID[:]...)
	for _, s := range []string{field, subject} {
		ad = binary.BigEndian.AppendUint32(ad, uint32(len(s)))
		ad = append(ad, s...)
	}
	if version == 2 {
		ad = binary.BigEndian.AppendUint64(ad, uint64(kid))
	}
	return ad
}

func decodeObject(data []byte) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%w: event data is not a JSON object", domain.ErrMalformedEvent)
	}
	return obj, nil
}

// prefixBytes starts an envelope of either version.
var prefixBytes = []byte("enc:v")

// Reveal returns a JSON document (a response body, a read model, an SSE
// frame) with every envelope in it replaced by its plaintext, or by
// ErasedValue for an erased subject; doc itself when it holds none. An
// envelope is found wherever a read model copied it: a whole string value,
// or inside a text ("enc:v2:… joined on the client side"); it ends with its
// payload, at the first character outside base64url. The plaintext is
// escaped as inside a JSON string. Text that only looks like the start of
// an envelope is left as it is. An envelope vouches for the event and
// field it was sealed for (they are in its associated data), so it opens
// wherever it was copied. A missing key or an envelope that does not open
// is an error, as in Open.
func (c *Cipher) Reveal(ctx context.Context, doc []byte) ([]byte, error) {
	i := bytes.Index(doc, prefixBytes)
	if i < 0 {
		return doc, nil
	}
	out := make([]byte, 0, len(doc))
	for i >= 0 {
		env, n, ok := scanEnvelope(doc[i:])
		if !ok {
			out = append(out, doc[:i+len(prefixBytes)]...)
			doc = doc[i+len(prefixBytes):]
			i = bytes.Index(doc, prefixBytes)
			continue
		}
		plain, _, err := c.openEnvelope(ctx, env)
		if err != nil {
			return nil, fmt.Errorf("envelope of %q: %w", env.subject, err)
		}
		q, _ := json.Marshal(plain)
		out = append(append(out, doc[:i]...), q[1:len(q)-1]...) // inside the string it was in
		doc = doc[i+n:]
		i = bytes.Index(doc, prefixBytes)
	}
	return append(out, doc...), nil
}

// scanEnvelope parses the envelope at the start of b (which starts with
// "enc:v") and returns it with its length: the subject (the characters of
// ids and '@', up to the first ":<kid>:<uuid>:", or ":<uuid>:" in version
// 1), the kid, the event id, the field (a JSON name), and the payload
// (base64url, at least a nonce and a tag). ok is false when b does not
// start with such an envelope.
func scanEnvelope(b []byte) (envelope, int, bool) {
	const uuidLen = 36
	minPayload := base64.RawURLEncoding.EncodedLen(nonceSize + 16)
	env := envelope{version: 2}
	switch {
	case bytes.HasPrefix(b, []byte(prefix)):
	case bytes.HasPrefix(b, []byte(prefixV1)):
		env.version = 1
	default:
		return envelope{}, 0, false
	}
	head := len(prefix) // both prefixes have its length
	rest := b[head:]
	for j := 0; j < len(rest) && subjectChar(rest[j]); j++ {
		if rest[j] != ':' || j == 0 {
			continue
		}
		u := j + 1 // the event id, after the kid in version 2
		if env.version == 2 {
			d := u
			for d < len(rest) && '0' <= rest[d] && rest[d] <= '9' {
				d++
			}
			if d == u || d-u > 18 || d == len(rest) || rest[d] != ':' {
				continue
			}
			kid, err := strconv.ParseInt(string(rest[u:d]), 10, 64)
			if err != nil || kid <= 0 {
				continue
			}
			env.kid, u = kid, d+1
		}
		if len(rest) < u+uuidLen+1 || rest[u+uuidLen] != ':' {
			continue
		}
		id, err := uuid.ParseBytes(rest[u : u+uuidLen])
		if err != nil {
			continue
		}
		k := u + uuidLen + 1
		f := k
		for f < len(rest) && (rest[f] == '_' || 'a' <= rest[f] && rest[f] <= 'z' || 'A' <= rest[f] && rest[f] <= 'Z' || '0' <= rest[f] && rest[f] <= '9') {
			f++
		}
		if f == k || f == len(rest) || rest[f] != ':' {
			return envelope{}, 0, false
		}
		p := f + 1
		for p < len(rest) && base64URLChar(rest[p]) {
			p++
		}
		if p-(f+1) < minPayload {
			return envelope{}, 0, false
		}
		payload, err := base64.RawURLEncoding.DecodeString(string(rest[f+1 : p]))
		if err != nil {
			return envelope{}, 0, false
		}
		env.subject, env.eventID, env.field, env.payload = string(rest[:j]), id, string(rest[k:f]), payload
		return env, head + p, true
	}
	return envelope{}, 0, false
}

// subjectChar: the characters of a subject id (domain ids and '@').
func subjectChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-' || c == '@'
}

func base64URLChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}
