package identitypool

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// pageToken returns the NextToken that continues the listing scope after
// key: the key and a MAC binding it to the listing, so that a token is
// neither forged nor used in another listing.
func (s *Service) pageToken(scope, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key)) + "." + base64.RawURLEncoding.EncodeToString(s.pageMAC(scope, key))
}

// cursor returns the key a NextToken of the listing scope continues after.
func (s *Service) cursor(scope, token string) (string, bool) {
	k, m, ok := strings.Cut(token, ".")
	if !ok {
		return "", false
	}
	key, err1 := base64.RawURLEncoding.DecodeString(k)
	mac, err2 := base64.RawURLEncoding.DecodeString(m)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.pageMAC(scope, string(key))) {
		return "", false
	}
	return string(key), true
}

func (s *Service) pageMAC(scope, key string) []byte {
	h := hmac.New(sha256.New, s.pageKey)
	h.Write([]byte("identitypool page\x00" + scope + "\x00" + key))
	return h.Sum(nil)
}
