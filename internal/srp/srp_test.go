package srp

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/srp/srpclient"
)

// srpVectorFile is vectors.json as testdata/gen.js writes it: exchanges
// whose client side amazon-cognito-identity-js computed.
type srpVectorFile struct {
	Library string      `json:"library"`
	N       string      `json:"n"`
	G       string      `json:"g"`
	K       string      `json:"k"`
	Vectors []srpVector `json:"vectors"`
}

type srpVector struct {
	Name                   string `json:"name"`
	PoolID                 string `json:"pool_id"`
	PoolName               string `json:"pool_name"`
	LoginName              string `json:"login_name"`
	UserIDForSRP           string `json:"user_id_for_srp"`
	Password               string `json:"password"`
	WrongPassword          string `json:"wrong_password"`
	Salt                   string `json:"salt"`
	X                      string `json:"x"`
	Verifier               string `json:"verifier"`
	A                      string `json:"a"`
	SRPA                   string `json:"srp_a"`
	B                      string `json:"b"`
	SRPB                   string `json:"srp_b"`
	U                      string `json:"u"`
	S                      string `json:"s"`
	HKDFKey                string `json:"hkdf_key"`
	SecretBlock            string `json:"secret_block"`
	TimeUnixMS             int64  `json:"time_unix_ms"`
	Timestamp              string `json:"timestamp"`
	Signature              string `json:"signature"`
	WrongPasswordTimestamp string `json:"wrong_password_timestamp"`
	WrongPasswordSignature string `json:"wrong_password_signature"`
}

func loadSRPVectors(t testing.TB) srpVectorFile {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f srpVectorFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return f
}

func hexInt(t testing.TB, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("bad hex %q", s)
	}
	return n
}

func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func b64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("bad base64 %q: %v", s, err)
	}
	return b
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestSRPGroupMatchesClient(t *testing.T) {
	f := loadSRPVectors(t)
	if got := srpN.Text(16); got != strings.ToLower(f.N) {
		t.Errorf("N = %s, want the client's %s", got, f.N)
	}
	if got := srpG.Text(16); got != f.G {
		t.Errorf("g = %s, want %s", got, f.G)
	}
	if got := srpK.Text(16); got != f.K {
		t.Errorf("k = %s, want the client's %s", got, f.K)
	}
	if srpN.BitLen() != 3072 || !srpN.ProbablyPrime(20) {
		t.Error("N is not a 3072-bit prime")
	}
}

