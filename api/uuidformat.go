package api

import "errors"

// errNotUUID is the reason a string fails format: uuid.
var errNotUUID = errors.New("not a UUID")

// uuidFormat validates the contract's format: uuid as kin-openapi's
// FormatOfStringForUUIDOfRFC9562 regular expression does — the 8-4-4-4-12
// hexadecimal form with a version digit 1 to 8 and an RFC 9562 variant,
// or the nil or max UUID — accepting and rejecting exactly the same
// strings (uuidformat_test.go compares the two), without running a regular
// expression on every id of every request.
type uuidFormat struct{}

func (uuidFormat) Validate(s string) error {
	if !isUUID(s) {
		return errNotUUID
	}
	return nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	allZero, allF := true, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
			continue
		}
		if !isHex(c) {
			return false
		}
		allZero = allZero && c == '0'
		allF = allF && (c == 'f' || c == 'F')
	}
	if allZero || allF {
		return true
	}
	v, variant := s[14], s[19]
	return v >= '1' && v <= '8' && (variant == '8' || variant == '9' || variant == 'a' || variant == 'b' || variant == 'A' || variant == 'B')
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
