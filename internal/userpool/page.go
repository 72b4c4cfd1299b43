package userpool

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// pageSigner makes pagination tokens opaque and tamper-evident: a token is
// its cursor and the operation it belongs to, with an HMAC over both, so a
// client can neither forge a cursor nor replay one in another listing.
type pageSigner struct {
	key []byte
}

type pageCursor struct {
	// Scope names the listing, e.g. "ListUserPools/us-east-1".
	Scope string `json:"s"`
	// After is the last key the previous page returned.
	After string `json:"a"`
}

func (p pageSigner) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write(payload)
	return m.Sum(nil)
}

// token returns the opaque token for a cursor.
func (p pageSigner) token(scope, after string) string {
	payload, _ := json.Marshal(pageCursor{Scope: scope, After: after})
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(p.mac(payload))
}

// cursor checks a token and returns its cursor. ok is false for a token
// that was not made by this signer for scope.
func (p pageSigner) cursor(scope, token string) (after string, ok bool) {
	enc := base64.RawURLEncoding
	body, sig, found := strings.Cut(token, ".")
	if !found {
		return "", false
	}
	payload, err1 := enc.DecodeString(body)
	got, err2 := enc.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(got, p.mac(payload)) {
		return "", false
	}
	var c pageCursor
	if json.Unmarshal(payload, &c) != nil || c.Scope != scope {
		return "", false
	}
	return c.After, true
}
