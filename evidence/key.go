package evidence

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Files of the evidence log in the data directory.
const (
	KeyFile     = "evidence.key"     // the signing key (note private key), 0600
	OldKeysFile = "evidence.oldkeys" // previous public keys, one a line
	DBFile      = "evidence.db"
)

// Key is the log's signing key, with the public keys of the keys it replaced.
type Key struct {
	Signer   note.Signer
	Public   string   // note verifier key of Signer
	Previous []string // older public keys, still valid for old checkpoints
}

// Verifiers lists the current public key, then the previous ones.
func (k *Key) Verifiers() []string { return append([]string{k.Public}, k.Previous...) }

// LoadKey reads the signing key from path, or creates it there (0600) when
// create is set and no file exists. It returns whether it created it.
// Previous public keys are read from OldKeysFile in the same directory.
func LoadKey(path string, create bool) (*Key, bool, error) {
	created := false
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		if b, err = newKeyFile(path); err == nil {
			created = true
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("evidence: signing key: %w", err)
	}
	skey := strings.TrimSpace(string(b))
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, false, fmt.Errorf("evidence: signing key %s: %w", path, err)
	}
	k := &Key{Signer: signer}
	if k.Public, err = publicKey(skey); err != nil {
		return nil, false, err
	}
	if k.Previous, err = readOldKeys(filepath.Join(filepath.Dir(path), OldKeysFile)); err != nil {
		return nil, false, err
	}
	return k, created, nil
}

func newKeyFile(path string) ([]byte, error) {
	var n [4]byte
	_, _ = rand.Read(n[:])
	skey, _, err := note.GenerateKey(rand.Reader, "candor-"+hex.EncodeToString(n[:]))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return []byte(skey), f.Close()
}

// publicKey derives the verifier key of a note private key
// ("PRIVATE+KEY+name+hash+base64(0x01 || Ed25519 seed)").
func publicKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5) // the key's base64 may hold "+"
	if len(parts) != 5 {
		return "", errors.New("evidence: malformed signing key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("evidence: signing key is not an Ed25519 note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

func readOldKeys(path string) ([]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("evidence: previous keys: %w", err)
	}
	defer f.Close()
	var keys []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k := strings.TrimSpace(sc.Text()); k != "" && !strings.HasPrefix(k, "#") {
			if _, err := note.NewVerifier(k); err != nil {
				return nil, fmt.Errorf("evidence: %s: %w", path, err)
			}
			keys = append(keys, k)
		}
	}
	return keys, sc.Err()
}

// Rotate replaces the signing key at path with a new one and appends the
// old public key to OldKeysFile: checkpoints signed before stay
// verifiable, the tree does not change. Run it with the server stopped.
func Rotate(path string) (*Key, error) {
	old, _, err := LoadKey(path, false)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(filepath.Dir(path), OldKeysFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("evidence: previous keys: %w", err)
	}
	if _, err := f.WriteString(old.Public + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	// The old private key goes: a key rotated because it leaked must not
	// sign anything more. Its public key verifies what it signed.
	if err := os.Remove(path); err != nil {
		return nil, fmt.Errorf("evidence: retire key: %w", err)
	}
	k, _, err := LoadKey(path, true)
	return k, err
}
