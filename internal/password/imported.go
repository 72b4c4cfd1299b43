package password

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/pbkdf2"
	"golang.org/x/crypto/scrypt"
)

// Algorithms of imported password hashes, as CreateUserImportJob's
// PasswordHashingAlgorithm names them.
const (
	AlgorithmBcrypt       = "BCRYPT"
	AlgorithmScrypt       = "SCRYPT"
	AlgorithmArgon2id     = "ARGON2ID"
	AlgorithmPBKDF2SHA256 = "PBKDF2_SHA256"
)

// Bounds of the parameters an imported hash may carry: a hash beyond them
// is refused at import, so that one row cannot make every sign-in of its
// user cost more than the server can give.
const (
	maxBcryptCost        = 16
	maxScryptLogN        = 20 // N = 2^20
	maxScryptRP          = 64 // r*p
	maxArgon2MemoryKiB   = 1 << 20
	maxArgon2Iterations  = 16
	maxArgon2Parallelism = 16
	maxPBKDF2Iterations  = 10_000_000
	minSaltBytes         = 8
	minKeyBytes          = 16
	maxKeyBytes          = 128
)

// ErrImportedHash is the error of a hash that does not parse, or whose
// parameters are out of bounds.
var ErrImportedHash = errors.New("malformed password hash")

// Imported is a parsed imported password hash: the algorithm, its
// parameters and the derived key, as the user's former directory made it.
type Imported struct {
	Algorithm string
	encoded   string
	// scrypt: logN, r, p; argon2id: memory (KiB), iterations, parallelism
	// (and version); pbkdf2: iterations.
	n, r, p  int
	version  int
	salt, dk []byte
}

// phcB64 decodes the unpadded standard base64 of PHC strings (and accepts
// padding, which some writers add).
func phcB64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// phcParams reads "k=v,k=v" into integers.
func phcParams(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, ErrImportedHash
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, ErrImportedHash
		}
		out[k] = n
	}
	return out, nil
}

// ParseImported parses encoded, a password hash of algorithm in its
// standard string form (docs/import.md):
//
//   - BCRYPT: the modular-crypt string $2a$, $2b$ or $2y$ with its cost;
//   - ARGON2ID: the PHC string $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<hash>;
//   - SCRYPT: $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>;
//   - PBKDF2_SHA256: $pbkdf2-sha256$i=<iterations>$<salt>$<hash>;
//
// salts and hashes in unpadded standard base64. It refuses parameters
// beyond the bounds above.
func ParseImported(algorithm, encoded string) (*Imported, error) {
	im := &Imported{Algorithm: algorithm, encoded: encoded}
	parts := strings.Split(encoded, "$")
	switch algorithm {
	case AlgorithmBcrypt:
		cost, err := bcrypt.Cost([]byte(encoded))
		if err != nil || cost > maxBcryptCost || len(parts) != 4 || (parts[1] != "2a" && parts[1] != "2b" && parts[1] != "2y") {
			return nil, ErrImportedHash
		}
		return im, nil
	case AlgorithmArgon2id:
		if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
			return nil, ErrImportedHash
		}
		v, err := phcParams(parts[2])
		if err != nil || v["v"] != argon2.Version {
			return nil, ErrImportedHash
		}
		ps, err := phcParams(parts[3])
		if err != nil {
			return nil, ErrImportedHash
		}
		im.n, im.r, im.p, im.version = ps["m"], ps["t"], ps["p"], v["v"]
		if im.n < 8*im.p || im.n > maxArgon2MemoryKiB || im.r < 1 || im.r > maxArgon2Iterations || im.p < 1 || im.p > maxArgon2Parallelism {
			return nil, ErrImportedHash
		}
	case AlgorithmScrypt:
		if len(parts) != 5 || parts[0] != "" || parts[1] != "scrypt" {
			return nil, ErrImportedHash
		}
		ps, err := phcParams(parts[2])
		if err != nil {
			return nil, ErrImportedHash
		}
		im.n, im.r, im.p = ps["ln"], ps["r"], ps["p"]
		if im.n < 1 || im.n > maxScryptLogN || im.r < 1 || im.p < 1 || im.r*im.p > maxScryptRP {
			return nil, ErrImportedHash
		}
		parts = append(parts[:3], parts[2:]...) // salt and hash at 4 and 5, as for argon2id
	case AlgorithmPBKDF2SHA256:
		if len(parts) != 5 || parts[0] != "" || parts[1] != "pbkdf2-sha256" {
			return nil, ErrImportedHash
		}
		ps, err := phcParams(parts[2])
		if err != nil {
			return nil, ErrImportedHash
		}
		im.n = ps["i"]
		if im.n < 1 || im.n > maxPBKDF2Iterations {
			return nil, ErrImportedHash
		}
		parts = append(parts[:3], parts[2:]...)
	default:
		return nil, fmt.Errorf("%w: unknown algorithm %q", ErrImportedHash, algorithm)
	}
	var err error
	if im.salt, err = phcB64(parts[4]); err != nil || len(im.salt) < minSaltBytes {
		return nil, ErrImportedHash
	}
	if im.dk, err = phcB64(parts[5]); err != nil || len(im.dk) < minKeyBytes || len(im.dk) > maxKeyBytes {
		return nil, ErrImportedHash
	}
	return im, nil
}

// Encoded returns the hash as it was imported.
func (im *Imported) Encoded() string { return im.encoded }

// verify computes the hash of password with the imported parameters and
// compares it in constant time.
func (im *Imported) verify(password string) (bool, error) {
	var dk []byte
	switch im.Algorithm {
	case AlgorithmBcrypt:
		err := bcrypt.CompareHashAndPassword([]byte(im.encoded), []byte(password))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, nil
		}
		return err == nil, err
	case AlgorithmArgon2id:
		dk = argon2.IDKey([]byte(password), im.salt, uint32(im.r), uint32(im.n), uint8(im.p), uint32(len(im.dk)))
	case AlgorithmScrypt:
		var err error
		if dk, err = scrypt.Key([]byte(password), im.salt, 1<<im.n, im.r, im.p, len(im.dk)); err != nil {
			return false, err
		}
	case AlgorithmPBKDF2SHA256:
		dk = pbkdf2.Key([]byte(password), im.salt, im.n, len(im.dk), sha256.New)
	}
	return subtle.ConstantTimeCompare(dk, im.dk) == 1, nil
}

// VerifyImported checks password against an imported hash, through the
// Hasher's queue of expensive computations like every other hash.
func (h *Hasher) VerifyImported(ctx context.Context, im *Imported, password string) (bool, error) {
	var (
		ok  bool
		err error
	)
	if rerr := h.Run(ctx, func() { ok, err = im.verify(password) }); rerr != nil {
		return false, rerr
	}
	return ok, err
}
