// Package auth knows who calls the API: principals (a name and a role) and
// the bearer tokens they present.
//
// Principals and tokens are facts like any other, so they are stored as
// events in the event store (stream Stream). Several API instances sharing a
// store therefore share principals; each keeps an in-memory index, loaded at
// Open and kept current by a subscription, so authenticating a request never
// touches the store.
//
// Tokens are 256-bit random secrets; the store only ever holds their SHA-256
// hash. A fast hash is right here: with 256 bits of entropy there is nothing
// for a slow hash to protect against guessing.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// Stream is the event stream holding every principal and token event.
const Stream = "candor.principals"

// Event types written to Stream.
const (
	TypePrincipalCreated = "principal.created"
	TypeTokenIssued      = "token.issued"
	TypeTokenRevoked     = "token.revoked"
	// A disabled principal's tokens stop authenticating, all at once,
	// until it is enabled again; its tokens are kept, not revoked.
	TypePrincipalDisabled = "principal.disabled"
	TypePrincipalEnabled  = "principal.enabled"
)

// Role says what a principal may do.
type Role string

const (
	// RoleAdmin manages principals and tokens, and reads everything.
	RoleAdmin Role = "admin"
	// RoleMember works on the engagements where it is a stakeholder.
	RoleMember Role = "member"
	// RoleAuditor reads everything and writes nothing.
	RoleAuditor Role = "auditor"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleMember, RoleAuditor:
		return true
	}
	return false
}

// Principal is someone (or something) that calls the API.
type Principal struct {
	ID        string
	Name      string
	Role      Role
	CreatedAt time.Time
	Disabled  bool
}

// Token describes an issued token; it never holds the secret.
type Token struct {
	ID          string
	PrincipalID string
	Label       string
	CreatedAt   time.Time
	Revoked     bool
}

// IssuedToken is a token together with its secret, returned once at issue.
type IssuedToken struct {
	Token
	Secret string
}

// Errors of this package. Test with errors.Is.
var (
	ErrUnauthenticated   = errors.New("auth: missing, unknown or revoked token")
	ErrPrincipalNotFound = errors.New("auth: principal not found")
	ErrTokenNotFound     = errors.New("auth: token not found")
	ErrInvalidRole       = errors.New("auth: invalid role")
	ErrInvalidName       = errors.New("auth: invalid name")
	ErrInvalidToken      = errors.New("auth: malformed token secret")
	ErrClosed            = errors.New("auth: registry closed")
	// ErrLastAdmin refuses what would leave no enabled admin with a
	// usable token: nobody could manage principals any more, and a new
	// CANDOR_ADMIN_TOKEN is not added to a store that has principals.
	ErrLastAdmin = errors.New("auth: this would leave no enabled admin with a usable token")
	// ErrBusy: the principals kept changing concurrently (other instances
	// writing) while a guarded change was being checked; retry.
	ErrBusy = errors.New("auth: principals changed concurrently; retry")
)

// secretPrefix makes Candor tokens recognisable by secret scanners and in
// configuration files.
const secretPrefix = "cnd_"

// secretBytes is the entropy of a token: 256 bits.
const secretBytes = 32

var secretLen = len(secretPrefix) + base64.RawURLEncoding.EncodedLen(secretBytes)

// NewSecret returns a fresh random token secret.
func NewSecret() string {
	var b [secretBytes]byte
	// crypto/rand.Read never fails on supported platforms (it panics
	// instead), so there is no error to handle.
	_, _ = rand.Read(b[:])
	return secretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidSecret reports whether s has the shape of a token secret (not whether
// it was issued). Configured admin tokens are checked with it so that a weak
// secret is refused at start.
func ValidSecret(s string) bool {
	if len(s) != secretLen || !strings.HasPrefix(s, secretPrefix) {
		return false
	}
	// Decoded into a fixed array: this runs on every request.
	var b [secretBytes + 2]byte
	n, err := base64.RawURLEncoding.Decode(b[:], []byte(s[len(secretPrefix):]))
	return err == nil && n == secretBytes
}

type tokenHash [sha256.Size]byte

func hashSecret(secret string) tokenHash {
	var buf [64]byte // a valid secret fits: no allocation per request
	return sha256.Sum256(append(buf[:0], secret...))
}

func (h tokenHash) String() string { return hex.EncodeToString(h[:]) }

func parseHash(s string) (tokenHash, error) {
	var h tokenHash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, errors.New("auth: bad token hash")
	}
	copy(h[:], b)
	return h, nil
}

// equalHash compares in constant time. The index lookup that precedes it is
// keyed by the hash, not by the secret, so timing reveals nothing usable
// about a secret; the comparison keeps it that way if the index changes.
func equalHash(a, b tokenHash) bool { return subtle.ConstantTimeCompare(a[:], b[:]) == 1 }
