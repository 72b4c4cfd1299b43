package srp

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
)

// This file is Cognito's variant of SRP-6a (RFC 5054) as its clients
// compute it: amazon-cognito-identity-js (AuthenticationHelper.js,
// CognitoUser.js, DateHelper.js), which Amplify and the mobile SDKs
// mirror. docs/srp.md describes the protocol; testdata holds vectors
// made by running that library.

// srpPrimeHex is the 3072-bit MODP group prime of RFC 3526, section 4; its
// generator is 2.
const srpPrimeHex = "" +
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74" +
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437" +
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05" +
	"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB" +
	"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718" +
	"3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33" +
	"A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864" +
	"D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2" +
	"08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"

const (
	// srpGroupLen is the length of N in bytes.
	srpGroupLen = 384
	// srpSaltLen is the length of a user's salt in bytes, as Cognito sends
	// it (32 hex digits).
	srpSaltLen = 16
	// srpSecretLen is the length of the server's private exponent b in
	// bytes. RFC 3526, section 8, estimates the 3072-bit group at 130 to
	// 200 bits of strength and asks for exponents of 260 to 320 bits;
	// 384 bits clears both while keeping g^b and (A*v^u)^b cheap.
	srpSecretLen = 48
	// srpMaxAHexLen bounds SRP_A before it is parsed: A < N has at most
	// 768 hex digits; the rest allows for leading zeros.
	srpMaxAHexLen = 1024
	// srpKeyLen and srpInfo are the HKDF output length and info string
	// of the password authentication key.
	srpKeyLen = 16
	srpInfo   = "Caldera Derived Key"
	// srpVerifierVersion tags the MarshalBinary encoding.
	srpVerifierVersion = 1
)

// TimestampLayout is the TIMESTAMP clients sign: the UTC time as
// "ddd MMM D HH:mm:ss UTC YYYY", the day of the month not zero-padded, as
// DateHelper.getNowString in amazon-cognito-identity-js writes it.
const TimestampLayout = "Mon Jan 2 15:04:05 UTC 2006"

// TimestampSkew is how far a TIMESTAMP may be from the server's clock,
// either way. Cognito does not document its tolerance; five minutes is
// what AWS request signing allows and what clients with a skewed clock
// report failing beyond.
const TimestampSkew = 5 * time.Minute

// msgIncorrectPassword is the message Cognito gives for every failed
// password proof.
const msgIncorrectPassword = "Incorrect username or password."

// Causes recorded on the errors VerifyClaim returns, for the log and for
// errors.Is; the client sees only the Cognito exception.
var (
	// ErrTimestamp means a TIMESTAMP not in TimestampLayout,
	// including a zero-padded day or a weekday that does not match the
	// date (Cognito refuses both).
	ErrTimestamp = errors.New("srp: timestamp is not in the client's format")
	// ErrStaleTimestamp means a TIMESTAMP further than
	// TimestampSkew from the server's clock.
	ErrStaleTimestamp = errors.New("srp: timestamp too far from the server's clock")
	// ErrPublicA means an SRP_A that is not hex or is 0 mod N.
	ErrPublicA = errors.New("srp: SRP_A is not a valid public value")
	// ErrScrambler means u = H(A || B) is zero.
	ErrScrambler = errors.New("srp: u is zero")
)

var (
	srpN = mustBigHex(srpPrimeHex)
	srpG = big.NewInt(2)
	// srpK is the SRP-6a multiplier k = H(N || g), both in the client's
	// padHex form.
	srpK = new(big.Int).SetBytes(srpHash(srpPad(srpN), srpPad(srpG)))
)

func mustBigHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("srp: bad SRP group constant")
	}
	return n
}

// srpPad returns the bytes of the client's padHex for a non-negative n:
// the shortest big-endian encoding, with a leading zero byte when the high
// bit is set, as a signed two's-complement integer would have it (so zero
// is one zero byte). Every hash input that is a number goes through it.
func srpPad(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		return append([]byte{0}, b...)
	}
	return b
}

