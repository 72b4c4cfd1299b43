package regions

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"
)

// This file is the client side of Cognito's SRP as the public clients
// (amazon-cognito-identity-js, Amplify) compute it, written from the
// protocol (docs/srp.md) so that USER_SRP_AUTH is driven through the SDK by
// an implementation independent of the server's.

// srpGroupN is the 3072-bit prime of RFC 3526, section 4; g is 2.
var srpGroupN, _ = new(big.Int).SetString(strings.Join([]string{
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
	"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
	"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
	"3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
	"A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
	"D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
	"08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
}, ""), 16)

var srpGroupG = big.NewInt(2)

// srpClientPad is the clients' padHex as bytes: big-endian, with a leading
// zero byte when the high bit is set.
func srpClientPad(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		return append([]byte{0}, b...)
	}
	return b
}

func srpClientHash(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// srpClient is one sign-in attempt's client state: the private a and the
// public A = g^a mod N sent as SRP_A.
type srpClient struct {
	a, A *big.Int
}

func newSRPClient(t testing.TB) *srpClient {
	t.Helper()
	buf := make([]byte, 128)
	if _, err := rand.Read(buf); err != nil {
		t.Fatal(err)
	}
	a := new(big.Int).SetBytes(buf)
	return &srpClient{a: a, A: new(big.Int).Exp(srpGroupG, a, srpGroupN)}
}

// srpA is SRP_A as hex.
func (c *srpClient) srpA() string { return c.A.Text(16) }

// claim answers PASSWORD_VERIFIER: TIMESTAMP and PASSWORD_CLAIM_SIGNATURE
// for the challenge parameters, as the client computes them.
func (c *srpClient) claim(t testing.TB, poolID, password string, params map[string]string, now time.Time) (timestamp, signature string) {
	t.Helper()
	_, poolName, _ := strings.Cut(poolID, "_")
	return c.claimAs(t, poolName, params["USER_ID_FOR_SRP"], password, params, now)
}

// claimAs is claim with the names the verifier was made with: the pool
// name and the user's internal username, or for a remembered device
// (DEVICE_PASSWORD_VERIFIER) its DeviceGroupKey and device key.
func (c *srpClient) claimAs(t testing.TB, poolName, userID, password string, params map[string]string, now time.Time) (timestamp, signature string) {
	t.Helper()
	B, ok1 := new(big.Int).SetString(params["SRP_B"], 16)
	salt, ok2 := new(big.Int).SetString(params["SALT"], 16)
	block, err := base64.StdEncoding.DecodeString(params["SECRET_BLOCK"])
	if !ok1 || !ok2 || err != nil {
		t.Fatalf("challenge parameters %v", params)
	}
	k := new(big.Int).SetBytes(srpClientHash(srpClientPad(srpGroupN), srpClientPad(srpGroupG)))
	u := new(big.Int).SetBytes(srpClientHash(srpClientPad(c.A), srpClientPad(B)))
	x := new(big.Int).SetBytes(srpClientHash(srpClientPad(salt), srpClientHash([]byte(poolName+userID+":"+password))))
	// S = (B - k*g^x)^(a + u*x) mod N
	base := new(big.Int).Mul(k, new(big.Int).Exp(srpGroupG, x, srpGroupN))
	base.Sub(B, base).Mod(base, srpGroupN)
	exp := new(big.Int).Add(c.a, new(big.Int).Mul(u, x))
	S := new(big.Int).Exp(base, exp, srpGroupN)
	key, err := hkdf.Key(sha256.New, srpClientPad(S), srpClientPad(u), "Caldera Derived Key", 16)
	if err != nil {
		t.Fatal(err)
	}
	// The clients' DateHelper: "Mon Jan 2 15:04:05 UTC 2006", day not
	// zero-padded.
	timestamp = now.UTC().Format("Mon Jan 2 15:04:05 UTC 2006")
	m := hmac.New(sha256.New, key)
	m.Write([]byte(poolName))
	m.Write([]byte(userID))
	m.Write(block)
	m.Write([]byte(timestamp))
	return timestamp, base64.StdEncoding.EncodeToString(m.Sum(nil))
}
