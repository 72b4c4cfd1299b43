package directory

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// groupTokenKey is the PaginationKey of TestListGroupsTokens, so that it
// can make tokens the way earlier releases made them.
var groupTokenKey = []byte("cognate pagination test key 0123")

// groupWireToken makes a pagination token in the stored format: the
// base64url JSON {"s": scope, "a": after}, a dot, and the base64url
// HMAC-SHA256 of that JSON under key. ListGroups pages through the pools'
// listing machinery (userpool.ListPoolItems), whose tokens nodes that
// share a PaginationKey accept from each other, so the format must not
// change between releases.
func groupWireToken(key []byte, scope, after string) string {
	payload, err := json.Marshal(struct {
		S string `json:"s"`
		A string `json:"a"`
	}{scope, after})
	if err != nil {
		panic(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// TestListGroupsTokens checks ListGroups' NextToken on every store: its
// exact form, that a token of an earlier release with the same key
// continues after its group, and that tokens it did not issue for the
// listing (another key, pool or operation, tampered) are refused.
func TestListGroupsTokens(t *testing.T) {
	for _, backend := range luBackends {
		t.Run(backend, func(t *testing.T) {
			st := luOpenStore(t, backend)
			pools := userpool.New(st, userpool.Options{AccountID: "123456789012", PaginationKey: groupTokenKey})
			s := New(st, pools, Options{Passwords: testPasswords})
			ctx := context.Background()
			pool := cognito.Deref(luNewPool(t, s, false).Id)
			other := cognito.Deref(luNewPool(t, s, false).Id)
			var names []string
			for i := range userpool.DefaultQueryLimit + 1 {
				name := fmt.Sprintf("group/%02d", i)
				for _, p := range []string{pool, other} {
					if _, err := s.CreateGroup(ctx, luCaller, &idp.CreateGroupRequest{UserPoolId: cognito.Ptr(p), GroupName: &name}); err != nil {
						t.Fatal(err)
					}
				}
				names = append(names, name)
			}
			list := func(p string, limit *int32, token *string) ([]string, *string, error) {
				out, err := s.ListGroups(ctx, luCaller, &idp.ListGroupsRequest{UserPoolId: &p, Limit: limit, NextToken: token})
				if err != nil {
					return nil, nil, err
				}
				var got []string
				for _, g := range out.Groups {
					got = append(got, cognito.Deref(g.GroupName))
				}
				return got, out.NextToken, nil
			}
			scope := "ListGroups/" + pool

			// The default page, then the exact token of a page of two.
			got, next, err := list(pool, nil, nil)
			if err != nil || len(got) != userpool.DefaultQueryLimit || next == nil {
				t.Fatalf("default page: %d groups, NextToken %v, %v", len(got), next, err)
			}
			_, next, err = list(pool, cognito.Ptr(int32(2)), nil)
			if want := groupWireToken(groupTokenKey, scope, groupID(pool, names[1])); err != nil || next == nil || *next != want {
				t.Fatalf("NextToken %v (%v), want %q", next, err, want)
			}
			got, _, err = list(pool, cognito.Ptr(int32(2)), cognito.Ptr(groupWireToken(groupTokenKey, scope, groupID(pool, names[2]))))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(names[3:5], got); diff != "" {
				t.Errorf("page after an earlier token (-want +got):\n%s", diff)
			}

			_, otherToken, err := list(other, cognito.Ptr(int32(1)), nil)
			if err != nil || otherToken == nil {
				t.Fatalf("token of the other pool: %v %v", otherToken, err)
			}
			valid := groupWireToken(groupTokenKey, scope, "")
			const invalid = "Invalid pagination token."
			for _, tc := range []struct{ name, pool, token, code, msg string }{
				{"missing pool before the token", "us-east-1_nopool000", "garbage", "ResourceNotFoundException", "User pool us-east-1_nopool000 does not exist."},
				{"garbage", pool, "garbage", "InvalidParameterException", invalid},
				{"tampered", pool, "x" + valid, "InvalidParameterException", invalid},
				{"another key", pool, groupWireToken([]byte("another key"), scope, ""), "InvalidParameterException", invalid},
				{"another pool's listing", pool, *otherToken, "InvalidParameterException", invalid},
				{"another operation's listing", pool, groupWireToken(groupTokenKey, "ListUserPoolClients/"+pool, ""), "InvalidParameterException", invalid},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, _, err := list(tc.pool, nil, &tc.token)
					luWantError(t, err, tc.code, tc.msg)
				})
			}
		})
	}
}
