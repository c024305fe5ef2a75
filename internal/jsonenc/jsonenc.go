// Package jsonenc appends strings and times to JSON exactly as
// encoding/json encodes them, without reflection: the hot encoders of the
// read models and of the write responses are built on it.
package jsonenc

import (
	"encoding/json"
	"time"
)

// AppendString appends s as a JSON string, exactly as encoding/json does
// (HTML characters escaped): directly when s is plain printable ASCII, as
// nearly every string here is, and through encoding/json otherwise.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plain[s[i]] {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plain tells the bytes encoding/json writes as they are in a string:
// printable ASCII but the quote, the backslash and the HTML characters.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// AppendTime appends t as time.Time's MarshalJSON does; a time it may
// refuse (a year outside 0–9999, an offset of a day or more) is left to it.
func AppendTime(b []byte, t time.Time) ([]byte, error) {
	if _, off := t.Zone(); t.Year() < 0 || t.Year() > 9999 || off <= -24*3600 || off >= 24*3600 {
		q, err := t.MarshalJSON()
		return append(b, q...), err
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}
