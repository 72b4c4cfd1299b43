package mfa

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// The parameters of Cognito's software tokens: what authenticator apps
// assume when an otpauth URI leaves them out.
const (
	// Period is the length of a TOTP time step.
	Period = 30 * time.Second
	// Digits is the length of a code.
	Digits = 6
	// Skew is how many steps before or after the current one a code may
	// be for.
	Skew = 1
	// secretBytes is the size of a new secret: 256 bits, written as 52
	// base32 characters, as Cognito's SecretCode is.
	secretBytes = 32
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a new TOTP secret in base32 without padding, the form
// AssociateSoftwareToken hands out as SecretCode.
func NewSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return b32.EncodeToString(b)
}

// Step is the TOTP time step t falls in.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

var hotpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Check reports whether code is the TOTP code of secret for a step within
// Skew of now's, and later than after (the last step a code was accepted
// for, 0 for none), and returns the step it matched: the caller stores it
// as the new after, so that a code is accepted once only. The comparison
// is constant-time.
func Check(secret, code string, now time.Time, after int64) (int64, bool) {
	if len(code) != Digits {
		return 0, false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	cur := Step(now)
	var matched int64
	ok := false
	// Every step in the window is computed, matched or not, so that the
	// time taken does not tell which one matched.
	for s := cur - Skew; s <= cur+Skew; s++ {
		if s <= 0 {
			continue
		}
		good, err := hotp.ValidateCustom(code, uint64(s), secret, hotpOpts)
		if err == nil && good && s > after && !ok {
			matched, ok = s, true
		}
	}
	return matched, ok
}

// Code returns the TOTP code of secret at t, for tests and for clients
// that cognate's own tools play.
func Code(secret string, t time.Time) (string, error) {
	return hotp.GenerateCodeCustom(secret, uint64(Step(t)), hotpOpts)
}

// ValidSecret reports whether secret is a base32 TOTP secret.
func ValidSecret(secret string) bool {
	b, err := b32.DecodeString(strings.ToUpper(secret))
	return err == nil && len(b) > 0
}

// URI returns the otpauth:// URI of secret that authenticator apps read
// from a QR code, labelled issuer:account.
func URI(issuer, account, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	if issuer != "" {
		v.Set("issuer", issuer)
	}
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	label := account
	if issuer != "" {
		label = issuer + ":" + account
	}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + label, RawQuery: v.Encode()}
	return u.String()
}

// QRCodePNG returns a PNG of the QR code of an otpauth URI (URI), size
// pixels square, for an authenticator app to scan.
func QRCodePNG(uri string, size int) ([]byte, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return nil, err
	}
	if key.Type() != "totp" || key.Secret() == "" {
		return nil, fmt.Errorf("mfa: %q is not an otpauth TOTP URI", uri)
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