// srpHash is SHA-256 of the concatenation of parts.
func srpHash(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// srpX is the private value x = H(pad(salt) || H(poolName || userID || ":"
// || password)). The client reads SALT as a number, so leading zero bytes
// of the salt drop out before padding, here as there.
func srpX(salt []byte, poolName, userIDForSRP, password string) *big.Int {
	inner := srpHash([]byte(poolName + userIDForSRP + ":" + password))
	return new(big.Int).SetBytes(srpHash(srpPad(new(big.Int).SetBytes(salt)), inner))
}

// Verifier is what the server keeps of a password for SRP: the user's
// salt and the verifier v = g^x mod N. A verifier lets whoever holds it
// test password guesses offline, so it is stored encrypted (see
// docs/srp.md).
type Verifier struct {
	Salt     []byte
	Verifier *big.Int
}

// NewVerifier makes a verifier for a user's password with a fresh
// random salt. poolName is the part of the pool ID after the underscore;
// userIDForSRP is the user's internal username, the USER_ID_FOR_SRP that
// PASSWORD_VERIFIER hands the client.
func NewVerifier(poolName, userIDForSRP, password string) (Verifier, error) {
	salt := make([]byte, srpSaltLen)
	rand.Read(salt) // crypto/rand.Read never fails; it crashes the program instead
	return newVerifier(salt, poolName, userIDForSRP, password), nil
}

func newVerifier(salt []byte, poolName, userIDForSRP, password string) Verifier {
	x := srpX(salt, poolName, userIDForSRP, password)
	return Verifier{Salt: salt, Verifier: new(big.Int).Exp(srpG, x, srpN)}
}

// SaltHex is the SALT challenge parameter: the salt as lowercase hex. The
// client parses it as a number.
func (v Verifier) SaltHex() string { return hex.EncodeToString(v.Salt) }

// valid reports whether v can serve an SRP exchange: a salt of sane length
// and a verifier in [2, N-1].
func (v Verifier) valid() bool {
	return len(v.Salt) > 0 && len(v.Salt) <= 255 && v.Verifier != nil &&
		v.Verifier.Cmp(big.NewInt(1)) > 0 && v.Verifier.Cmp(srpN) < 0
}

var errBadVerifier = errors.New("srp: malformed verifier")

// MarshalBinary encodes v as a version byte, the salt's length and the
// salt, then the verifier as 384 big-endian bytes. Seal the result before
// storing it.
func (v Verifier) MarshalBinary() ([]byte, error) {
	if !v.valid() {
		return nil, errBadVerifier
	}
	out := make([]byte, 0, 2+len(v.Salt)+srpGroupLen)
	out = append(out, srpVerifierVersion, byte(len(v.Salt)))
	out = append(out, v.Salt...)
	out = append(out, make([]byte, srpGroupLen)...)
	v.Verifier.FillBytes(out[len(out)-srpGroupLen:])
	return out, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote, refusing anything
// else.
func (v *Verifier) UnmarshalBinary(data []byte) error {
	if len(data) < 2 || data[0] != srpVerifierVersion || len(data) != 2+int(data[1])+srpGroupLen {
		return errBadVerifier
	}
	saltEnd := 2 + int(data[1])
	d := Verifier{
		Salt:     append([]byte(nil), data[2:saltEnd]...),
		Verifier: new(big.Int).SetBytes(data[saltEnd:]),
	}
	if !d.valid() {
		return errBadVerifier
	}
	*v = d
	return nil
}

// Server is the server's side of one USER_SRP_AUTH attempt: the private
// exponent b and the public value B = (k*v + g^b) mod N sent as SRP_B.
// Between InitiateAuth and RespondToAuthChallenge the flow engine keeps
// Secret and Public sealed (in the SECRET_BLOCK) and rebuilds the server
// with RestoreServerWithB, which does not compute B again.
type Server struct {
	B *big.Int
	b *big.Int
	v *big.Int

	// Now is the clock VerifyClaim checks the TIMESTAMP against; nil means
	// time.Now.
	Now func() time.Time
}

// NewServer starts an attempt against verifier v with a fresh random b.
func NewServer(v Verifier) (*Server, error) {
	if !v.valid() {
		return nil, cognito.InternalErrorException("Internal error").WithCause(errBadVerifier)
	}
	secret := make([]byte, srpSecretLen)
	for {
		rand.Read(secret)
		if s, ok := newServer(v.Verifier, secret); ok {
			return s, nil
		}
	}
}

// RestoreServer rebuilds the attempt that Secret returned, against the
// same verifier, computing B again from b: a 3072-bit modular
// exponentiation. RestoreServerWithB avoids it where B was kept too.
func RestoreServer(v Verifier, secret []byte) (*Server, error) {
	if !v.valid() {
		return nil, cognito.InternalErrorException("Internal error").WithCause(errBadVerifier)
	}
	if len(secret) != srpSecretLen {
		return nil, cognito.InternalErrorException("Internal error").WithCause(fmt.Errorf("srp: secret is %d bytes, want %d", len(secret), srpSecretLen))
	}
	s, ok := newServer(v.Verifier, secret)
	if !ok {
		return nil, cognito.InternalErrorException("Internal error").WithCause(errors.New("srp: secret gives an invalid B"))
	}
	return s, nil
}

// RestoreServerWithB rebuilds the attempt that Secret and Public
// returned, against the same verifier, taking B as given instead of
// computing it again. public must come from where only the server could
// have put it next to secret (the flow engine seals both with
// authenticated encryption): a B that does not belong to b makes every
// claim fail, and one chosen by an attacker could make S predictable. It
// still refuses a secret or B of the wrong length, b = 0, and a B that is
// 0 mod N or not below N, as RestoreServer refuses what it would not
// have made.
func RestoreServerWithB(v Verifier, secret, public []byte) (*Server, error) {
	if !v.valid() {
		return nil, cognito.InternalErrorException("Internal error").WithCause(errBadVerifier)
	}
	if len(secret) != srpSecretLen {
		return nil, cognito.InternalErrorException("Internal error").WithCause(fmt.Errorf("srp: secret is %d bytes, want %d", len(secret), srpSecretLen))
	}
	if len(public) != srpGroupLen {
		return nil, cognito.InternalErrorException("Internal error").WithCause(fmt.Errorf("srp: B is %d bytes, want %d", len(public), srpGroupLen))
	}
	b := new(big.Int).SetBytes(secret)
	B := new(big.Int).SetBytes(public)
	if b.Sign() == 0 || B.Sign() == 0 || B.Cmp(srpN) >= 0 {
		return nil, cognito.InternalErrorException("Internal error").WithCause(errors.New("srp: invalid b or B"))
	}
	return &Server{B: B, b: b, v: v.Verifier}, nil
}

// newServer computes B for b = secret; ok is false when b is zero or B
// is 0 mod N, which the client would refuse.
func newServer(v *big.Int, secret []byte) (*Server, bool) {
	b := new(big.Int).SetBytes(secret)
	if b.Sign() == 0 {
		return nil, false
	}
	B := new(big.Int).Mul(srpK, v)
	B.Add(B, new(big.Int).Exp(srpG, b, srpN))
	B.Mod(B, srpN)
	if B.Sign() == 0 {
		return nil, false
	}
	return &Server{B: B, b: b, v: v}, true
}

// PublicB is the SRP_B challenge parameter: B as lowercase hex without
// leading zeros. The client parses it as a number.
func (s *Server) PublicB() string { return s.B.Text(16) }

// Secret is b as fixed-length bytes, for RestoreServer and
// RestoreServerWithB. It is the attempt's private key: seal it before it
// leaves the server.
func (s *Server) Secret() []byte { return s.b.FillBytes(make([]byte, srpSecretLen)) }

// Public is B as fixed-length bytes (the length of N), for
// RestoreServerWithB. Keep it where Secret is kept, sealed: the server
// must get back the B it made.
func (s *Server) Public() []byte { return s.B.FillBytes(make([]byte, srpGroupLen)) }

// ParseA parses SRP_A as the client sends it (hex of any case and
// length, as JavaScript's, Java's and OpenSSL's big integers print it)
// and refuses a value that is not hex, is 0 mod N, or is not below N: a
// client that follows the protocol always sends g^a mod N, and A = 0 mod N
// would let anyone pass without the password (RFC 5054, section 2.5.4).
// The error is InvalidParameterException, which Cognito answers to a
// malformed SRP_A.
func ParseA(srpAHex string) (*big.Int, error) {
	bad := cognito.InvalidParameterException("SRP_A is not a valid SRP public value.")
	if srpAHex == "" || len(srpAHex) > srpMaxAHexLen {
		return nil, bad.WithCause(ErrPublicA)
	}
	for i := 0; i < len(srpAHex); i++ {
		if c := srpAHex[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return nil, bad.WithCause(ErrPublicA)
		}
	}
	A, ok := new(big.Int).SetString(srpAHex, 16)
	if !ok || A.Sign() == 0 || A.Cmp(srpN) >= 0 {
		return nil, bad.WithCause(ErrPublicA)
	}
	return A, nil
}

// VerifyClaim checks the PASSWORD_VERIFIER answer: the client's SRP_A from
// InitiateAuth, the SECRET_BLOCK it echoes (decoded from base64), its
// TIMESTAMP and PASSWORD_CLAIM_SIGNATURE. poolName and userIDForSRP are
// the values the verifier was made with.
//
// It reports true only when the signature is
// base64(HMAC-SHA256(K, poolName || userIDForSRP || secretBlock ||
// timestamp)) for the key K that the password behind the verifier gives,
// compared in constant time. false with a nil error is a wrong password
// (or a forged signature): the flow engine counts it as a failed sign-in.
// An error means the answer could not be checked: a TIMESTAMP not in the
// client's format or further than TimestampSkew from s.Now
// (NotAuthorizedException, as Cognito answers), a malformed SRP_A
// (InvalidParameterException) or u = 0 (NotAuthorizedException); the
// cause is one of the ErrSRP errors.
func (s *Server) VerifyClaim(poolName, userIDForSRP, srpAHex string, secretBlock []byte, timestamp, signatureB64 string) (bool, error) {
	ts, err := ParseTimestamp(timestamp)
	if err != nil {
		return false, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if d := now().Sub(ts); d > TimestampSkew || d < -TimestampSkew {
		return false, cognito.NotAuthorizedException(msgIncorrectPassword).WithCause(fmt.Errorf("%w: %q is %v from now", ErrStaleTimestamp, timestamp, d))
	}
	A, err := ParseA(srpAHex)
	if err != nil {
		return false, err
	}
	key, err := s.passwordAuthenticationKey(A)
	if err != nil {
		return false, err
	}
	want := srpSignature(key, poolName, userIDForSRP, secretBlock, timestamp)
	got, err := base64.StdEncoding.DecodeString(signatureB64)
	if err != nil {
		return false, nil
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// passwordAuthenticationKey is the key both sides derive from the shared
// secret: K = HKDF-SHA256 of pad(S) with pad(u) as the salt and "Caldera
// Derived Key" as the info, 16 bytes.
func (s *Server) passwordAuthenticationKey(A *big.Int) ([]byte, error) {
	u, S, err := s.sharedSecret(A)
	if err != nil {
		return nil, err
	}
	key, err := hkdf.Key(sha256.New, srpPad(S), srpPad(u), srpInfo, srpKeyLen)
	if err != nil {
		return nil, cognito.InternalErrorException("Internal error").WithCause(fmt.Errorf("srp: hkdf: %w", err))
	}
	return key, nil
}

// sharedSecret returns u = H(pad(A) || pad(B)) and S = (A * v^u)^b mod N,
// which the client reaches as (B - k*g^x)^(a + u*x) mod N. It refuses
// u = 0, which would take v out of S (RFC 5054, section 2.6).
func (s *Server) sharedSecret(A *big.Int) (u, S *big.Int, err error) {
	u = srpScrambler(A, s.B)
	if u.Sign() == 0 {
		return nil, nil, cognito.NotAuthorizedException(msgIncorrectPassword).WithCause(ErrScrambler)
	}
	S = new(big.Int).Exp(s.v, u, srpN)
	S.Mul(S, A).Mod(S, srpN)
	S.Exp(S, s.b, srpN)
	return u, S, nil
}

// srpScrambler is u = H(pad(A) || pad(B)); a variable so that a test can
// make it zero, which SHA-256 never does in practice.
var srpScrambler = func(A, B *big.Int) *big.Int {
	return new(big.Int).SetBytes(srpHash(srpPad(A), srpPad(B)))
}

// srpSignature is HMAC-SHA256(key, poolName || userIDForSRP || secretBlock
// || timestamp), the PASSWORD_CLAIM_SIGNATURE before base64.
func srpSignature(key []byte, poolName, userIDForSRP string, secretBlock []byte, timestamp string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(poolName))
	m.Write([]byte(userIDForSRP))
	m.Write(secretBlock)
	m.Write([]byte(timestamp))
	return m.Sum(nil)
}

// FormatTimestamp writes t in TimestampLayout, in UTC, as clients
// write TIMESTAMP.
func FormatTimestamp(t time.Time) string { return t.UTC().Format(TimestampLayout) }

// ParseTimestamp reads a TIMESTAMP in exactly TimestampLayout: a
// zero-padded day, a weekday that does not match the date, or any other
// deviation from what FormatTimestamp writes is refused, as Cognito
// refuses it, with NotAuthorizedException and ErrTimestamp as the
// cause.
func ParseTimestamp(s string) (time.Time, error) {
	bad := func() (time.Time, error) {
		return time.Time{}, cognito.NotAuthorizedException(msgIncorrectPassword).WithCause(fmt.Errorf("%w: %q", ErrTimestamp, s))
	}
	if len(s) > len("Wed Sep 30 23:59:59 UTC 2006")+4 {
		return bad()
	}
	t, err := time.Parse(TimestampLayout, s)
	// time.Parse reads "05" for the day and ignores the weekday; writing
	// the time back and comparing catches both.
	if err != nil || FormatTimestamp(t) != s {
		return bad()
	}
	return t, nil
}

// FakeChallenge returns SALT and SRP_B for a user that does not exist,
// so that with PreventUserExistenceErrors the answer to InitiateAuth looks
// like a real user's. The salt is stable, derived with HMAC-SHA256 from key
// and the pool and username, as a real user's salt is stable; SRP_B is
// fresh on every call, as a real user's is, and costs the same to make. A
// stable fake B would give the fake away: asking twice would show it.
//
// Pass the username as the pool compares it (lowercased when usernames are
// case-insensitive), or two spellings of one missing name would get two
// salts where an existing user has one. key should be a key of its own
// (seal.DeriveKey of the master key); it never leaves the server.
//
// FakeVerifier gives the verifier behind these values, so the engine can
// run a missing user through NewServer, RestoreServerWithB and
// VerifyClaim like an existing one (every claim fails).
func FakeChallenge(key []byte, poolID, username string) (saltHex, srpBHex string) {
	v := FakeVerifier(key, poolID, username)
	s, _ := NewServer(v) // a fake verifier is always valid
	return v.SaltHex(), s.PublicB()
}

// FakeVerifier is the stable verifier FakeChallenge answers with for
// a user that does not exist: a salt and a verifier derived from key, the
// pool ID and the username with HMAC-SHA256. No password matches it short
// of a discrete logarithm.
func FakeVerifier(key []byte, poolID, username string) Verifier {
	derive := func(label string, n int) []byte {
		out := make([]byte, 0, n+sha256.Size)
		for i := byte(1); len(out) < n; i++ {
			m := hmac.New(sha256.New, key)
			m.Write([]byte(label))
			m.Write([]byte{0})
			m.Write([]byte(poolID))
			m.Write([]byte{0})
			m.Write([]byte(username))
			m.Write([]byte{i})
			out = m.Sum(out)
		}
		return out[:n]
	}
	// 64 bits more than N so that reducing mod N leaves no usable bias.
	v := new(big.Int).SetBytes(derive("cognate srp fake verifier", srpGroupLen+8))
	v.Mod(v, srpN)
	if v.Cmp(big.NewInt(1)) <= 0 {
		v.SetInt64(2)
	}
	return Verifier{Salt: derive("cognate srp fake salt", srpSaltLen), Verifier: v}
}

// ClientVerifier is the verifier a client made itself, as
// amazon-cognito-identity-js makes one for a remembered device
// (generateHashDevice, sent in ConfirmDevice's DeviceSecretVerifierConfig
// base64-decoded): the salt and v = g^x mod N as big-endian bytes, with x
// = H(pad(salt) || H(deviceGroupKey || deviceKey || ":" || secret)). It
// refuses a salt that is empty or longer than 255 bytes, and a v not in
// [2, N-1], which no client that follows the protocol sends.
func ClientVerifier(salt, verifier []byte) (Verifier, error) {
	v := Verifier{Salt: append([]byte(nil), salt...), Verifier: new(big.Int).SetBytes(verifier)}
	if !v.valid() {
		return Verifier{}, errBadVerifier
	}
	return v, nil
}
