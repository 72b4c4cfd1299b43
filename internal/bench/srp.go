package bench

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/srp"
)

// This file is the client side of Cognito's SRP (docs/srp.md), as
// amazon-cognito-identity-js computes it, for the USER_SRP_AUTH scenario.
// It is written apart from the server's code in internal/srp so that
// the scenario checks the server against an independent implementation.
//
// A real client picks a fresh 1024-bit a for every sign-in. The load
// generator shares the machine with the server, so it keeps its own work
// small: each worker picks one 256-bit a (the server cannot tell and
// checks only that A is not 0 mod N), and caches k*g^x per user. What is
// left per sign-in is one exponentiation, S = (B - k*g^x)^(a + u*x), whose
// time Run reports as the client's cost.

// srpN is the 3072-bit MODP prime of RFC 3526, section 4; the generator is
// 2.
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

var (
	srpG = big.NewInt(2)
	// srpK is the SRP-6a multiplier k = H(pad(N) || pad(g)).
	srpK = new(big.Int).SetBytes(srpHash(srpPad(srpN), srpPad(srpG)))
)

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

// srpClient is one worker's SRP client: its private a and public A.
type srpClient struct {
	a, A *big.Int
	aHex string
	// kgx caches k*g^x mod N by pool name, user, salt and password.
	kgx *srpCache
}

// srpCache is k*g^x mod N by user, shared by the workers of a run.
type srpCache struct {
	mu sync.Mutex
	m  map[string]*big.Int
}

func newSRPCache() *srpCache { return &srpCache{m: map[string]*big.Int{}} }

func newSRPClient(cache *srpCache) *srpClient {
	buf := make([]byte, 32)
	for {
		rand.Read(buf) // crypto/rand.Read never fails
		a := new(big.Int).SetBytes(buf)
		A := new(big.Int).Exp(srpG, a, srpN)
		if A.Sign() != 0 {
			return &srpClient{a: a, A: A, aHex: A.Text(16), kgx: cache}
		}
	}
}

// claim answers the PASSWORD_VERIFIER challenge parameters for password:
// TIMESTAMP and PASSWORD_CLAIM_SIGNATURE.
func (c *srpClient) claim(poolID, password string, params map[string]string, now time.Time) (timestamp, signature string, err error) {
	_, poolName, _ := strings.Cut(poolID, "_")
	return c.claimAs(poolName, params["USER_ID_FOR_SRP"], password, params, now)
}

// claimAs is claim with the names the verifier was made with: the pool
// name and the user's internal username, or for a remembered device
// (DEVICE_PASSWORD_VERIFIER) its DeviceGroupKey and device key.
func (c *srpClient) claimAs(poolName, userID, password string, params map[string]string, now time.Time) (timestamp, signature string, err error) {
	B, okB := new(big.Int).SetString(params["SRP_B"], 16)
	salt, okSalt := new(big.Int).SetString(params["SALT"], 16)
	block, err := base64.StdEncoding.DecodeString(params["SECRET_BLOCK"])
	if !okB || !okSalt || err != nil || userID == "" {
		return "", "", fmt.Errorf("malformed PASSWORD_VERIFIER parameters %v", params)
	}
	if new(big.Int).Mod(B, srpN).Sign() == 0 {
		return "", "", errors.New("SRP_B is 0 mod N")
	}
	x := new(big.Int).SetBytes(srpHash(srpPad(salt), srpHash([]byte(poolName+userID+":"+password))))
	key := poolName + "\x00" + userID + "\x00" + params["SALT"] + "\x00" + password
	c.kgx.mu.Lock()
	kgx, ok := c.kgx.m[key]
	c.kgx.mu.Unlock()
	if !ok {
		kgx = new(big.Int).Exp(srpG, x, srpN)
		kgx.Mul(kgx, srpK).Mod(kgx, srpN)
		c.kgx.mu.Lock()
		c.kgx.m[key] = kgx
		c.kgx.mu.Unlock()
	}
	u := new(big.Int).SetBytes(srpHash(srpPad(c.A), srpPad(B)))
	if u.Sign() == 0 {
		return "", "", errors.New("u is zero")
	}
	base := new(big.Int).Sub(B, kgx)
	base.Mod(base, srpN)
	exp := new(big.Int).Mul(u, x)
	exp.Add(exp, c.a)
	S := new(big.Int).Exp(base, exp, srpN)
	k, err := hkdf.Key(sha256.New, srpPad(S), srpPad(u), "Caldera Derived Key", 16)
	if err != nil {
		return "", "", err
	}
	timestamp = srp.FormatTimestamp(now)
	m := hmac.New(sha256.New, k)
	m.Write([]byte(poolName))
	m.Write([]byte(userID))
	m.Write(block)
	m.Write([]byte(timestamp))
	return timestamp, base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// deviceVerifier is a remembered device's DeviceSecretVerifierConfig as
// amazon-cognito-identity-js makes it (generateHashDevice): a random salt
// and v = g^x with x = H(pad(salt) || H(groupKey || deviceKey || ":" ||
// secret)), both base64 of their padded bytes.
func deviceVerifier(groupKey, deviceKey, secret string) (salt, verifier string) {
	raw := make([]byte, 16)
	rand.Read(raw) // crypto/rand.Read never fails
	s := new(big.Int).SetBytes(raw)
	x := new(big.Int).SetBytes(srpHash(srpPad(s), srpHash([]byte(groupKey+deviceKey+":"+secret))))
	v := new(big.Int).Exp(srpG, x, srpN)
	return base64.StdEncoding.EncodeToString(srpPad(s)), base64.StdEncoding.EncodeToString(srpPad(v))
}
