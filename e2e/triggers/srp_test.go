package triggers

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

// This file is the client side of Cognito's SRP as amazon-cognito-identity-js
// computes it (docs/srp.md), for the device sign-in of the token tests:
// the user's PASSWORD_VERIFIER, a device's verifier as ConfirmDevice takes
// it, and the device's DEVICE_PASSWORD_VERIFIER.

// srpN is the 3072-bit prime of RFC 3526, section 4; g is 2.
var srpN, _ = new(big.Int).SetString(strings.Join([]string{
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

var srpG = big.NewInt(2)

// srpPad is the clients' padHex as bytes: big-endian, with a leading zero
// byte when the high bit is set.
func srpPad(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		return append([]byte{0}, b...)
	}
	return b
}

func srpHash(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func randomInt(t *testing.T, n int) *big.Int {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return new(big.Int).SetBytes(b)
}

// srpClient is one attempt's private a and public A = g^a mod N (SRP_A).
type srpClient struct{ a, A *big.Int }

func newSRPClient(t *testing.T) *srpClient {
	a := randomInt(t, 128)
	return &srpClient{a: a, A: new(big.Int).Exp(srpG, a, srpN)}
}

func (c *srpClient) srpA() string { return c.A.Text(16) }

// claim answers a verifier challenge made for name+userID+":"+secret (the
// pool name, the internal username and the password; or a device's group
// key, key and secret): TIMESTAMP and PASSWORD_CLAIM_SIGNATURE.
func (c *srpClient) claim(t *testing.T, name, userID, secret string, params map[string]string) (timestamp, signature string) {
	t.Helper()
	B, ok1 := new(big.Int).SetString(params["SRP_B"], 16)
	salt, ok2 := new(big.Int).SetString(params["SALT"], 16)
	block, err := base64.StdEncoding.DecodeString(params["SECRET_BLOCK"])
	if !ok1 || !ok2 || err != nil {
		t.Fatalf("challenge parameters %v", params)
	}
	k := new(big.Int).SetBytes(srpHash(srpPad(srpN), srpPad(srpG)))
	u := new(big.Int).SetBytes(srpHash(srpPad(c.A), srpPad(B)))
	x := new(big.Int).SetBytes(srpHash(srpPad(salt), srpHash([]byte(name+userID+":"+secret))))
	base := new(big.Int).Mul(k, new(big.Int).Exp(srpG, x, srpN))
	base.Sub(B, base).Mod(base, srpN)
	S := new(big.Int).Exp(base, new(big.Int).Add(c.a, new(big.Int).Mul(u, x)), srpN)
	key, err := hkdf.Key(sha256.New, srpPad(S), srpPad(u), "Caldera Derived Key", 16)
	if err != nil {
		t.Fatal(err)
	}
	timestamp = time.Now().UTC().Format("Mon Jan 2 15:04:05 UTC 2006")
	m := hmac.New(sha256.New, key)
	m.Write([]byte(name + userID))
	m.Write(block)
	m.Write([]byte(timestamp))
	return timestamp, base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// deviceVerifier is a device's DeviceSecretVerifierConfig as the client
// library makes it: a random salt and v = g^x, x = H(salt || H(groupKey ||
// key || ":" || secret)), each base64 of its padded bytes.
func deviceVerifier(t *testing.T, groupKey, key, secret string) (salt, verifier string) {
	t.Helper()
	s := randomInt(t, 16)
	x := new(big.Int).SetBytes(srpHash(srpPad(s), srpHash([]byte(groupKey+key+":"+secret))))
	v := new(big.Int).Exp(srpG, x, srpN)
	return base64.StdEncoding.EncodeToString(srpPad(s)), base64.StdEncoding.EncodeToString(srpPad(v))
}
