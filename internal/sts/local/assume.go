package local

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/sts"
)

// AssumeRoleInput is AssumeRoleWithWebIdentity's input.
type AssumeRoleInput struct {
	RoleARN, RoleSessionName, WebIdentityToken string
	// DurationSeconds is 0 when the caller sent none: one hour.
	DurationSeconds int64
	// SessionTags are tags beyond those the token carries (in-process
	// callers only; the wire has no such parameter). A tag the token
	// carries too keeps the token's value.
	SessionTags map[string]string
}

// AssumeRoleResult is AssumeRoleWithWebIdentity's answer.
type AssumeRoleResult struct {
	Credentials    sts.Credentials
	AssumedRoleARN string
	AssumedRoleID  string
	// Subject and Audience are the token's sub and the aud accepted;
	// Provider is its issuer without the scheme.
	Subject, Audience, Provider string
	// PackedPolicySize is the percentage of the allowed size the session
	// tags take.
	PackedPolicySize int32
}

// AssumeRoleWithWebIdentity is the port of identity pools (sts.Issuer).
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, r sts.WebIdentityRequest) (sts.Credentials, error) {
	res, err := s.AssumeRole(ctx, AssumeRoleInput{
		RoleARN: r.RoleARN, RoleSessionName: r.RoleSessionName, WebIdentityToken: r.WebIdentityToken,
		DurationSeconds: int64(r.Duration / time.Second), SessionTags: r.SessionTags,
	})
	if err != nil {
		return sts.Credentials{}, err
	}
	return res.Credentials, nil
}

