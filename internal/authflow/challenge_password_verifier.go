package authflow

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// passwordVerifierChallenge is USER_SRP_AUTH's PASSWORD_VERIFIER: it
// starts USER_SRP_AUTH (USERNAME and SRP_A in, the challenge out), is
// opened by USER_AUTH's PASSWORD_SRP, and answers PASSWORD_VERIFIER
// (PASSWORD_CLAIM_SIGNATURE over the echoed PASSWORD_CLAIM_SECRET_BLOCK and
// TIMESTAMP). Its flow state is the SRP exchange: b, B and A, and whether
// the user has a verifier; it travels in the SECRET_BLOCK, not a Session.
type passwordVerifierChallenge struct{}

func (passwordVerifierChallenge) startParams(_ *Service, sp *call) (string, error) {
	username, srpA := sp.params["USERNAME"], sp.params["SRP_A"]
	if username == "" {
		return "", missing("USERNAME")
	}
	if srpA == "" {
		return "", missing("SRP_A")
	}
	if _, err := srp.ParseA(srpA); err != nil {
		return "", err
	}
	return username, nil
}

func (c passwordVerifierChallenge) start(ctx context.Context, s *Service, sp *call) (*Step, error) {
	return c.open(ctx, s, sp, sp.username, sp.params["SRP_A"])
}

// open answers with PASSWORD_VERIFIER for sp.user (nil when the user does
// not exist): SALT and SRP_B of a fresh SRP exchange, USER_ID_FOR_SRP and
// USERNAME (the internal username), and the SECRET_BLOCK that carries the
// flow's state, b included, sealed. Cognito returns no Session here: the
// client echoes the SECRET_BLOCK, and that is what the answer is checked
// against (once).
//
// An unconfirmed user gets UserNotConfirmedException at once, unless the
// client hides whether users exist: then the challenge goes out and only a
// right proof learns of it (Service.next).
//
// A user that does not exist gets a challenge made the same way from a
// stable fake verifier (same salt for the same name, fresh SRP_B each time)
// when the client hides whether users exist, and UserNotFoundException
// otherwise. A user without a verifier (one whose password was set before
// verifiers were kept) is answered like that too: no proof can pass, and
// USER_PASSWORD_AUTH or a new password brings a verifier.
func (passwordVerifierChallenge) open(ctx context.Context, s *Service, sp *call, given, srpA string) (*Step, error) {
	f, u := sp.flowStart, sp.user
	folded := f.pool.FoldUsername(given)
	st := &flowState{
		Pool: f.pool.ID, Client: f.client.ClientID, Flow: f.flow, Admin: f.admin,
		Challenge: idp.ChallengeNameTypePasswordVerifier, Given: folded, SRPA: srpA, Custom: sp.rounds,
	}
	var v srp.Verifier
	switch {
	case u == nil:
		if !f.client.PreventUserExistenceErrors {
			return nil, cognito.UserNotFoundException(msgUserNotFound)
		}
		st.Fake, st.Username = true, s.fakeUserID(f.pool, given)
		v = srp.FakeVerifier(s.fakeKey, f.pool.ID, folded)
	case !u.Enabled && !f.client.PreventUserExistenceErrors:
		return nil, cognito.NotAuthorizedException(msgUserDisabled)
	case u.Status == idp.UserStatusTypeUnconfirmed && !f.client.PreventUserExistenceErrors:
		// Cognito answers an unconfirmed user here, at InitiateAuth,
		// before any proof (see checkPassword).
		return nil, cognito.UserNotConfirmedException(msgUserNotConfirmed)
	default:
		st.Sub, st.Username = u.Sub, u.Username
		var err error
		v, err = s.verifiers.Open(f.pool.ID, u.Sub, u.SRPVerifier)
		if errors.Is(err, srp.ErrNoVerifier) {
			s.log.Info("user has no SRP verifier", "pool", f.pool.ID, "sub", u.Sub)
			st.NoVerifier = true
			v = srp.FakeVerifier(s.fakeKey, f.pool.ID, folded)
		} else if err != nil {
			return nil, err
		}
	}
	var (
		server *srp.Server
		err    error
	)
	if serr := s.passwords.Run(ctx, func() { server, err = srp.NewServer(v) }); serr != nil {
		return nil, serr
	}
	if err != nil {
		return nil, err
	}
	st.SRPSecret, st.SRPPublic = server.Secret(), server.Public()
	block, err := s.openFlow(ctx, st, sessionValidity(f.client.AuthSessionValidity), purposeSecretBlock, nil)
	if err != nil {
		return nil, err
	}
	return &Step{
		Challenge: idp.ChallengeNameTypePasswordVerifier,
		Params: map[string]string{
			"SALT":            v.SaltHex(),
			"SRP_B":           server.PublicB(),
			"SECRET_BLOCK":    block,
			"USER_ID_FOR_SRP": st.Username,
			"USERNAME":        st.Username,
		},
	}, nil
}

