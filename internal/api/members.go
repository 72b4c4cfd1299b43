package api

import (
	"reflect"

	"github.com/cognate-dev/cognate/internal/cognito"
)

// inputMembers locates, in one operation's input structure, the members
// the edge itself reads before the operation runs: AccessToken, which it
// authenticates, UserPoolId and IdentityPoolId, which name the region of
// an unsigned request, ClientId, which names the pool an unauthenticated
// request counts against in the rate limits, and the user such a request
// is about (Username, or USERNAME in AuthParameters or ChallengeResponses),
// which the per-user limit counts, and Session, which names the pool of a
// sign-in's MFA_SETUP operations. Found once when the dispatch table is built,
// reading one is then a field access, not a trip through JSON.
type inputMembers struct {
	// t is the input's pointer type; the indexes are of its *string
	// fields, -1 when the input has no such member.
	t                                                              reflect.Type
	accessTokenAt, userPoolAt, identityPoolAt, clientAt, sessionAt int
	// usernameAt is a *string field; authParamsAt and challengeAt are
	// map[string]string fields.
	usernameAt, authParamsAt, challengeAt int
}

var (
	stringPointer = reflect.TypeFor[*string]()
	stringMap     = reflect.TypeFor[map[string]string]()
)

// membersOf locates the members of op's input.
func membersOf(op cognito.Operation) inputMembers {
	m := inputMembers{accessTokenAt: -1, userPoolAt: -1, identityPoolAt: -1, clientAt: -1, sessionAt: -1, usernameAt: -1, authParamsAt: -1, challengeAt: -1}
	if op.NewInput == nil {
		return m
	}
	t := reflect.TypeOf(op.NewInput())
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return m
	}
	m.t = t
	at := func(name string) int {
		f, ok := t.Elem().FieldByName(name)
		if !ok || len(f.Index) != 1 || f.Type != stringPointer {
			return -1
		}
		return f.Index[0]
	}
	m.accessTokenAt, m.userPoolAt, m.identityPoolAt = at("AccessToken"), at("UserPoolId"), at("IdentityPoolId")
	m.clientAt, m.usernameAt, m.sessionAt = at("ClientId"), at("Username"), at("Session")
	atMap := func(name string) int {
		f, ok := t.Elem().FieldByName(name)
		if !ok || len(f.Index) != 1 || f.Type != stringMap {
			return -1
		}
		return f.Index[0]
	}
	m.authParamsAt, m.challengeAt = atMap("AuthParameters"), atMap("ChallengeResponses")
	return m
}

// accessToken returns in's AccessToken member, or "".
func (m inputMembers) accessToken(in cognito.Input) string { return m.get(in, m.accessTokenAt) }

// userPoolID returns in's UserPoolId member, or "".
func (m inputMembers) userPoolID(in cognito.Input) string { return m.get(in, m.userPoolAt) }

// identityPoolID returns in's IdentityPoolId member, or "".
func (m inputMembers) identityPoolID(in cognito.Input) string { return m.get(in, m.identityPoolAt) }

// clientID returns in's ClientId member, or "".
func (m inputMembers) clientID(in cognito.Input) string { return m.get(in, m.clientAt) }

// session returns in's Session member, or "".
func (m inputMembers) session(in cognito.Input) string { return m.get(in, m.sessionAt) }

// username returns the user in names: its Username member, or else the
// USERNAME entry of its AuthParameters or ChallengeResponses; "" when it
// names none.
func (m inputMembers) username(in cognito.Input) string {
	if u := m.get(in, m.usernameAt); u != "" {
		return u
	}
	for _, i := range []int{m.authParamsAt, m.challengeAt} {
		if i < 0 {
			continue
		}
		v := reflect.ValueOf(in)
		if v.Type() != m.t || v.IsNil() {
			return ""
		}
		if u, _ := v.Elem().Field(i).Interface().(map[string]string)["USERNAME"]; u != "" {
			return u
		}
	}
	return ""
}

// get returns the *string field at index i of in, or "" when there is none
// or in is not of the type the indexes were found in.
func (m inputMembers) get(in cognito.Input, i int) string {
	if i < 0 {
		return ""
	}
	v := reflect.ValueOf(in)
	if v.Type() != m.t || v.IsNil() {
		return ""
	}
	f := v.Elem().Field(i)
	if f.IsNil() {
		return ""
	}
	return f.Elem().String()
}
