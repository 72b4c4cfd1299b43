package srpclient

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
)

// N is the 3072-bit MODP prime of RFC 3526, section 4, the group's
// modulus.
var N, _ = new(big.Int).SetString(strings.Join([]string{
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
	// G is the group's generator.
	G = big.NewInt(2)
	// k is the SRP-6a multiplier H(pad(N) || pad(g)).
	k = new(big.Int).SetBytes(Hash(Pad(N), Pad(G)))
)

// TimestampLayout is the clients' DateHelper format of TIMESTAMP: UTC,
// the day of the month not zero-padded.
const TimestampLayout = "Mon Jan 2 15:04:05 UTC 2006"

// Pad is the clients' padHex as bytes: big-endian, with a leading zero
// byte when the high bit is set (and one zero byte for 0).
func Pad(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		return append([]byte{0}, b...)
	}
	return b
}

// Hash is SHA-256 of the parts, one after the other.
func Hash(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// Client is one sign-in attempt's client state: the private a and the
// public A = g^a mod N sent as SRP_A. A Client answers any number of
// challenges; a real client makes a new one per sign-in.
type Client struct {
	a, pub *big.Int
	srpA   string
	cache  *Cache
}

// New is a client with a fresh 1024-bit a, as amazon-cognito-identity-js
// picks it (128 random bytes).
func New() *Client { return NewSized(128, nil) }

// NewSized is a client whose a is size random bytes and which keeps
// k*g^x in cache when cache is not nil. The load generator uses a small a
// and a shared cache to keep its own work small: the server cannot tell,
// and checks only that A is not 0 mod N.
func NewSized(size int, cache *Cache) *Client {
	buf := make([]byte, size)
	for {
		rand.Read(buf) // crypto/rand.Read never fails
		a := new(big.Int).SetBytes(buf)
		A := new(big.Int).Exp(G, a, N)
		if A.Sign() != 0 {
			return &Client{a: a, pub: A, srpA: A.Text(16), cache: cache}
		}
	}
}

// A is the public value A = g^a mod N.
func (c *Client) A() *big.Int { return new(big.Int).Set(c.pub) }

// SRPA is SRP_A: A in lower-case hex without padding, as the clients send
// it.
func (c *Client) SRPA() string { return c.srpA }

// Claim answers PASSWORD_VERIFIER for password: TIMESTAMP and
// PASSWORD_CLAIM_SIGNATURE for the challenge parameters, with the pool
// name taken from poolID (the part after the region's "_") and the user
// from USER_ID_FOR_SRP, as the clients compute them.
func (c *Client) Claim(poolID, password string, params map[string]string, now time.Time) (timestamp, signature string, err error) {
	_, poolName, _ := strings.Cut(poolID, "_")
	return c.ClaimAs(poolName, params["USER_ID_FOR_SRP"], password, params, now)
}

// ClaimAs is Claim with the names the verifier was made with: the pool
// name and the user's internal username, or for a remembered device
// (DEVICE_PASSWORD_VERIFIER) its DeviceGroupKey and device key with the
// device's secret as password. It reads SRP_B, SALT and SECRET_BLOCK from
// params; a malformed or degenerate one (B or u zero) is an error.
func (c *Client) ClaimAs(poolName, userID, password string, params map[string]string, now time.Time) (timestamp, signature string, err error) {
	B, okB := new(big.Int).SetString(params["SRP_B"], 16)
	salt, okSalt := new(big.Int).SetString(params["SALT"], 16)
	block, err := base64.StdEncoding.DecodeString(params["SECRET_BLOCK"])
	if !okB || !okSalt || err != nil || userID == "" {
		return "", "", fmt.Errorf("malformed PASSWORD_VERIFIER parameters %v", params)
	}
	if new(big.Int).Mod(B, N).Sign() == 0 {
		return "", "", errors.New("SRP_B is 0 mod N")
	}
	u := new(big.Int).SetBytes(Hash(Pad(c.pub), Pad(B)))
	if u.Sign() == 0 {
		return "", "", errors.New("u is zero")
	}
	x := new(big.Int).SetBytes(Hash(Pad(salt), Hash([]byte(poolName+userID+":"+password))))
	kgx := c.cache.kgx(poolName+"\x00"+userID+"\x00"+params["SALT"]+"\x00"+password, x)
	// S = (B - k*g^x)^(a + u*x) mod N
	base := new(big.Int).Sub(B, kgx)
	base.Mod(base, N)
	exp := new(big.Int).Mul(u, x)
	exp.Add(exp, c.a)
	S := new(big.Int).Exp(base, exp, N)
	key, err := hkdf.Key(sha256.New, Pad(S), Pad(u), "Caldera Derived Key", 16)
	if err != nil {
		return "", "", err
	}
	timestamp = now.UTC().Format(TimestampLayout)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(poolName))
	m.Write([]byte(userID))
	m.Write(block)
	m.Write([]byte(timestamp))
	return timestamp, base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// Cache keeps k*g^x mod N by pool name, user, salt and password, so that
// a load generator's clients share the one exponentiation per user that
// does not depend on the attempt. It is safe for concurrent use.
type Cache struct {
	// mu guards m.
	mu sync.Mutex
	m  map[string]*big.Int
}

// NewCache is an empty Cache.
func NewCache() *Cache { return &Cache{m: map[string]*big.Int{}} }

// kgx is k*g^x mod N, from the cache under key when there is one.
func (c *Cache) kgx(key string, x *big.Int) *big.Int {
	if c != nil {
		c.mu.Lock()
		v, ok := c.m[key]
		c.mu.Unlock()
		if ok {
			return v
		}
	}
	v := new(big.Int).Exp(G, x, N)
	v.Mul(v, k).Mod(v, N)
	if c != nil {
		c.mu.Lock()
		c.m[key] = v
		c.mu.Unlock()
	}
	return v
}

// DeviceVerifier is a remembered device's DeviceSecretVerifierConfig as
// amazon-cognito-identity-js makes it (generateHashDevice): a random
// 16-byte salt and v = g^x with x = H(pad(salt) || H(groupKey ||
// deviceKey || ":" || secret)), both base64 of their padded bytes.
func DeviceVerifier(groupKey, deviceKey, secret string) (salt, verifier string) {
	raw := make([]byte, 16)
	rand.Read(raw) // crypto/rand.Read never fails
	s := new(big.Int).SetBytes(raw)
	x := new(big.Int).SetBytes(Hash(Pad(s), Hash([]byte(groupKey+deviceKey+":"+secret))))
	v := new(big.Int).Exp(G, x, N)
	return base64.StdEncoding.EncodeToString(Pad(s)), base64.StdEncoding.EncodeToString(Pad(v))
}
