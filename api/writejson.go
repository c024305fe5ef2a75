package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

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

// topLevelString finds the value of key name in data, a JSON object, as
// decoding data into a map[string]any and asserting m[name].(string) would
// (the last of duplicate keys wins; a value of another type is no string),
// but without decoding the rest: the Location of a creation comes from
// the recorded event's data. Keys and strings with escapes or non-ASCII
// bytes are decoded by encoding/json.
func topLevelString(data []byte, name string) (string, bool) {
	if !json.Valid(data) { // the scan below relies on it
		return "", false
	}
	i := skipSpace(data, 0)
	if i == len(data) || data[i] != '{' {
		return "", false // null, or not an object
	}
	var (
		val   string
		found bool
	)
	i = skipSpace(data, i+1)
	for i < len(data) && data[i] == '"' {
		end := stringEnd(data, i)
		key := data[i:end]
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // the colon
		vend := valueEnd(data, i)
		if keyEquals(key, name) {
			val, found = "", false
			if data[i] == '"' {
				val, found = jsonString(data[i:vend])
			}
		}
		i = skipSpace(data, vend)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	return val, found
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string that starts at data[i].
func stringEnd(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// valueEnd returns the index after the value that starts at data[i].
func valueEnd(data []byte, i int) int {
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				i = stringEnd(data, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return i
	default: // a number, true, false or null
		for i < len(data) && !strings.ContainsRune(",}] \t\n\r", rune(data[i])) {
			i++
		}
		return i
	}
}

// plainJSONString reports whether the JSON string token s (quotes
// included) is its own value between the quotes: no escape, ASCII only.
func plainJSONString(s []byte) bool {
	for _, c := range s[1 : len(s)-1] {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

func keyEquals(key []byte, name string) bool {
	if plainJSONString(key) {
		return string(key[1:len(key)-1]) == name
	}
	var k string
	return json.Unmarshal(key, &k) == nil && k == name
}

func jsonString(tok []byte) (string, bool) {
	if plainJSONString(tok) {
		return string(tok[1 : len(tok)-1]), true
	}
	var s string
	err := json.Unmarshal(tok, &s)
	return s, err == nil
}
