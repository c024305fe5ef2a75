package projections

import (
	"strconv"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

// decodeRecorded is ledger.Decode with a cheaper reading of the metadata.
// encoding/json spends about as long on an event's metadata (two hashes
// and a few ids) as on its data; replaying the store decodes every event,
// so the metadata the ledger writes (a flat object of plain strings and
// the schema version) is read here in one pass. Anything else, and every
// failure, goes through ledger.Decode itself: the result is the same (a
// test compares the two, and fails when ledger.Recorded gains a field
// this function does not fill).
func decodeRecorded(se eventstore.RecordedEvent) (ledger.Recorded, error) {
	var meta ledger.Metadata
	if len(se.Metadata) == 0 || !decodeMetadata(se.Metadata, &meta) {
		return ledger.Decode(se)
	}
	ev, err := domain.Unmarshal(se.Type, meta.SchemaVersion, se.Data)
	if err != nil {
		return ledger.Decode(se) // for its error
	}
	return ledger.Recorded{
		Event: ev, Type: se.Type, SchemaVersion: meta.SchemaVersion, ID: se.ID, Stream: se.Stream,
		Revision: se.Revision, Position: se.Position, RecordedAt: se.RecordedAt, Meta: meta, Data: se.Data,
	}, nil
}

// decodeMetadata reads b into m as encoding/json would, when b is an object
// of known keys with plain ASCII strings (no escape) and an integer schema
// version; otherwise it returns false, and m may be half set.
func decodeMetadata(b []byte, m *ledger.Metadata) bool {
	i := 0
	space := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
	}
	eat := func(c byte) bool {
		if i < len(b) && b[i] == c {
			i++
			return true
		}
		return false
	}
	str := func() ([]byte, bool) {
		if !eat('"') {
			return nil, false
		}
		for start := i; i < len(b); i++ {
			switch c := b[i]; {
			case c == '"':
				i++
				return b[start : i-1], true
			case c < 0x20 || c == '\\' || c >= 0x80:
				return nil, false
			}
		}
		return nil, false
	}
	space()
	if !eat('{') {
		return false
	}
	space()
	if eat('}') {
		space()
		return i == len(b)
	}
	for {
		key, ok := str()
		if !ok {
			return false
		}
		space()
		if !eat(':') {
			return false
		}
		space()
		if string(key) == "schema_version" {
			start := i
			eat('-')
			if eat('0') {
				// a lone zero
			} else if i < len(b) && b[i] >= '1' && b[i] <= '9' {
				for i < len(b) && b[i] >= '0' && b[i] <= '9' {
					i++
				}
			} else {
				return false
			}
			if i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
				return false
			}
			n, err := strconv.ParseInt(string(b[start:i]), 10, 0)
			if err != nil {
				return false
			}
			m.SchemaVersion = int(n)
		} else {
			var dst *string
			switch string(key) {
			case "actor":
				dst = &m.Actor
			case "principal_id":
				dst = &m.PrincipalID
			case "correlation_id":
				dst = &m.CorrelationID
			case "causation_id":
				dst = &m.CausationID
			case "idempotency_key":
				dst = &m.IdempotencyKey
			case "fingerprint":
				dst = &m.Fingerprint
			case "prev_hash":
				dst = &m.PrevHash
			case "hash":
				dst = &m.Hash
			default:
				return false
			}
			v, ok := str()
			if !ok {
				return false
			}
			*dst = string(v)
		}
		space()
		if eat(',') {
			space()
			continue
		}
		if eat('}') {
			space()
			return i == len(b)
		}
		return false
	}
}
