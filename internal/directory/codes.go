package directory

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// Lifetimes of the one-time codes sent to users, as Cognito documents
// them: a sign-up confirmation or attribute verification code is valid for
// 24 hours, a password-reset code for one hour.
const (
	verificationCodeTTL  = 24 * time.Hour
	passwordResetCodeTTL = time.Hour
)

// codePurposeSignUp is the Purpose of the code that confirms a sign-up
// (SignUp and ResendConfirmationCode send it, ConfirmSignUp takes it). Its
// message is a messaging.PurposeVerification message, since confirming the
// sign-up also verifies the attribute the code went to.
const codePurposeSignUp = "sign-up"

// maxCodeFailures is how many wrong guesses one code survives. The attempt
// after the last of them is refused with LimitExceededException, even with
// the right code, until a new code is sent: six digits and five guesses
// leave an attacker one chance in 200,000 per code the user is sent.
// Cognito does not publish its bound; its clients see five
// CodeMismatchException answers and then LimitExceededException.
const maxCodeFailures = 5

// userCode is a one-time code sent to a user. Only a keyed MAC of it is
// stored (codeHasher).
type userCode struct {
	// Purpose is a messaging.Purpose* value, or codePurposeSignUp.
	Purpose string `json:"purpose"`
	// Attribute is the attribute the code went to (email, phone_number).
	Attribute string `json:"attribute"`
	// Hash is codeHasher.code of the user's sub and the code: a hex
	// HMAC-SHA256 under the code key when Keyed is set, else (codes stored
	// before codes were keyed, accepted until they expire) the hex SHA-256
	// of the sub, a colon and the code.
	Hash string `json:"hash"`
	// Keyed tells that Hash and To are MACs under the code key.
	Keyed     bool      `json:"keyed,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	// Failures counts the wrong codes submitted against this one. It is
	// written in the same transaction that reads it, so concurrent guesses
	// cannot get past maxCodeFailures.
	Failures int `json:"failures,omitempty"`
	// To is codeHasher.destination of the value the code went to, for
	// codes whose use verifies that value ("" when not recorded): a code
	// sent to an address that has changed since verifies nothing.
	To string `json:"to,omitempty"`
}

// KeyLabelCodes is the seal.DeriveKey label of the key of the MACs that
// stand for one-time codes at rest (Options.CodeKey).
const KeyLabelCodes = "one-time-codes"

// codeHasher makes what the store keeps of a one-time code and of the
// value it went to: HMAC-SHA256 under a key that is not in the store. A
// six-digit code has a million values, so an unkeyed hash of it is
// reversed by trying them all; without the key, a copy of the database
// does not tell which code a MAC stands for.
type codeHasher struct {
	key []byte
}

// mac returns the hex HMAC of the parts, each followed by a NUL so that
// no two lists of parts run together.
func (h codeHasher) mac(parts ...string) string {
	m := hmac.New(sha256.New, h.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

// code is the stored form of code sent to the user with sub.
func (h codeHasher) code(sub, code string) string { return h.mac("code", sub, code) }

// destination is the stored form of value, a value a code went to.
func (h codeHasher) destination(sub, value string) string { return h.mac("to", sub, value) }

// legacyCodeHash and legacyDestinationHash are the unkeyed SHA-256 forms
// of codes stored before codes were keyed. They are only compared with,
// never written: such codes expire within a day.
func legacyCodeHash(sub, code string) string {
	sum := sha256.Sum256([]byte(sub + ":" + code))
	return hex.EncodeToString(sum[:])
}

func legacyDestinationHash(sub, value string) string {
	sum := sha256.Sum256([]byte(sub + ":to:" + value))
	return hex.EncodeToString(sum[:])
}

// wentTo reports, in constant time, whether c's To stands for value, a
// value of the attribute of the user with sub.
func (h codeHasher) wentTo(c userCode, sub, value string) bool {
	want := legacyDestinationHash(sub, value)
	if c.Keyed {
		want = h.destination(sub, value)
	}
	return subtle.ConstantTimeCompare([]byte(c.To), []byte(want)) == 1
}

// reaches reports whether the attribute c went to still holds the value it
// went to.
func (h codeHasher) reaches(c userCode, u *userRecord) bool {
	v := u.Attributes[c.Attribute]
	return v != "" && (c.To == "" || h.wentTo(c, u.Sub, v))
}

// newCode returns a six-digit one-time code drawn from crypto/rand.
func newCode() string { return cognito.RandomString(6, "0123456789") }

// submitted is a code a user submitted, in both stored forms, so that each
// stored code is compared with the form it was stored in.
type submitted struct{ keyed, legacy []byte }

func (h codeHasher) submitted(sub, code string) submitted {
	return submitted{keyed: []byte(h.code(sub, code)), legacy: []byte(legacyCodeHash(sub, code))}
}

// matches reports, in constant time, whether c is the submitted code.
func (w submitted) matches(c userCode) bool {
	want := w.legacy
	if c.Keyed {
		want = w.keyed
	}
	return subtle.ConstantTimeCompare([]byte(c.Hash), want) == 1
}

// addCode records a new code for purpose and attribute on u, replacing an
// earlier one for the same purpose and attribute, and dropping expired ones.
func (h codeHasher) addCode(u *userRecord, purpose, attr, code string, expires, now time.Time) {
	u.Codes = slices.DeleteFunc(u.Codes, func(c userCode) bool {
		return (c.Purpose == purpose && c.Attribute == attr) || !c.ExpiresAt.After(now)
	})
	u.Codes = append(u.Codes, userCode{Purpose: purpose, Attribute: attr, Hash: h.code(u.Sub, code), Keyed: true, ExpiresAt: expires})
}

// addCodeTo is addCode for a code whose use verifies value, the value of
// attr it went to.
func (h codeHasher) addCodeTo(u *userRecord, purpose, attr, value, code string, expires, now time.Time) {
	h.addCode(u, purpose, attr, code, expires, now)
	u.Codes[len(u.Codes)-1].To = h.destination(u.Sub, value)
}

// replaceCode records a new code for purpose, sent to attribute attr of
// value value, on u as the only one for that purpose, whatever attribute
// earlier ones went to: a code that is sent again invalidates the one
// before it, and its failure count starts over.
func (h codeHasher) replaceCode(u *userRecord, purpose, attr, value, code string, expires, now time.Time) {
	dropCodes(u, purpose)
	h.addCodeTo(u, purpose, attr, value, code, expires, now)
}

// dropCodes removes every code of purpose from u.
func dropCodes(u *userRecord, purpose string) {
	u.Codes = slices.DeleteFunc(u.Codes, func(c userCode) bool { return c.Purpose == purpose })
	if len(u.Codes) == 0 {
		u.Codes = nil
	}
}

// checkCode reports whether code is the unexpired code u was sent for
// purpose and attribute. It neither counts failures nor uses the code: the
// operations that take a code from a user call spendCode.
func (h codeHasher) checkCode(u *userRecord, purpose, attr, code string, now time.Time) bool {
	want := h.submitted(u.Sub, code)
	for _, c := range u.Codes {
		if c.Purpose == purpose && c.Attribute == attr && c.ExpiresAt.After(now) && want.matches(c) {
			return true
		}
	}
	return false
}

// The exceptions a submitted code can earn, worded as Cognito words them.
func codeMismatch() error {
	return cognito.CodeMismatchException("Invalid verification code provided, please try again.")
}

func codeExpired() error {
	return cognito.ExpiredCodeException("Invalid code provided, please request a code again.")
}

func codeAttemptsExceeded() error {
	return cognito.LimitExceededException("Attempt limit exceeded, please try after some time.")
}

// spendCode checks code, submitted by the user for purpose (and for attr,
// or any attribute when attr is ""), and records the outcome on u:
//
//   - no code of the purpose, or only expired ones: ExpiredCodeException;
//   - every live code has had maxCodeFailures wrong guesses:
//     LimitExceededException, whatever was submitted;
//   - a live code matches: it is removed (codes are single-use) and
//     spendCode returns it;
//   - otherwise each live code counts one more failure:
//     CodeMismatchException.
//
// changed reports whether u was modified. The caller must write u back in
// the same transaction that read it whenever changed is true, even when err
// is not nil: that is what makes the failure count hold against concurrent
// guesses. MACs are compared in constant time.
func (h codeHasher) spendCode(u *userRecord, purpose, attr, code string, now time.Time) (spent userCode, changed bool, err error) {
	want := h.submitted(u.Sub, code)
	var live []int
	for i, c := range u.Codes {
		if c.Purpose == purpose && (attr == "" || c.Attribute == attr) && c.ExpiresAt.After(now) {
			live = append(live, i)
		}
	}
	if len(live) == 0 {
		return userCode{}, false, codeExpired()
	}
	match, open := -1, 0
	for _, i := range live {
		if u.Codes[i].Failures >= maxCodeFailures {
			continue
		}
		open++
		if want.matches(u.Codes[i]) {
			match = i
		}
	}
	if open == 0 {
		return userCode{}, false, codeAttemptsExceeded()
	}
	if match >= 0 {
		spent = u.Codes[match]
		u.Codes = slices.Delete(u.Codes, match, match+1)
		if len(u.Codes) == 0 {
			u.Codes = nil
		}
		return spent, true, nil
	}
	for _, i := range live {
		if u.Codes[i].Failures < maxCodeFailures {
			u.Codes[i].Failures++
		}
	}
	return userCode{}, true, codeMismatch()
}

// maskDestination returns a code's destination as Cognito shows it in
// CodeDeliveryDetails: an email address keeps only the first character of
// its local part and of its domain ("t***@t***" for test@test.com, as
// Cognito answers); a phone number keeps its plus sign and last four
// digits, with one asterisk for each digit hidden ("+*******1234" for
// +12065551234, "+********4114" for a twelve-digit number).
func maskDestination(attr, v string) string {
	if attr == "phone_number" {
		digits := strings.TrimPrefix(v, "+")
		keep := 4
		if len(digits) <= keep {
			keep = 0
		}
		return "+" + strings.Repeat("*", len(digits)-keep) + digits[len(digits)-keep:]
	}
	local, domain, ok := strings.Cut(v, "@")
	if !ok {
		return firstRune(v) + "***"
	}
	return firstRune(local) + "***@" + firstRune(domain) + "***"
}

func firstRune(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}

// codeDelivery is the CodeDeliveryDetails of a code sent to attribute attr
// with value v.
func codeDelivery(attr, v string) *idp.CodeDeliveryDetailsType {
	return &idp.CodeDeliveryDetailsType{
		Destination:    cognito.Ptr(maskDestination(attr, v)),
		DeliveryMedium: cognito.Ptr(idp.DeliveryMediumType(channelOf(attr))),
		AttributeName:  cognito.Ptr(attr),
	}
}

// simulatedDelivery is the CodeDeliveryDetails answered in place of
// UserNotFoundException (and of the answers that would tell a disabled
// user or one without a verified contact apart) when the app client
// prevents user existence errors. The medium is the one a user of the pool
// would be sent a code by: the first of prefer, which the caller derives
// from the pool's settings (email without one). The format of the username
// never changes the medium, or an email-shaped name in a pool that sends
// codes by SMS would answer EMAIL where a real user gets SMS. A username
// that is an address of that medium is masked as one, as a user whose
// username is its email address or phone number would see it; any other
// username gets a destination derived from the pool and username with a
// key only the servers of the store hold (Options.ExistenceKey), so that
// asking again, of any node, gives the same answer and nobody else can
// compute it.
func (s *Service) simulatedDelivery(p *idp.UserPoolType, username string, prefer []string) *idp.CodeDeliveryDetailsType {
	attr := "email"
	if len(prefer) > 0 {
		attr = prefer[0]
	}
	return s.MadeUpDelivery(cognito.Deref(p.Id), username, userpool.FoldUsername(p, username), attr)
}

// MadeUpDelivery is the CodeDeliveryDetails by attr ("email" or
// "phone_number") for username, folded as the pool folds it, of a user
// that does not exist in the pool poolID: the username itself when it is
// an address of that medium, else an address derived from the pool and
// the folded name with the existence key. Every answer that makes up a
// destination (recovery, confirmation, a passwordless code) comes from
// here, so that two of them for one name agree as a real user's do.
func (s *Service) MadeUpDelivery(poolID, username, folded, attr string) *idp.CodeDeliveryDetailsType {
	switch {
	case attr == "email" && validEmail(username):
		return codeDelivery(attr, username)
	case attr == "phone_number" && phonePattern.MatchString(username):
		return codeDelivery(attr, username)
	}
	m := hmac.New(sha256.New, s.existenceKey)
	m.Write([]byte("simulated-delivery\x00" + poolID + "\x00" + folded))
	sum := m.Sum(nil)
	if attr == "phone_number" {
		n := binary.BigEndian.Uint16(sum) % 10000
		return codeDelivery(attr, fmt.Sprintf("+1555555%04d", n))
	}
	const letters = "abcdefghijklmnopqrstuvwxyz"
	return codeDelivery(attr, string(letters[sum[2]%26])+"@"+string(letters[sum[3]%26])+".com")
}
