package api

import (
	"encoding/json"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/identity"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestInputMembers checks, for every operation of both services, that the
// members the edge reads by field are the ones JSON names AccessToken,
// UserPoolId and IdentityPoolId: decoding a body that sets them and
// reading them back through JSON gives what inputMembers gives.
func TestInputMembers(t *testing.T) {
	const body = `{"AccessToken":"token.value.here","UserPoolId":"us-east-1_abc","IdentityPoolId":"us-east-1:0000-1111"}`
	ops := append(append([]cognito.Operation{}, idp.Operations...), identity.Operations...)
	accessTokenOps := 0
	for _, op := range ops {
		t.Run(op.Service+"."+op.Name, func(t *testing.T) {
			m := membersOf(op)
			in := op.NewInput()
			// Members the input lacks are unknown fields, which decoding
			// ignores.
			if err := json.Unmarshal([]byte(body), in); err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			var want struct{ AccessToken, UserPoolId, IdentityPoolId string }
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			got := struct{ AccessToken, UserPoolId, IdentityPoolId string }{m.accessToken(in), m.userPoolID(in), m.identityPoolID(in)}
			if got != want {
				t.Errorf("members %+v, JSON says %+v", got, want)
			}
			if op.Auth == cognito.AuthAccessToken {
				accessTokenOps++
				if got.AccessToken == "" {
					t.Error("an access-token operation without an AccessToken member")
				}
			}
			empty := op.NewInput()
			if m.accessToken(empty) != "" || m.userPoolID(empty) != "" || m.identityPoolID(empty) != "" {
				t.Error("an empty input has members")
			}
		})
	}
	if accessTokenOps == 0 {
		t.Error("no access-token operation found")
	}

	// Indexes found in one input type never read another, even one with
	// the same member.
	getUser := membersOf(opNamed(t, "GetUser"))
	change := &idp.ChangePasswordRequest{AccessToken: cognito.Ptr("token.value.here")}
	if got := getUser.accessToken(change); got != "" {
		t.Errorf("GetUser's members read %q from a ChangePassword input", got)
	}
	if got := getUser.accessToken(&idp.GetUserRequest{AccessToken: cognito.Ptr("a.b.c")}); got != "a.b.c" {
		t.Errorf("GetUser's AccessToken = %q, want a.b.c", got)
	}
}

func opNamed(t *testing.T, name string) cognito.Operation {
	t.Helper()
	for _, op := range idp.Operations {
		if op.Name == name {
			return op
		}
	}
	t.Fatalf("no operation %s", name)
	return cognito.Operation{}
}
