package verifier

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is the body of a signed checkpoint, in the C2SP
// tlog-checkpoint format: the log's origin, the tree size, the root hash
// (base64), then one extension line with the time it was signed.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Time   time.Time
}

// ErrCheckpoint is wrapped by every error about a checkpoint's text or
// signature.
var ErrCheckpoint = errors.New("verifier: bad checkpoint")

const timePrefix = "time "

// Format returns the checkpoint's note text (unsigned).
func (c Checkpoint) Format() string {
	return fmt.Sprintf("%s\n%d\n%s\n%s%s\n", c.Origin, c.Size,
		base64.StdEncoding.EncodeToString(c.Root[:]), timePrefix, c.Time.UTC().Format(time.RFC3339Nano))
}

// ParseCheckpoint reads a checkpoint's text (the note's text, without its
// signatures), strictly: any other form is refused.
func ParseCheckpoint(text string) (Checkpoint, error) {
	var c Checkpoint
	lines := strings.Split(text, "\n")
	if len(lines) != 5 || lines[4] != "" {
		return c, fmt.Errorf("%w: want 4 lines", ErrCheckpoint)
	}
	c.Origin = lines[0]
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return c, fmt.Errorf("%w: tree size %q", ErrCheckpoint, lines[1])
	}
	c.Size = size
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != len(c.Root) {
		return c, fmt.Errorf("%w: root hash %q", ErrCheckpoint, lines[2])
	}
	copy(c.Root[:], root)
	ts, ok := strings.CutPrefix(lines[3], timePrefix)
	if !ok {
		return c, fmt.Errorf("%w: no time line", ErrCheckpoint)
	}
	if c.Time, err = time.Parse(time.RFC3339Nano, ts); err != nil {
		return c, fmt.Errorf("%w: time %q", ErrCheckpoint, ts)
	}
	return c, nil
}

// OpenCheckpoint checks that a signed checkpoint (a signed note) carries a
// valid signature by one of keys (note verifier keys, "name+hash+key") and
// returns its body, and the name of the key that signed it.
func OpenCheckpoint(signed string, keys []string) (Checkpoint, string, error) {
	vs := make([]note.Verifier, 0, len(keys))
	for _, k := range keys {
		v, err := note.NewVerifier(k)
		if err != nil {
			return Checkpoint{}, "", fmt.Errorf("%w: public key %q: %v", ErrCheckpoint, k, err)
		}
		vs = append(vs, v)
	}
	n, err := note.Open([]byte(signed), note.VerifierList(vs...))
	if err != nil {
		return Checkpoint{}, "", fmt.Errorf("%w: signature: %v", ErrCheckpoint, err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return c, "", err
	}
	signer := n.Sigs[0].Name
	if c.Origin != signer {
		return c, "", fmt.Errorf("%w: origin %q is not the signer's name %q", ErrCheckpoint, c.Origin, signer)
	}
	return c, signer, nil
}
