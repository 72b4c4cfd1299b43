package authflow

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"
)

// This file is the client side of Cognito's SRP for the flow tests,
// written from docs/srp.md apart from internal/srp (whose own tests check
// it against the vectors of amazon-cognito-identity-js).

// srpGroupLen is the length of N in bytes: the length of the B a state
// keeps.
const srpGroupLen = 384

// srpTestN is the 3072-bit MODP prime of RFC 3526, section 4.
var srpTestN, _ = new(big.Int).SetString(strings.Join([]string{
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

// srpTestClient is one client's SRP exchange: its private a and public A.
type srpTestClient struct {
	a, A *big.Int
}

func newSRPTestClient(t testing.TB) *srpTestClient {
	t.Helper()
	raw := make([]byte, 128)
	rand.Read(raw)
	a := new(big.Int).SetBytes(raw)
	return &srpTestClient{a: a, A: new(big.Int).Exp(big.NewInt(2), a, srpTestN)}
}

// clientPad is the clients' padHex as bytes.
func clientPad(n *big.Int) []byte {
	h := n.Text(16)
	if len(h)%2 == 1 {
		h = "0" + h
	}
	if strings.ContainsAny(h[:1], "89abcdef") {
		h = "00" + h
	}
	b, _ := hex.DecodeString(h)
	return b
}

func clientHash(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// respond computes the RespondToAuthChallenge answer from the challenge
// parameters as a client receives them.
func (c *srpTestClient) respond(t testing.TB, poolName, userID, password, saltHex, srpBHex, secretBlockB64 string, now time.Time) (timestamp, signature string) {
	t.Helper()
	N, g := srpTestN, big.NewInt(2)
	k := new(big.Int).SetBytes(clientHash(clientPad(N), clientPad(g)))
	B, ok := new(big.Int).SetString(srpBHex, 16)
	if !ok || new(big.Int).Mod(B, N).Sign() == 0 {
		t.Fatalf("client: bad SRP_B %q", srpBHex)
	}
	salt, ok := new(big.Int).SetString(saltHex, 16)
	if !ok {
		t.Fatalf("client: bad SALT %q", saltHex)
	}
	u := new(big.Int).SetBytes(clientHash(clientPad(c.A), clientPad(B)))
	x := new(big.Int).SetBytes(clientHash(clientPad(salt), clientHash([]byte(poolName+userID+":"+password))))
	base := new(big.Int).Sub(B, new(big.Int).Mul(k, new(big.Int).Exp(g, x, N)))
	base.Mod(base, N)
	S := new(big.Int).Exp(base, new(big.Int).Add(c.a, new(big.Int).Mul(u, x)), N)
	key, err := hkdf.Key(sha256.New, clientPad(S), clientPad(u), "Caldera Derived Key", 16)
	if err != nil {
		t.Fatal(err)
	}
	block, err := base64.StdEncoding.DecodeString(secretBlockB64)
	if err != nil {
		t.Fatal(err)
	}
	utc := now.UTC()
	timestamp = fmt.Sprintf("%s %s %d %02d:%02d:%02d UTC %d", utc.Weekday().String()[:3], utc.Month().String()[:3],
		utc.Day(), utc.Hour(), utc.Minute(), utc.Second(), utc.Year())
	m := hmac.New(sha256.New, key)
	m.Write([]byte(poolName))
	m.Write([]byte(userID))
	m.Write(block)
	m.Write([]byte(timestamp))
	return timestamp, base64.StdEncoding.EncodeToString(m.Sum(nil))
}
