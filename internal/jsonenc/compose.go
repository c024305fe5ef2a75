package jsonenc

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
)

// Appender is a value that appends its own JSON to b: exactly what
// encoding/json's Marshal writes for it, and an error where Marshal fails.
// Documents encoded by the thousand implement it with the helpers below,
// instead of paying for reflection.
type Appender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// AppendFloat appends f as encoding/json does: %f, or %e far from 1, with
// a short exponent; NaN and infinities fail with encoding/json's error.
func AppendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		q, err := json.Marshal(f) // the error encoding/json gives
		return append(b, q...), err
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// AppendStrings appends a list of strings: null when nil.
func AppendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, s)
	}
	return append(b, ']')
}

// AppendBool appends true or false.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// AppendStringField appends name (the key, with its comma or brace and its
// colon) and the string s.
func AppendStringField(b []byte, name string, s string) []byte {
	b = append(b, name...)
	return AppendString(b, s)
}

// AppendTimeField appends name and the time t.
func AppendTimeField(b []byte, name string, t time.Time) ([]byte, error) {
	b = append(b, name...)
	return AppendTime(b, t)
}

// AppendOptTime appends name and *t, nothing when t is nil (omitempty).
func AppendOptTime(b []byte, name string, t *time.Time) ([]byte, error) {
	if t == nil {
		return b, nil
	}
	return AppendTimeField(b, name, *t)
}

// AppendOptFloat appends name and *f, nothing when f is nil (omitempty).
func AppendOptFloat(b []byte, name string, f *float64) ([]byte, error) {
	if f == nil {
		return b, nil
	}
	b = append(b, name...)
	return AppendFloat(b, *f)
}

// AppendSlice appends a list of values that append their own JSON: null
// when nil.
func AppendSlice[T any, P interface {
	*T
	Appender
}](b []byte, list []T) ([]byte, error) {
	if list == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i := range list {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = P(&list[i]).AppendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// AppendMap appends a map of values that append their own JSON, its keys
// sorted as encoding/json sorts them: null when nil.
func AppendMap[T any, P interface {
	*T
	Appender
}](b []byte, m map[string]T) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		v := m[k]
		var err error
		if b, err = P(&v).AppendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