// TestSRPVectors checks every step of the server against exchanges in
// which amazon-cognito-identity-js computed the client side.
func TestSRPVectors(t *testing.T) {
	f := loadSRPVectors(t)
	t.Logf("vectors from %s", f.Library)
	for _, vec := range f.Vectors {
		t.Run(vec.Name, func(t *testing.T) {
			if got := vec.PoolID[strings.IndexByte(vec.PoolID, '_')+1:]; got != vec.PoolName {
				t.Fatalf("pool name %q is not the part of %q after the underscore", vec.PoolName, vec.PoolID)
			}
			salt := hexBytes(t, vec.Salt)
			if got := srpX(salt, vec.PoolName, vec.UserIDForSRP, vec.Password); got.Cmp(hexInt(t, vec.X)) != 0 {
				t.Errorf("x = %x, want %s", got, vec.X)
			}
			v := newVerifier(salt, vec.PoolName, vec.UserIDForSRP, vec.Password)
			if v.Verifier.Cmp(hexInt(t, vec.Verifier)) != 0 {
				t.Fatalf("verifier = %x, want %s", v.Verifier, vec.Verifier)
			}
			if v.SaltHex() != vec.Salt {
				t.Errorf("SALT = %s, want %s", v.SaltHex(), vec.Salt)
			}

			s, err := RestoreServer(v, hexBytes(t, vec.B))
			if err != nil {
				t.Fatalf("RestoreServer: %v", err)
			}
			if got := s.PublicB(); got != vec.SRPB {
				t.Fatalf("SRP_B = %s, want %s", got, vec.SRPB)
			}
			if got := hex.EncodeToString(s.Secret()); got != vec.B {
				t.Errorf("Secret = %s, want b %s", got, vec.B)
			}

			A, err := ParseA(vec.SRPA)
			if err != nil {
				t.Fatalf("ParseA: %v", err)
			}
			if want := new(big.Int).Exp(srpG, hexInt(t, vec.A), srpN); A.Cmp(want) != 0 {
				t.Fatalf("SRP_A is not g^a")
			}
			u, S, err := s.sharedSecret(A)
			if err != nil {
				t.Fatalf("sharedSecret: %v", err)
			}
			if u.Cmp(hexInt(t, vec.U)) != 0 {
				t.Errorf("u = %x, want %s", u, vec.U)
			}
			if S.Cmp(hexInt(t, vec.S)) != 0 {
				t.Errorf("S = %x, want the client's %s", S, vec.S)
			}
			key, err := s.passwordAuthenticationKey(A)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(key); got != vec.HKDFKey {
				t.Errorf("key = %s, want the client's %s", got, vec.HKDFKey)
			}

			when := time.UnixMilli(vec.TimeUnixMS).UTC()
			if got := FormatTimestamp(when); got != vec.Timestamp {
				t.Errorf("FormatTimestamp = %q, want the client's %q", got, vec.Timestamp)
			}
			if got, err := ParseTimestamp(vec.Timestamp); err != nil || !got.Equal(when) {
				t.Errorf("ParseTimestamp(%q) = %v, %v; want %v", vec.Timestamp, got, err, when)
			}

			s.Now = fixedClock(when.Add(90 * time.Second))
			block := b64(t, vec.SecretBlock)
			ok, err := s.VerifyClaim(vec.PoolName, vec.UserIDForSRP, vec.SRPA, block, vec.Timestamp, vec.Signature)
			if err != nil || !ok {
				t.Fatalf("VerifyClaim of the library's signature = %v, %v; want true", ok, err)
			}

			tampered := bytes.Clone(block)
			tampered[len(tampered)/2] ^= 1
			otherSecond := FormatTimestamp(when.Add(time.Second))
			rejects := []struct {
				name                    string
				pool, user, a           string
				block                   []byte
				timestamp, signatureB64 string
			}{
				{"wrong password", vec.PoolName, vec.UserIDForSRP, vec.SRPA, block, vec.WrongPasswordTimestamp, vec.WrongPasswordSignature},
				{"other secret block", vec.PoolName, vec.UserIDForSRP, vec.SRPA, tampered, vec.Timestamp, vec.Signature},
				{"other timestamp", vec.PoolName, vec.UserIDForSRP, vec.SRPA, block, otherSecond, vec.Signature},
				{"other user", vec.PoolName, vec.UserIDForSRP + "x", vec.SRPA, block, vec.Timestamp, vec.Signature},
				{"login name instead of user ID", vec.PoolName, vec.LoginName + "\x00", vec.SRPA, block, vec.Timestamp, vec.Signature},
				{"other pool", vec.PoolName + "x", vec.UserIDForSRP, vec.SRPA, block, vec.Timestamp, vec.Signature},
				{"whole pool ID", vec.PoolID, vec.UserIDForSRP, vec.SRPA, block, vec.Timestamp, vec.Signature},
				{"other A", vec.PoolName, vec.UserIDForSRP, new(big.Int).Exp(srpG, big.NewInt(12345), srpN).Text(16), block, vec.Timestamp, vec.Signature},
				{"signature not base64", vec.PoolName, vec.UserIDForSRP, vec.SRPA, block, vec.Timestamp, "%%%"},
				{"signature truncated", vec.PoolName, vec.UserIDForSRP, vec.SRPA, block, vec.Timestamp, base64.StdEncoding.EncodeToString(b64(t, vec.Signature)[:31])},
				{"empty signature", vec.PoolName, vec.UserIDForSRP, vec.SRPA, block, vec.Timestamp, ""},
			}
			for _, r := range rejects {
				ok, err := s.VerifyClaim(r.pool, r.user, r.a, r.block, r.timestamp, r.signatureB64)
				if ok || err != nil {
					t.Errorf("%s: VerifyClaim = %v, %v; want false, nil", r.name, ok, err)
				}
			}

			// Another attempt against the same verifier has another B, so
			// the recorded signature does not carry over.
			other, err := NewServer(v)
			if err != nil {
				t.Fatal(err)
			}
			other.Now = s.Now
			if ok, err := other.VerifyClaim(vec.PoolName, vec.UserIDForSRP, vec.SRPA, block, vec.Timestamp, vec.Signature); ok || err != nil {
				t.Errorf("replay against a new B: VerifyClaim = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

// TestSRPVectorCoverage keeps the vectors covering the padding and
// formatting edges where implementations of this protocol go wrong.
func TestSRPVectorCoverage(t *testing.T) {
	f := loadSRPVectors(t)
	highBit := func(h string) bool { return len(h)%2 == 0 && strings.ContainsAny(h[:1], "89abcdef") }
	has := map[string]bool{}
	for _, v := range f.Vectors {
		has["odd-length SRP_A"] = has["odd-length SRP_A"] || len(v.SRPA)%2 == 1
		has["SRP_A high bit"] = has["SRP_A high bit"] || highBit(v.SRPA)
		has["SRP_A no high bit"] = has["SRP_A no high bit"] || !highBit(v.SRPA)
		has["odd-length SRP_B"] = has["odd-length SRP_B"] || len(v.SRPB)%2 == 1
		has["SRP_B no high bit"] = has["SRP_B no high bit"] || !highBit(v.SRPB)
		has["salt leading zero byte"] = has["salt leading zero byte"] || strings.HasPrefix(v.Salt, "00")
		has["salt leading zero digit"] = has["salt leading zero digit"] || v.Salt[0] == '0' && v.Salt[1] != '0'
		has["salt high bit"] = has["salt high bit"] || highBit(v.Salt)
		has["u high bit"] = has["u high bit"] || highBit(v.U)
		has["u no high bit"] = has["u no high bit"] || !highBit(v.U)
		has["u leading zero digit"] = has["u leading zero digit"] || len(v.U) < 64
		has["S high bit"] = has["S high bit"] || highBit(v.S)
		has["S odd length"] = has["S odd length"] || len(v.S)%2 == 1
		day := strings.Fields(v.Timestamp)[2]
		has["one-digit day"] = has["one-digit day"] || len(day) == 1
		has["two-digit day"] = has["two-digit day"] || len(day) == 2
		has["non-ASCII password"] = has["non-ASCII password"] || strings.ContainsFunc(v.Password, func(r rune) bool { return r > 127 })
		has["login name is not the user ID"] = has["login name is not the user ID"] || v.LoginName != v.UserIDForSRP
		has["256-character password"] = has["256-character password"] || len(v.Password) == 256
	}
	for _, want := range []string{
		"odd-length SRP_A", "SRP_A high bit", "SRP_A no high bit", "odd-length SRP_B", "SRP_B no high bit",
		"salt leading zero byte", "salt leading zero digit", "salt high bit", "u high bit", "u no high bit", "u leading zero digit",
		"S high bit", "S odd length", "one-digit day", "two-digit day", "non-ASCII password",
		"login name is not the user ID", "256-character password",
	} {
		if !has[want] {
			t.Errorf("no vector covers %s", want)
		}
	}
}

func TestSRPPad(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "00"}, {1, "01"}, {0x14, "14"}, {0x7f, "7f"}, {0x80, "0080"}, {0xec, "00ec"},
		{0x100, "0100"}, {0xfff, "0fff"}, {0x8000, "008000"}, {0x7fff, "7fff"},
	}
	for _, tc := range tests {
		if got := hex.EncodeToString(srpPad(big.NewInt(tc.n))); got != tc.want {
			t.Errorf("srpPad(%#x) = %s, want %s", tc.n, got, tc.want)
		}
	}
}

// claim answers a PASSWORD_VERIFIER challenge as a client, through
// internal/srp/srpclient: the client side written out in Go from the same
// description, independently of the server code (its own tests check it
// against the vectors), to find asymmetries the fixed vectors might miss.
func claim(t testing.TB, c *srpclient.Client, poolName, userID, password, saltHex, srpBHex, secretBlockB64 string, now time.Time) (timestamp, signature string) {
	t.Helper()
	params := map[string]string{"SALT": saltHex, "SRP_B": srpBHex, "SECRET_BLOCK": secretBlockB64}
	timestamp, signature, err := c.ClaimAs(poolName, userID, password, params, now)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return timestamp, signature
}

func randomSRPString(r *mrand.Rand, alphabet []rune, min, max int) string {
	n := min + r.IntN(max-min+1)
	out := make([]rune, n)
	for i := range out {
		out[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(out)
}

// TestSRPGoClient signs random users in with the Go test client, through
// the whole server path: verifier, marshal and unmarshal, a new attempt,
// Secret and Public and RestoreServerWithB (as across InitiateAuth and
// RespondToAuthChallenge; RestoreServer for a state without B), and
// VerifyClaim.
func TestSRPGoClient(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2))
	alnum := []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
	wide := append([]rune("!@#$%^&*()_+-=[]{};':\",./<>? \\|`~éßü✓中文🔐"), alnum...)
	for i := range 12 {
		poolName := randomSRPString(r, alnum, 1, 12)
		userID := randomSRPString(r, wide, 1, 40)
		password := randomSRPString(r, wide, 1, 64)
		t.Run(fmt.Sprintf("user %d", i), func(t *testing.T) {
			v, err := NewVerifier(poolName, userID, password)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := v.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var loaded Verifier
			if err := loaded.UnmarshalBinary(stored); err != nil {
				t.Fatal(err)
			}
			initiate, err := NewServer(loaded)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 3, 1+i, i, 2*i, 3*i, 0, time.UTC)
			client := srpclient.New()
			block := make([]byte, 32+i)
			rand.Read(block)
			blockB64 := base64.StdEncoding.EncodeToString(block)
			timestamp, sig := claim(t, client, poolName, userID, password, loaded.SaltHex(), initiate.PublicB(), blockB64, now)
			_, wrongSig := claim(t, client, poolName, userID, password+"!", loaded.SaltHex(), initiate.PublicB(), blockB64, now)

			recomputed, err := RestoreServer(loaded, initiate.Secret())
			if err != nil {
				t.Fatal(err)
			}
			if recomputed.PublicB() != initiate.PublicB() {
				t.Fatal("restored server has another B")
			}
			recomputed.Now = fixedClock(now)
			if ok, err := recomputed.VerifyClaim(poolName, userID, client.SRPA(), block, timestamp, sig); !ok || err != nil {
				t.Errorf("right password, B computed again: VerifyClaim = %v, %v; want true", ok, err)
			}
			respond, err := RestoreServerWithB(loaded, initiate.Secret(), initiate.Public())
			if err != nil {
				t.Fatal(err)
			}
			if respond.PublicB() != initiate.PublicB() {
				t.Fatal("server restored with B has another B")
			}
			respond.Now = fixedClock(now)
			A := client.SRPA()
			if ok, err := respond.VerifyClaim(poolName, userID, A, block, timestamp, sig); !ok || err != nil {
				t.Errorf("right password: VerifyClaim = %v, %v; want true", ok, err)
			}
			if ok, err := respond.VerifyClaim(poolName, userID, strings.ToUpper(A), block, timestamp, sig); !ok || err != nil {
				t.Errorf("upper-case SRP_A: VerifyClaim = %v, %v; want true", ok, err)
			}
			if ok, err := respond.VerifyClaim(poolName, userID, "000"+A, block, timestamp, sig); !ok || err != nil {
				t.Errorf("zero-padded SRP_A: VerifyClaim = %v, %v; want true", ok, err)
			}
			if ok, err := respond.VerifyClaim(poolName, userID, A, block, timestamp, wrongSig); ok || err != nil {
				t.Errorf("wrong password: VerifyClaim = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

func TestVerifyClaimRejectsBadInput(t *testing.T) {
	v := newVerifier([]byte("0123456789abcdef"), "pool", "user", "Password1!")
	s, err := NewServer(v)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 5, 8, 3, 9, 0, time.UTC)
	s.Now = fixedClock(now)
	client := srpclient.New()
	block := []byte("secret block")
	timestamp, sig := claim(t, client, "pool", "user", "Password1!", v.SaltHex(), s.PublicB(), base64.StdEncoding.EncodeToString(block), now)
	A := client.SRPA()
	if ok, err := s.VerifyClaim("pool", "user", A, block, timestamp, sig); !ok || err != nil {
		t.Fatalf("valid claim: VerifyClaim = %v, %v", ok, err)
	}

	tests := []struct {
		name      string
		a         string
		timestamp string
		now       time.Time
		code      string
		cause     error
	}{
		{"A zero", "0", timestamp, now, cognito.CodeInvalidParameterException, ErrPublicA},
		{"A zeros", "0000", timestamp, now, cognito.CodeInvalidParameterException, ErrPublicA},
		{"A equal to N", srpN.Text(16), timestamp, now, cognito.CodeInvalidParameterException, ErrPublicA},
		{"A equal to 2N", new(big.Int).Lsh(srpN, 1).Text(16), timestamp, now, cognito.CodeInvalidParameterException, ErrPublicA},
		{"A above N", new(big.Int).Add(srpN, client.A()).Text(16), timestamp, now, cognito.CodeInvalidParameterException, ErrPublicA},
		{"A empty", "", timestamp, now, cognito.CodeInvalidParameterException, ErrPublicA},
		{"A not hex", "xyz", timestamp, now, cognito.CodeInvalidParameterException, ErrPublicA},
		{"A negative", "-" + A, timestamp, now, cognito.CodeInvalidParameterException, ErrPublicA},
		{"A with plus sign", "+" + A, timestamp, now, cognito.CodeInvalidParameterException, ErrPublicA},
		{"A with 0x", "0x" + A, timestamp, now, cognito.CodeInvalidParameterException, ErrPublicA},
		{"A with space", A + " ", timestamp, now, cognito.CodeInvalidParameterException, ErrPublicA},
		{"A too long", strings.Repeat("0", 1025), timestamp, now, cognito.CodeInvalidParameterException, ErrPublicA},
		{"timestamp six minutes old", A, timestamp, now.Add(6 * time.Minute), cognito.CodeNotAuthorizedException, ErrStaleTimestamp},
		{"timestamp six minutes ahead", A, timestamp, now.Add(-6 * time.Minute), cognito.CodeNotAuthorizedException, ErrStaleTimestamp},
		{"timestamp a day old", A, timestamp, now.Add(24 * time.Hour), cognito.CodeNotAuthorizedException, ErrStaleTimestamp},
		{"zero-padded day", A, "Thu Nov 05 08:03:09 UTC 2026", now, cognito.CodeNotAuthorizedException, ErrTimestamp},
		{"wrong weekday", A, "Wed Nov 5 08:03:09 UTC 2026", now, cognito.CodeNotAuthorizedException, ErrTimestamp},
		{"ISO 8601", A, "2026-11-05T08:03:09Z", now, cognito.CodeNotAuthorizedException, ErrTimestamp},
		{"empty timestamp", A, "", now, cognito.CodeNotAuthorizedException, ErrTimestamp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Now = fixedClock(tc.now)
			ok, err := s.VerifyClaim("pool", "user", tc.a, block, tc.timestamp, sig)
			if ok {
				t.Fatal("VerifyClaim accepted")
			}
			var ce *cognito.Error
			if !errors.As(err, &ce) || ce.Code != tc.code {
				t.Fatalf("error %v, want %s", err, tc.code)
			}
			if !errors.Is(err, tc.cause) {
				t.Errorf("error %v, want cause %v", err, tc.cause)
			}
			if tc.code == cognito.CodeNotAuthorizedException && ce.Message != "Incorrect username or password." {
				t.Errorf("message %q", ce.Message)
			}
		})
	}

	// The freshness window is inclusive at five minutes either way.
	for _, d := range []time.Duration{TimestampSkew, -TimestampSkew} {
		s.Now = fixedClock(now.Add(d))
		if ok, err := s.VerifyClaim("pool", "user", A, block, timestamp, sig); !ok || err != nil {
			t.Errorf("clock %v from the timestamp: VerifyClaim = %v, %v; want true", d, ok, err)
		}
	}
}

func TestVerifyClaimRejectsZeroScrambler(t *testing.T) {
	v := newVerifier([]byte("0123456789abcdef"), "pool", "user", "Password1!")
	s, err := NewServer(v)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.Now = fixedClock(now)
	orig := srpScrambler
	srpScrambler = func(A, B *big.Int) *big.Int { return new(big.Int) }
	t.Cleanup(func() { srpScrambler = orig })
	ok, err := s.VerifyClaim("pool", "user", "abcdef", []byte("b"), FormatTimestamp(now), "AAAA")
	if ok || !errors.Is(err, ErrScrambler) || !errors.Is(err, cognito.NotAuthorizedException("")) {
		t.Errorf("u = 0: VerifyClaim = %v, %v; want NotAuthorizedException with ErrScrambler", ok, err)
	}
}

func TestSRPTimestamps(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 5, 8, 3, 9, 0, time.UTC), "Thu Nov 5 08:03:09 UTC 2026"},
		{time.Date(2025, 1, 31, 23, 59, 59, 999, time.UTC), "Fri Jan 31 23:59:59 UTC 2025"},
		{time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "Thu Feb 29 00:00:00 UTC 2024"},
		{time.Date(2026, 11, 5, 9, 3, 9, 0, time.FixedZone("CET", 3600)), "Thu Nov 5 08:03:09 UTC 2026"},
	}
	for _, tc := range tests {
		if got := FormatTimestamp(tc.t); got != tc.want {
			t.Errorf("FormatTimestamp(%v) = %q, want %q", tc.t, got, tc.want)
		}
		got, err := ParseTimestamp(tc.want)
		if err != nil || !got.Equal(tc.t.Truncate(time.Second)) {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %v", tc.want, got, err, tc.t)
		}
	}
	for _, bad := range []string{
		"Thu Nov 05 08:03:09 UTC 2026", // zero-padded day
		"Thu Nov  5 08:03:09 UTC 2026", // space-padded day (ANSI C)
		"Fri Nov 5 08:03:09 UTC 2026",  // wrong weekday
		"Thu Nov 5 8:03:09 UTC 2026",   // unpadded hour
		"Thu Nov 5 08:03:09 GMT 2026",
		"thu nov 5 08:03:09 UTC 2026",
		"Thursday Nov 5 08:03:09 UTC 2026",
		"Thu Nov 5 08:03:09 UTC 2026 ",
		" Thu Nov 5 08:03:09 UTC 2026",
		"Thu Nov 5 08:03:09.000 UTC 2026",
		"Thu Nov 31 08:03:09 UTC 2026",
		"Thu, 05 Nov 2026 08:03:09 GMT",
		strings.Repeat("x", 10000),
	} {
		if _, err := ParseTimestamp(bad); !errors.Is(err, ErrTimestamp) {
			t.Errorf("ParseTimestamp(%q) error %v, want ErrTimestamp", bad, err)
		}
	}
}

func TestSRPVerifierBinary(t *testing.T) {
	v, err := NewVerifier("pool", "user", "Password1!")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Salt) != 16 {
		t.Errorf("salt is %d bytes, want 16", len(v.Salt))
	}
	if len(v.SaltHex()) != 32 {
		t.Errorf("SALT %q is not 32 hex digits", v.SaltHex())
	}
	raw, err := v.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Verifier
	if err := got.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Salt, v.Salt) || got.Verifier.Cmp(v.Verifier) != 0 {
		t.Error("round trip changed the verifier")
	}
	other, _ := NewVerifier("pool", "user", "Password1!")
	if bytes.Equal(other.Salt, v.Salt) || other.Verifier.Cmp(v.Verifier) == 0 {
		t.Error("two verifiers of one password share a salt")
	}

	withVerifier := func(n *big.Int) []byte {
		b := bytes.Clone(raw)
		n.FillBytes(b[len(b)-srpGroupLen:])
		return b
	}
	bad := map[string][]byte{
		"empty":           nil,
		"version 0":       append([]byte{0}, raw[1:]...),
		"version 2":       append([]byte{2}, raw[1:]...),
		"short":           raw[:len(raw)-1],
		"long":            append(bytes.Clone(raw), 0),
		"salt length lie": append([]byte{1, 17}, raw[2:]...),
		"no salt":         append([]byte{1, 0}, raw[2+16:]...),
		"verifier zero":   withVerifier(big.NewInt(0)),
		"verifier one":    withVerifier(big.NewInt(1)),
		"verifier N":      withVerifier(srpN),
		"verifier N+1":    withVerifier(new(big.Int).Add(srpN, big.NewInt(1))),
	}
	for name, b := range bad {
		var got Verifier
		if err := got.UnmarshalBinary(b); err == nil {
			t.Errorf("%s: UnmarshalBinary accepted it", name)
		}
	}
	for name, v := range map[string]Verifier{
		"nil verifier":  {Salt: []byte{1}},
		"no salt":       {Verifier: big.NewInt(5)},
		"verifier zero": {Salt: []byte{1}, Verifier: big.NewInt(0)},
		"verifier N":    {Salt: []byte{1}, Verifier: srpN},
	} {
		if _, err := v.MarshalBinary(); err == nil {
			t.Errorf("%s: MarshalBinary accepted it", name)
		}
		if _, err := NewServer(v); !errors.Is(err, cognito.InternalErrorException("")) {
			t.Errorf("%s: NewServer error %v, want InternalErrorException", name, err)
		}
	}
}

func TestSRPServerSecret(t *testing.T) {
	v := newVerifier([]byte("salt"), "pool", "user", "pw")
	a, err := NewServer(v)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewServer(v)
	if a.PublicB() == b.PublicB() {
		t.Error("two attempts share a B")
	}
	if len(a.Secret()) != srpSecretLen {
		t.Errorf("Secret is %d bytes, want %d", len(a.Secret()), srpSecretLen)
	}
	if a.B.Sign() <= 0 || a.B.Cmp(srpN) >= 0 {
		t.Error("B out of range")
	}
	if a.PublicB() != strings.TrimLeft(a.PublicB(), "0") || a.PublicB() != strings.ToLower(a.PublicB()) {
		t.Errorf("SRP_B %q is not lowercase hex without leading zeros", a.PublicB())
	}
	for name, secret := range map[string][]byte{
		"empty": nil, "short": a.Secret()[1:], "long": append(a.Secret(), 0), "zero": make([]byte, srpSecretLen),
	} {
		if _, err := RestoreServer(v, secret); !errors.Is(err, cognito.InternalErrorException("")) {
			t.Errorf("%s secret: RestoreServer error %v, want InternalErrorException", name, err)
		}
	}
}

// TestRestoreSRPServerWithB checks the rebuild from b and B: the same
// attempt as the one made, without computing B, and a refusal of any b or
// B that NewServer would not have made or that is not of its length.
func TestRestoreSRPServerWithB(t *testing.T) {
	v := newVerifier([]byte("salt"), "pool", "user", "pw")
	a, err := NewServer(v)
	if err != nil {
		t.Fatal(err)
	}
	public := a.Public()
	if len(public) != srpGroupLen || new(big.Int).SetBytes(public).Cmp(a.B) != 0 {
		t.Fatalf("Public is %d bytes of %x, want B in %d bytes", len(public), public, srpGroupLen)
	}
	r, err := RestoreServerWithB(v, a.Secret(), public)
	if err != nil {
		t.Fatal(err)
	}
	if r.B.Cmp(a.B) != 0 || r.b.Cmp(a.b) != 0 || r.v.Cmp(a.v) != 0 {
		t.Error("the restored attempt is not the one made")
	}
	// A B with leading zero bytes keeps its length.
	small := &Server{B: big.NewInt(0x1234), b: a.b, v: a.v}
	if p := small.Public(); len(p) != srpGroupLen || p[srpGroupLen-2] != 0x12 || p[srpGroupLen-1] != 0x34 {
		t.Errorf("Public of a small B = %x", p)
	}

	nBytes := srpN.FillBytes(make([]byte, srpGroupLen))
	nPlus1 := new(big.Int).Add(srpN, big.NewInt(1)).FillBytes(make([]byte, srpGroupLen))
	ones := bytes.Repeat([]byte{0xff}, srpGroupLen)
	for _, tc := range []struct {
		name           string
		v              Verifier
		secret, public []byte
	}{
		{"no secret", v, nil, public},
		{"short secret", v, a.Secret()[1:], public},
		{"long secret", v, append(a.Secret(), 0), public},
		{"zero secret", v, make([]byte, srpSecretLen), public},
		{"no B", v, a.Secret(), nil},
		{"short B", v, a.Secret(), public[1:]},
		{"long B", v, a.Secret(), append([]byte{0}, public...)},
		{"zero B", v, a.Secret(), make([]byte, srpGroupLen)},
		{"B = N", v, a.Secret(), nBytes},
		{"B = N+1", v, a.Secret(), nPlus1},
		{"B above N", v, a.Secret(), ones},
		{"bad verifier", Verifier{Salt: []byte("salt"), Verifier: big.NewInt(1)}, a.Secret(), public},
	} {
		if _, err := RestoreServerWithB(tc.v, tc.secret, tc.public); !errors.Is(err, cognito.InternalErrorException("")) {
			t.Errorf("%s: RestoreServerWithB error %v, want InternalErrorException", tc.name, err)
		}
	}
}

func TestFakeSRPChallenge(t *testing.T) {
	key := bytes.Repeat([]byte{9}, 32)
	salt1, b1 := FakeChallenge(key, "us-east-1_abc", "nobody")
	salt2, b2 := FakeChallenge(key, "us-east-1_abc", "nobody")
	if salt1 != salt2 {
		t.Error("the fake salt of one username changes")
	}
	if b1 == b2 {
		t.Error("the fake SRP_B repeats, which a real user's never does")
	}
	if len(salt1) != 32 || strings.ToLower(salt1) != salt1 {
		t.Errorf("fake SALT %q is not 32 lowercase hex digits like a real one", salt1)
	}
	if _, err := hex.DecodeString(salt1); err != nil {
		t.Errorf("fake SALT %q: %v", salt1, err)
	}
	B, ok := new(big.Int).SetString(b1, 16)
	if !ok || B.Sign() <= 0 || B.Cmp(srpN) >= 0 || b1 != B.Text(16) {
		t.Errorf("fake SRP_B %q is not a number in (0, N) written like a real one", b1)
	}
	for name, s := range map[string]string{
		"other user": func() string { s, _ := FakeChallenge(key, "us-east-1_abc", "nobody2"); return s }(),
		"other pool": func() string { s, _ := FakeChallenge(key, "us-east-1_abd", "nobody"); return s }(),
		"other key": func() string {
			s, _ := FakeChallenge(bytes.Repeat([]byte{8}, 32), "us-east-1_abc", "nobody")
			return s
		}(),
		"pool and user boundary": func() string {
			s, _ := FakeChallenge(key, "us-east-1_abcn", "obody")
			return s
		}(),
	} {
		if s == salt1 {
			t.Errorf("%s: same fake salt", name)
		}
	}

	// A missing user goes through the same server path and never passes.
	v := FakeVerifier(key, "us-east-1_abc", "nobody")
	if v.SaltHex() != salt1 {
		t.Error("FakeVerifier's salt is not FakeChallenge's")
	}
	s, err := NewServer(v)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 7, 8, 9, 10, 0, time.UTC)
	s.Now = fixedClock(now)
	client := srpclient.New()
	for _, password := range []string{"", "password", "Password1!"} {
		ts, sig := claim(t, client, "abc", "nobody", password, v.SaltHex(), s.PublicB(), "AAAA", now)
		if ok, err := s.VerifyClaim("abc", "nobody", client.SRPA(), []byte{0, 0, 0}, ts, sig); ok || err != nil {
			t.Errorf("password %q against a fake verifier: VerifyClaim = %v, %v; want false, nil", password, ok, err)
		}
	}
}

// BenchmarkSRPServerStep is the server's SRP cost per sign-in as one step:
// a new attempt (b and B) and the check of a claim (u, S, HKDF, HMAC). The
// claim's signature does not match, which costs the same as one that does:
// the comparison is the last step.
func BenchmarkSRPServerStep(b *testing.B) {
	v := newVerifier([]byte("0123456789abcdef"), "pool", "user", "Password1!")
	client := srpclient.New()
	A := client.SRPA()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ts := FormatTimestamp(now)
	block := make([]byte, 512)
	sig := base64.StdEncoding.EncodeToString(make([]byte, 32))
	b.ReportAllocs()
	for b.Loop() {
		s, err := NewServer(v)
		if err != nil {
			b.Fatal(err)
		}
		s.Now = fixedClock(now)
		if ok, err := s.VerifyClaim("pool", "user", A, block, ts, sig); ok || err != nil {
			b.Fatalf("VerifyClaim = %v, %v", ok, err)
		}
	}
}

// BenchmarkSRPSignIn is the server's SRP cost across both round trips as
// the flow engine runs them: NewServer at InitiateAuth, then
// RestoreServerWithB (b and B from the sealed state, nothing computed)
// and VerifyClaim at RespondToAuthChallenge, with a claim that passes.
func BenchmarkSRPSignIn(b *testing.B) {
	v := newVerifier([]byte("0123456789abcdef"), "pool", "user", "Password1!")
	client := srpclient.New()
	A := client.SRPA()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	blockB64 := base64.StdEncoding.EncodeToString(make([]byte, 512))
	// Claims are prepared outside the timed loop: the client's work is not
	// the server's cost.
	type attempt struct {
		secret, public []byte
		ts, sig        string
	}
	attempts := make([]attempt, 32)
	for i := range attempts {
		s, err := NewServer(v)
		if err != nil {
			b.Fatal(err)
		}
		ts, sig := claim(b, client, "pool", "user", "Password1!", v.SaltHex(), s.PublicB(), blockB64, now)
		attempts[i] = attempt{s.Secret(), s.Public(), ts, sig}
	}
	block := make([]byte, 512)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := NewServer(v); err != nil {
			b.Fatal(err)
		}
		at := attempts[i%len(attempts)]
		i++
		s, err := RestoreServerWithB(v, at.secret, at.public)
		if err != nil {
			b.Fatal(err)
		}
		s.Now = fixedClock(now)
		if ok, err := s.VerifyClaim("pool", "user", A, block, at.ts, at.sig); !ok || err != nil {
			b.Fatalf("VerifyClaim = %v, %v", ok, err)
		}
	}
}

