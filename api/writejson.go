package api

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/candor-ledger/candor/internal/jsonenc"
)

// appendJSON appends w encoded exactly as encoding/json's Encoder, and so
// echo's c.JSON, encodes it (HTML-safe, compact, with the trailing
// newline), without the reflection: every write answers a WriteResult, and
// reflecting over it cost a good part of a write's HTTP work.
// writejson_test.go compares the two encodings.
func (w *WriteResult) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"events":`...)
	if w.Events == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range w.Events {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = w.Events[i].appendJSON(b); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"revision":`...)
	b = strconv.AppendUint(b, w.Revision, 10)
	b = append(b, `,"position":`...)
	b = strconv.AppendUint(b, w.Position, 10)
	if w.Receipt != nil {
		b = append(b, `,"receipt":`...)
		var err error
		if b, err = appendReceiptJSON(b, w.Receipt); err != nil {
			return nil, err
		}
	}
	return append(b, "}\n"...), nil
}

func (e *EventOut) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = jsonenc.AppendString(b, e.ID)
	b = append(b, `,"type":`...)
	b = jsonenc.AppendString(b, e.Type)
	b = append(b, `,"schema_version":`...)
	b = strconv.AppendInt(b, int64(e.SchemaVersion), 10)
	b = append(b, `,"revision":`...)
	b = strconv.AppendUint(b, e.Revision, 10)
	b = append(b, `,"position":`...)
	b = strconv.AppendUint(b, e.Position, 10)
	b = append(b, `,"recorded_at":`...)
	b, err := jsonenc.AppendTime(b, e.RecordedAt)
	if err != nil {
		return nil, err
	}
	if e.Actor != "" {
		b = append(b, `,"actor":`...)
		b = jsonenc.AppendString(b, e.Actor)
	}
	if e.CorrelationID != "" {
		b = append(b, `,"correlation_id":`...)
		b = jsonenc.AppendString(b, e.CorrelationID)
	}
	b = append(b, `,"data":`...)
	if b, err = appendJSONRaw(b, e.Data); err != nil {
		return nil, err
	}
	b = append(b, `,"hash":`...)
	b = jsonenc.AppendString(b, e.Hash)
	b = append(b, `,"prev_hash":`...)
	b = jsonenc.AppendString(b, e.PrevHash)
	return append(b, '}'), nil
}

// appendJSONRaw appends a json.RawMessage as encoding/json does: null when
// nil, else validated and compacted, with <, >, & and U+2028, U+2029
// escaped.
func appendJSONRaw(b []byte, raw json.RawMessage) ([]byte, error) {
	if raw == nil {
		return append(b, "null"...), nil
	}
	start := len(b)
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, raw); err != nil {
		return nil, err
	}
	b = buf.Bytes()
	if !mayNeedHTMLEscape(b[start:]) {
		return b, nil
	}
	var esc bytes.Buffer
	json.HTMLEscape(&esc, b[start:])
	return append(b[:start], esc.Bytes()...), nil
}

// mayNeedHTMLEscape reports whether b holds <, >, & or the first byte of
// U+2028 or U+2029, which json.HTMLEscape escapes.
func mayNeedHTMLEscape(b []byte) bool {
	for _, c := range b {
		if c == '<' || c == '>' || c == '&' || c == 0xE2 {
			return true
		}
	}
	return false
}