var (
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)
	// roleARNPattern is arn:aws:iam::<account>:role/<path/><name>.
	roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/((?:[\x21-\x7e]+/)*)([\w+=,.@-]{1,64})$`)
)

// The bounds of the session tags, as STS's.
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
	// maxPackedTags is the size, in bytes of the tags' JSON, that counts
	// as a PackedPolicySize of 100.
	maxPackedTags = 2048
)

// validate checks the input as STS does, collecting every violation.
func (s *Service) validate(in AssumeRoleInput) error {
	var v []string
	add := func(value, member, constraint string) {
		v = append(v, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", echo(value), member, constraint))
	}
	if n := utf8.RuneCountInString(in.RoleARN); n < 20 {
		add(in.RoleARN, "roleArn", "Member must have length greater than or equal to 20")
	} else if n > 2048 {
		add(in.RoleARN, "roleArn", "Member must have length less than or equal to 2048")
	}
	if n := utf8.RuneCountInString(in.RoleSessionName); n < 2 {
		add(in.RoleSessionName, "roleSessionName", "Member must have length greater than or equal to 2")
	} else if n > 64 {
		add(in.RoleSessionName, "roleSessionName", "Member must have length less than or equal to 64")
	}
	if !sessionNamePattern.MatchString(in.RoleSessionName) {
		add(in.RoleSessionName, "roleSessionName", `Member must satisfy regular expression pattern: [\w+=,.@-]*`)
	}
	if n := len(in.WebIdentityToken); n < 4 {
		v = append(v, "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4")
	} else if n > 20000 {
		v = append(v, "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000")
	}
	if in.DurationSeconds != 0 && in.DurationSeconds < int64(MinDuration/time.Second) {
		add(fmt.Sprint(in.DurationSeconds), "durationSeconds", "Member must have value greater than or equal to 900")
	} else if in.DurationSeconds > int64(MaxDuration/time.Second) {
		add(fmt.Sprint(in.DurationSeconds), "durationSeconds", "Member must have value less than or equal to 43200")
	}
	switch len(v) {
	case 0:
	case 1:
		return sts.NewError(sts.CodeValidationError, "1 validation error detected: "+v[0])
	default:
		return sts.Errorf(sts.CodeValidationError, "%d validation errors detected: %s", len(v), strings.Join(v, "; "))
	}
	if !roleARNPattern.MatchString(in.RoleARN) {
		return sts.NewError(sts.CodeValidationError, "Request ARN is invalid")
	}
	if time.Duration(in.DurationSeconds)*time.Second > s.maxSession {
		return sts.NewError(sts.CodeValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	return nil
}

// echo bounds a value quoted back in a message.
func echo(s string) string {
	if len(s) > 256 {
		return s[:256] + "..."
	}
	return s
}

// AssumeRole verifies the web identity token, checks that its issuer
// trusts the role, and mints credentials for the role, bound to the
// session name and the token's subject.
func (s *Service) AssumeRole(ctx context.Context, in AssumeRoleInput) (*AssumeRoleResult, error) {
	if err := s.validate(in); err != nil {
		return nil, err
	}
	id, err := s.verify(ctx, in.WebIdentityToken)
	if err != nil {
		return nil, err
	}
	if !id.issuer.mayAssume(in.RoleARN) {
		return nil, sts.NewError(sts.CodeAccessDenied, msgNotTrusted)
	}
	if trusts := id.issuer.Trusts; trusts != nil {
		ok, err := trusts(ctx, Token{Issuer: id.issuer.URL, Subject: id.subject, Audience: id.audience, AMR: id.amr}, in.RoleARN)
		if err != nil {
			return nil, internal(fmt.Errorf("role trust of %s: %w", in.RoleARN, err))
		}
		if !ok {
			return nil, sts.NewError(sts.CodeAccessDenied, msgNotTrusted)
		}
	}
	tags := map[string]string{}
	for k, v := range in.SessionTags {
		tags[k] = v
	}
	for k, v := range id.tags {
		tags[k] = v
	}
	packed, err := checkTags(tags)
	if err != nil {
		return nil, err
	}

	m := roleARNPattern.FindStringSubmatch(in.RoleARN)
	account, roleName := m[1], m[3]
	duration := DefaultDuration
	if in.DurationSeconds > 0 {
		duration = time.Duration(in.DurationSeconds) * time.Second
	}
	now := s.clock().UTC().Truncate(time.Second)
	rec := record{
		RoleARN:         in.RoleARN,
		RoleSessionName: in.RoleSessionName,
		Account:         account,
		AssumedRoleARN:  "arn:aws:sts::" + account + ":assumed-role/" + roleName + "/" + in.RoleSessionName,
		AssumedRoleID:   s.roleID(in.RoleARN) + ":" + in.RoleSessionName,
		Issuer:          id.issuer.URL,
		Subject:         id.subject,
		Audience:        id.audience,
		Tags:            tags,
		Expiration:      now.Add(duration),
	}
	if len(rec.Tags) == 0 {
		rec.Tags = nil
	}
	creds, err := s.mint(ctx, &rec, now)
	if err != nil {
		return nil, err
	}
	s.maybeSweep(ctx)
	return &AssumeRoleResult{
		Credentials:      creds,
		AssumedRoleARN:   rec.AssumedRoleARN,
		AssumedRoleID:    rec.AssumedRoleID,
		Subject:          rec.Subject,
		Audience:         rec.Audience,
		Provider:         strings.TrimPrefix(strings.TrimPrefix(rec.Issuer, "https://"), "http://"),
		PackedPolicySize: packed,
	}, nil
}

// checkTags applies STS's bounds on session tags and returns their
// packed size as a percentage of the allowed size.
func checkTags(tags map[string]string) (int32, error) {
	if len(tags) > maxTags {
		return 0, sts.Errorf(sts.CodeValidationError, "A session may carry at most %d tags, not %d.", maxTags, len(tags))
	}
	for k, v := range tags {
		if k == "" || utf8.RuneCountInString(k) > maxTagKeyLen || utf8.RuneCountInString(v) > maxTagValueLen {
			return 0, sts.Errorf(sts.CodeValidationError, "The session tag '%s' is not valid: keys have 1 to %d characters and values up to %d.",
				echo(k), maxTagKeyLen, maxTagValueLen)
		}
	}
	if len(tags) == 0 {
		return 0, nil
	}
	b, _ := json.Marshal(tags)
	pct := int32(len(b) * 100 / maxPackedTags)
	if pct > 100 {
		return 0, sts.Errorf(sts.CodeValidationError, "The session tags are %d%% of the allowed packed size.", pct)
	}
	return pct, nil
}

// roleID is the role's unique ID as STS shows it (AROA and 17 characters),
// derived from the role ARN under the session-token key, so that it is
// the same for every session of the role.
func (s *Service) roleID(roleARN string) string {
	sum := s.tokenMAC(0, "role-id\x00"+roleARN)
	return "AROA" + base32.StdEncoding.EncodeToString(sum)[:17]
}

// Temporary credentials replicate, as the tokens they were traded for do,
// so that they authorize in every region until they expire.
func init() { storage.DeclareKind(ItemKind, storage.Replicated) }

// The kind of the credentials' items and their index of expiry.
const (
	// ItemKind is the store kind of temporary credentials.
	ItemKind = "sts_credentials"
	// expiryIndex entries name the time an item may be swept: its
	// expiration plus sweepGrace, in Unix seconds, zero-padded.
	expiryIndex = "expires/"
	// sweepGrace keeps expired credentials long enough to be refused as
	// expired rather than unknown.
	sweepGrace = time.Hour
)

func expiryKey(t time.Time) string { return fmt.Sprintf("%s%020d", expiryIndex, t.Unix()) }

// record is the stored state of one set of temporary credentials.
type record struct {
	// Secret is the secret access key, sealed for this access key ID.
	Secret []byte `json:"secret"`
	// TokenMAC is the keyed hash of the session token.
	TokenMAC        []byte            `json:"token_mac"`
	RoleARN         string            `json:"role_arn"`
	RoleSessionName string            `json:"role_session_name"`
	Account         string            `json:"account"`
	AssumedRoleARN  string            `json:"assumed_role_arn"`
	AssumedRoleID   string            `json:"assumed_role_id"`
	Issuer          string            `json:"issuer"`
	Subject         string            `json:"subject"`
	Audience        string            `json:"audience"`
	Tags            map[string]string `json:"tags,omitempty"`
	Expiration      time.Time         `json:"expiration"`
}

func secretPurpose(accessKeyID string) string { return "sts-secret-access-key/" + accessKeyID }

// mint makes the access key ID, secret and session token, and stores the
// record with the sealed secret and the hashed token.
func (s *Service) mint(ctx context.Context, rec *record, now time.Time) (sts.Credentials, error) {
	var raw [10 + 30 + 64]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return sts.Credentials{}, internal(err)
	}
	akid := "ASIA" + base32.StdEncoding.EncodeToString(raw[:10])
	secret := base64.StdEncoding.EncodeToString(raw[10:40])
	token := base64.StdEncoding.EncodeToString(raw[40:])
	rec.Secret = s.sealer.Seal(secretPurpose(akid), []byte(secret))
	rec.TokenMAC = s.tokenMAC(0, token)
	data, err := json.Marshal(rec)
	if err != nil {
		return sts.Credentials{}, internal(err)
	}
	it := &storage.Item{
		Kind: ItemKind, ID: akid, Data: data,
		Index:     []string{expiryKey(rec.Expiration.Add(sweepGrace))},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, it) }); err != nil {
		return sts.Credentials{}, internal(fmt.Errorf("store credentials: %w", err))
	}
	return sts.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: token, Expiration: rec.Expiration}, nil
}

// tokenMatches compares the keyed hash of token, under each key, with mac
// in constant time.
func (s *Service) tokenMatches(mac []byte, token string) bool {
	ok := false
	for i := range s.macKeys {
		if hmac.Equal(s.tokenMAC(i, token), mac) {
			ok = true
		}
	}
	return ok
}
