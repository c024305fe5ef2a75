package api

import (
	"errors"
	"time"
)

// errNotDateTime is the reason a string fails format: date-time.
var errNotDateTime = errors.New("not an RFC 3339 date-time")

// dateTimeFormat validates the contract's format: date-time exactly as the
// handlers then parse it (time.Time's JSON and text decoding, RFC 3339
// with a valid calendar date, no leap second), so that a value the
// validation lets through never fails later without a pointer to it.
// kin-openapi's own check is a regular expression that lets through
// 2026-02-30 and second 60.
type dateTimeFormat struct{}

func (dateTimeFormat) Validate(s string) error {
	var t time.Time
	if t.UnmarshalText([]byte(s)) != nil {
		return errNotDateTime
	}
	return nil
}
