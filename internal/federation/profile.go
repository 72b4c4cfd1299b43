package federation

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

// exchangeProfile is the sign-in of a provider without ID tokens (Facebook,
// Login with Amazon): the code is redeemed for an access token, with which
// the provider's profile endpoint says who signed in; the subject is the
// profile's SubjectClaim.
func (c *Client) exchangeProfile(ctx context.Context, p *Provider, redirectURI, code, verifier string) (*Identity, error) {
	tok, err := p.config(redirectURI).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrExchange, p.Name, err)
	}
	target := p.ProfileURL
	if len(p.ProfileFields) > 0 {
		target += url.QueryEscape(strings.Join(p.ProfileFields, ","))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUserInfo, p.Name, err)
	}
	tok.SetAuthHeader(req)
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUserInfo, p.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserInfo))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s: profile status %s", ErrUserInfo, p.Name, resp.Status)
	}
	claims := map[string]any{}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUserInfo, p.Name, err)
	}
	var sub string
	switch v := claims[p.SubjectClaim].(type) {
	case string:
		sub = v
	case json.Number:
		sub = v.String()
	}
	if sub == "" {
		return nil, fmt.Errorf("%w: %s: the profile has no %s", ErrUserInfo, p.Name, p.SubjectClaim)
	}
	return &Identity{Subject: sub, Claims: claims, TokenResponse: tokenResponse(tok), UserInfo: maps.Clone(claims)}, nil
}

// AppleClientSecret is the client secret Sign in with Apple takes: a JWT
// signed ES256 with the developer's key (key ID keyID), issued by the team
// for the Services ID clientID, for audience (https://appleid.apple.com),
// valid for validity.
func AppleClientSecret(teamID, clientID, keyID, audience string, key *ecdsa.PrivateKey, now time.Time, validity time.Duration) (string, error) {
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", keyID))
	if err != nil {
		return "", fmt.Errorf("apple client secret: %w", err)
	}
	claims := jwt.Claims{
		Issuer: teamID, Subject: clientID, Audience: jwt.Audience{audience},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(validity)),
	}
	return jwt.Signed(sig).Claims(claims).Serialize()
}
