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
	"github.com/cognate-dev/cognate/internal/userpool"
)

// initiateSRP runs the first step of USER_SRP_AUTH: USERNAME and SRP_A in,
// the PASSWORD_VERIFIER challenge out.
func (s *Service) initiateSRP(ctx context.Context, f flowStart, params map[string]string) (*outcome, error) {
	username, srpA := params["USERNAME"], params["SRP_A"]
	if username == "" {
		return nil, missing("USERNAME")
	}
	if srpA == "" {
		return nil, missing("SRP_A")
	}
	if _, err := ParseSRPA(srpA); err != nil {
		return nil, err
	}
	u, err := s.lookup(ctx, f.pool, username)
	if err != nil {
		return nil, err
	}
	if err := checkSecretHash(f.client, params["SECRET_HASH"], userNames(username, u)...); err != nil {
		return nil, err
	}
	return s.srpChallenge(ctx, f, u, username, srpA)
}

// srpChallenge answers with PASSWORD_VERIFIER for u (nil when the user does
// not exist): SALT and SRP_B of a fresh SRP exchange, USER_ID_FOR_SRP and
// USERNAME (the internal username), and the SECRET_BLOCK that carries the
// flow's state, b included, sealed. Cognito returns no Session here: the
// client echoes the SECRET_BLOCK, and that is what the answer is checked
// against (once).
//
// An unconfirmed user gets UserNotConfirmedException at once, unless the
// client hides whether users exist: then the challenge goes out and only a
// right proof learns of it (afterPassword).
//
// A user that does not exist gets a challenge made the same way from a
// stable fake verifier (same salt for the same name, fresh SRP_B each time)
// when the client hides whether users exist, and UserNotFoundException
// otherwise. A user without a verifier (one whose password was set before
// verifiers were kept) is answered like that too: no proof can pass, and
// USER_PASSWORD_AUTH or a new password brings a verifier.
func (s *Service) srpChallenge(ctx context.Context, f flowStart, u *userpool.SignInUser, given, srpA string) (*outcome, error) {
	folded := f.pool.FoldUsername(given)
	st := &flowState{
		Pool: f.pool.ID, Client: f.client.ClientID, Flow: f.flow, Admin: f.admin,
		Challenge: idp.ChallengeNameTypePasswordVerifier, Given: folded, SRPA: srpA,
	}
	var v SRPVerifier
	switch {
	case u == nil:
		if !f.client.PreventUserExistenceErrors {
			return nil, cognito.UserNotFoundException(msgUserNotFound)
		}
		st.Fake, st.Username = true, s.fakeUserID(f.pool, given)
		v = FakeSRPVerifier(s.fakeKey, f.pool.ID, folded)
	case !u.Enabled && !f.client.PreventUserExistenceErrors:
		return nil, cognito.NotAuthorizedException(msgUserDisabled)
	case u.Status == idp.UserStatusTypeUnconfirmed && !f.client.PreventUserExistenceErrors:
		// Cognito answers an unconfirmed user here, at InitiateAuth,
		// before any proof (see checkPassword).
		return nil, cognito.UserNotConfirmedException(msgUserNotConfirmed)
	default:
		st.Sub, st.Username = u.Sub, u.Username
		var err error
		v, err = OpenSRPVerifier(s.verifiers, f.pool.ID, u.Sub, u.SRPVerifier)
		if errors.Is(err, ErrNoSRPVerifier) {
			s.log.Info("user has no SRP verifier", "pool", f.pool.ID, "sub", u.Sub)
			st.NoVerifier = true
			v = FakeSRPVerifier(s.fakeKey, f.pool.ID, folded)
		} else if err != nil {
			return nil, err
		}
	}
	var (
		server *SRPServer
		err    error
	)
	if serr := userpool.Expensive(ctx, func() { server, err = NewSRPServer(v) }); serr != nil {
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
	return &outcome{
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

// respondPasswordVerifier checks the answer to PASSWORD_VERIFIER:
// PASSWORD_CLAIM_SIGNATURE over the echoed PASSWORD_CLAIM_SECRET_BLOCK and
// TIMESTAMP. The secret block is used up before the proof is checked, so
// it answers once, right or wrong; the attempt counts toward the lockout
// like a password, in the same transaction that uses the block up.
func (s *Service) respondPasswordVerifier(ctx context.Context, f flowStart, responses map[string]string) (*outcome, error) {
	username := responses["USERNAME"]
	block, sig, ts := responses["PASSWORD_CLAIM_SECRET_BLOCK"], responses["PASSWORD_CLAIM_SIGNATURE"], responses["TIMESTAMP"]
	switch {
	case username == "":
		return nil, missing("USERNAME")
	case block == "":
		return nil, missing("PASSWORD_CLAIM_SECRET_BLOCK")
	case sig == "":
		return nil, missing("PASSWORD_CLAIM_SIGNATURE")
	case ts == "":
		return nil, missing("TIMESTAMP")
	}
	st, err := s.readFlow(block, purposeSecretBlock, f.pool.ID, f.client.ClientID)
	if err != nil {
		return nil, err
	}
	if st.Challenge != idp.ChallengeNameTypePasswordVerifier {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	f.flow, f.admin = st.Flow, st.Admin
	if err := checkSecretHash(f.client, responses["SECRET_HASH"], username, st.Username, st.Sub); err != nil {
		return nil, err
	}
	if !sameUser(st, f.pool, username) {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	raw, err := base64.StdEncoding.DecodeString(block)
	if err != nil {
		return nil, s.useFlowThen(ctx, st, cognito.NotAuthorizedException(msgInvalidSession))
	}
	if st.Fake || st.NoVerifier {
		// Check the proof anyway, so that it costs what a real one costs;
		// no password matches a fake verifier.
		if err := s.shadowPasswordAttempt(ctx, f.pool.ID, st); err != nil {
			return nil, err
		}
		var err error
		if serr := userpool.Expensive(ctx, func() {
			var server *SRPServer
			if server, err = s.srpServer(FakeSRPVerifier(s.fakeKey, f.pool.ID, st.Given), st); err == nil {
				_, err = server.VerifyClaim(f.pool.Name, st.Username, st.SRPA, raw, ts, sig)
			}
		}); serr != nil {
			return nil, serr
		}
		if err != nil {
			return nil, err
		}
		return nil, incorrect()
	}
	// What ends the answer before the proof is checked is found out first,
	// and the block is used up before it is told, as when it is checked.
	u, err := s.pools.UserBySub(ctx, f.pool, st.Sub)
	if errors.Is(err, cognito.UserNotFoundException("")) {
		return nil, s.useFlowThen(ctx, st, unknownUser(f.client))
	}
	if err != nil {
		return nil, err
	}
	if !u.Enabled && !f.client.PreventUserExistenceErrors {
		return nil, s.useFlowThen(ctx, st, cognito.NotAuthorizedException(msgUserDisabled))
	}
	if _, err := ParseSRPTimestamp(ts); err != nil {
		return nil, s.useFlowThen(ctx, st, err)
	}
	attempt, err := s.beginPasswordAttempt(ctx, f.pool.ID, u.Sub, st)
	if err != nil {
		return nil, err
	}
	v, err := OpenSRPVerifier(s.verifiers, f.pool.ID, u.Sub, u.SRPVerifier)
	if errors.Is(err, ErrNoSRPVerifier) {
		return nil, incorrect()
	}
	if err != nil {
		return nil, err
	}
	var ok bool
	if serr := userpool.Expensive(ctx, func() {
		var server *SRPServer
		if server, err = s.srpServer(v, st); err == nil {
			ok, err = server.VerifyClaim(f.pool.Name, st.Username, st.SRPA, raw, ts, sig)
		}
	}); serr != nil {
		return nil, serr
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		s.recordEvent(ctx, f.pool, u.Sub, "", idp.EventResponseTypeFail)
		return nil, incorrect()
	}
	if !u.Enabled {
		if err := s.clearNow(ctx, attempt); err != nil {
			return nil, err
		}
		return nil, cognito.NotAuthorizedException(msgUserDisabled)
	}
	return s.afterPassword(ctx, f, u, st.Given, attempt)
}

// useFlowThen uses st up in a transaction of its own and returns answer,
// or the reason st cannot be used (used already, or a failed
// transaction).
func (s *Service) useFlowThen(ctx context.Context, st *flowState, answer error) error {
	if err := s.useFlowNow(ctx, st); err != nil {
		return err
	}
	return answer
}

// srpServer rebuilds the SRP attempt st holds against v: from b and B,
// or, for a state sealed before B was kept in it, from b alone, computing
// B again.
func (s *Service) srpServer(v SRPVerifier, st *flowState) (*SRPServer, error) {
	var (
		server *SRPServer
		err    error
	)
	if st.SRPPublic != nil {
		server, err = RestoreSRPServerWithB(v, st.SRPSecret, st.SRPPublic)
	} else {
		server, err = RestoreSRPServer(v, st.SRPSecret)
	}
	if err != nil {
		return nil, err
	}
	server.Now = s.clock
	return server, nil
}