// fakeUserID is the USER_ID_FOR_SRP of a user that does not exist. In a
// pool whose users sign in with an email address or phone number, real
// internal usernames are UUIDs, so the stand-in is a UUID derived from the
// pool and name (stable, as Cognito documents); elsewhere a real user's
// internal username is what it signs in with, so the stand-in is the name
// given.
func (s *Service) fakeUserID(pool *userpool.SignInPool, given string) string {
	if !pool.UsernameAttributes {
		return given
	}
	m := hmac.New(sha256.New, s.fakeKey)
	m.Write([]byte("user-id\x00" + pool.ID + "\x00" + pool.FoldUsername(given)))
	b := m.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// sameUser reports whether a USERNAME in a challenge response names the
// flow's user: its internal username (the USER_ID_FOR_SRP clients send
// back), its sub, or the name the flow started with.
func sameUser(st *flowState, pool *userpool.SignInPool, username string) bool {
	return username != "" && (username == st.Username || (st.Sub != "" && username == st.Sub) || pool.FoldUsername(username) == st.Given)
}

func (passwordVerifierChallenge) answers() idp.ChallengeNameType {
	return idp.ChallengeNameTypePasswordVerifier
}

// sealed finds the state in PASSWORD_CLAIM_SECRET_BLOCK, once the
// responses the proof needs are all there.
func (passwordVerifierChallenge) sealed(_ string, responses map[string]string) (string, string, error) {
	switch {
	case responses["USERNAME"] == "":
		return "", "", missing("USERNAME")
	case responses["PASSWORD_CLAIM_SECRET_BLOCK"] == "":
		return "", "", missing("PASSWORD_CLAIM_SECRET_BLOCK")
	case responses["PASSWORD_CLAIM_SIGNATURE"] == "":
		return "", "", missing("PASSWORD_CLAIM_SIGNATURE")
	case responses["TIMESTAMP"] == "":
		return "", "", missing("TIMESTAMP")
	}
	return responses["PASSWORD_CLAIM_SECRET_BLOCK"], purposeSecretBlock, nil
}

func (passwordVerifierChallenge) answerParams(_ *Service, sp *call) (string, error) {
	return sp.params["USERNAME"], nil
}

// answer checks the proof through the shared phases: the proof is checked
// first, then one transaction uses the secret block up (so it answers
// once, right or wrong) and decides on the lockout: it counts a wrong
// proof like a wrong password, and for a right one takes the count back
// and issues the tokens, unless the user is locked out.
func (passwordVerifierChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	block := sp.params["PASSWORD_CLAIM_SECRET_BLOCK"]
	raw, err := base64.StdEncoding.DecodeString(block)
	if err != nil {
		return nil, s.useFlowThen(ctx, sp.st, cognito.NotAuthorizedException(msgInvalidSession))
	}
	// A DEVICE_KEY that is not one of the user's devices is refused
	// before the proof, leaving the block usable: the client forgets the
	// key and answers again without it.
	if sp.device, err = s.signInDevice(ctx, sp.pool, sp.st.Sub, sp.params["DEVICE_KEY"]); err != nil {
		return nil, err
	}
	return s.authenticate(ctx, sp, srpFactor{
		block: raw, timestamp: sp.params["TIMESTAMP"], signature: sp.params["PASSWORD_CLAIM_SIGNATURE"],
	})
}

// srpFactor checks an SRP proof (PASSWORD_CLAIM_SIGNATURE) against the
// exchange the state holds.
type srpFactor struct {
	block                []byte
	timestamp, signature string
}

// admit lets every proof go on: the SRP computations queue in
// password.Hasher.Run.
func (srpFactor) admit(context.Context, *Service) error { return nil }

// checkFirst is true: the SRP computation queues in the fair scheduler,
// which bounds what parallel proofs cost, so the proof is checked before
// its attempt is counted and a right one signs in with one transaction.
func (srpFactor) checkFirst() bool { return true }

// precheck refuses a TIMESTAMP not in the client's format before the
// attempt is counted.
func (f srpFactor) precheck(_ *Service, _ *call) error {
	_, err := srp.ParseTimestamp(f.timestamp)
	return err
}

func (f srpFactor) verify(ctx context.Context, s *Service, sp *call) (bool, error) {
	v, err := s.verifiers.Open(sp.pool.ID, sp.user.Sub, sp.user.SRPVerifier)
	if errors.Is(err, srp.ErrNoVerifier) {
		return false, incorrect()
	}
	if err != nil {
		return false, err
	}
	return f.check(ctx, s, sp, v)
}

// shadow checks the proof anyway against the fake verifier, so that it
// costs what a real one costs; no password matches it.
func (f srpFactor) shadow(ctx context.Context, s *Service, sp *call) error {
	_, err := f.check(ctx, s, sp, srp.FakeVerifier(s.fakeKey, sp.pool.ID, sp.st.Given))
	return err
}

func (f srpFactor) check(ctx context.Context, s *Service, sp *call, v srp.Verifier) (bool, error) {
	var (
		ok  bool
		err error
	)
	if serr := s.passwords.Run(ctx, func() {
		var server *srp.Server
		if server, err = s.srpServer(v, sp.st); err == nil {
			ok, err = server.VerifyClaim(sp.pool.Name, sp.st.Username, sp.st.SRPA, f.block, f.timestamp, f.signature)
		}
	}); serr != nil {
		return false, serr
	}
	return ok, err
}

// srpServer rebuilds the SRP attempt st holds against v: from b and B,
// or, for a state sealed before B was kept in it, from b alone, computing
// B again.
func (s *Service) srpServer(v srp.Verifier, st *flowState) (*srp.Server, error) {
	var (
		server *srp.Server
		err    error
	)
	if st.SRPPublic != nil {
		server, err = srp.RestoreServerWithB(v, st.SRPSecret, st.SRPPublic)
	} else {
		server, err = srp.RestoreServer(v, st.SRPSecret)
	}
	if err != nil {
		return nil, err
	}
	server.Now = s.clock
	return server, nil
}