func TestSRPPoolName(t *testing.T) {
	for in, want := range map[string]string{
		"us-east-1_AbC123": "AbC123",
		"eu-west-1_x":      "x",
		"noprefix":         "",
		"a_b_c":            "b_c",
	} {
		if got := PoolName(in); got != want {
			t.Errorf("PoolName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSRPVerifierStore(t *testing.T) {
	sealer := func(b byte) *Verifiers {
		s, err := NewVerifiers(bytes.Repeat([]byte{b}, 32))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := sealer(1)
	const poolID, sub, username, password = "us-east-1_AbC123", "3f1c2a9e-sub", "alice", "Correct-Horse-1"
	made, err := NewVerifier(PoolName(poolID), username, password)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.Seal(poolID, sub, made)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Open(poolID, sub, stored)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	// The stored verifier is made with the pool name and the internal
	// username, so a client that signs in with them passes.
	server, err := NewServer(v)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 9, 7, 8, 9, 0, time.UTC)
	server.Now = fixedClock(now)
	client := srpclient.New()
	ts, sig := claim(t, client, "AbC123", username, password, v.SaltHex(), server.PublicB(), "AAAA", now)
	if ok, err := server.VerifyClaim("AbC123", username, client.SRPA(), []byte{0, 0, 0}, ts, sig); !ok || err != nil {
		t.Errorf("sign-in against the stored verifier: VerifyClaim = %v, %v; want true", ok, err)
	}

	tests := []struct {
		name        string
		sealer      *Verifiers
		poolID, sub string
		sealed      string
		code        string
		cause       error
	}{
		{"no verifier", s, poolID, sub, "", cognito.CodeNotAuthorizedException, ErrNoVerifier},
		{"another user's record", s, poolID, "other-sub", stored, cognito.CodeInternalErrorException, seal.ErrOpen},
		{"another pool", s, "us-east-1_Other", sub, stored, cognito.CodeInternalErrorException, seal.ErrOpen},
		{"another key", sealer(2), poolID, sub, stored, cognito.CodeInternalErrorException, seal.ErrOpen},
		{"damaged", s, poolID, sub, stored[:len(stored)-8], cognito.CodeInternalErrorException, seal.ErrOpen},
		{"sealed garbage", s, poolID, sub, s.s.SealString(verifierPurpose(poolID, sub), []byte("junk")), cognito.CodeInternalErrorException, errBadVerifier},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.sealer.Open(tc.poolID, tc.sub, tc.sealed)
			var ce *cognito.Error
			if !errors.As(err, &ce) || ce.Code != tc.code || !errors.Is(err, tc.cause) {
				t.Errorf("error %v, want %s caused by %v", err, tc.code, tc.cause)
			}
		})
	}
}

// TestVerifiersReseal checks the key rotation of stored verifiers: one
// sealed with a previous master key comes back sealed with the current
// one, opens there, and no longer needs the previous key; one sealed with
// the current key comes back as it is; one no key opens is an error.
func TestVerifiersReseal(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	before, err := NewVerifiers(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	rotating, err := NewVerifiers(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	after, err := NewVerifiers(newKey)
	if err != nil {
		t.Fatal(err)
	}
	const poolID, sub = "us-east-1_AbC123", "3f1c2a9e-sub"
	v, err := NewVerifier(PoolName(poolID), "alice", "Correct-Horse-1")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := before.Seal(poolID, sub, v)
	if err != nil {
		t.Fatal(err)
	}
	resealed, changed, err := rotating.Reseal(poolID, sub, stored)
	if err != nil || !changed {
		t.Fatalf("Reseal of a verifier under the previous key = %v, %v; want changed", changed, err)
	}
	got, err := after.Open(poolID, sub, resealed)
	if err != nil {
		t.Fatalf("Open under the current key alone: %v", err)
	}
	if got.Verifier.Cmp(v.Verifier) != 0 || !bytes.Equal(got.Salt, v.Salt) {
		t.Error("the resealed verifier is not the one sealed")
	}
	again, changed, err := rotating.Reseal(poolID, sub, resealed)
	if err != nil || changed || again != resealed {
		t.Errorf("Reseal of a current verifier = changed %v, %v; want it unchanged", changed, err)
	}
	if _, _, err := after.Reseal(poolID, sub, stored); err == nil {
		t.Error("Reseal of a verifier no configured key opens: no error")
	}
	if _, err := NewVerifiers(make([]byte, 5)); err == nil {
		t.Error("NewVerifiers with a short key: no error")
	}
}
