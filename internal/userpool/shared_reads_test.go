package userpool

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestReadPool checks that readPool answers what loadPool answers, that it
// decodes a pool once while the pool stays the same, and that a change, a
// deletion or another region is seen on the next read.
func TestReadPool(t *testing.T) {
	ctx := context.Background()
	s := newUTService(t)
	id := cognito.Deref(s.pool(t, &idp.CreateUserPoolRequest{}).Id)

	first, err := s.readPool(ctx, utCaller, id)
	if err != nil {
		t.Fatal(err)
	}
	_, loaded, err := s.loadPool(ctx, utCaller, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(loaded, first); diff != "" {
		t.Errorf("readPool differs from loadPool (-load +read):\n%s", diff)
	}
	again, err := s.readPool(ctx, utCaller, id)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Error("an unchanged pool was decoded again")
	}

	if _, err := s.UpdateUserPool(ctx, utCaller, &idp.UpdateUserPoolRequest{
		UserPoolId: cognito.Ptr(id), AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email"},
	}); err != nil {
		t.Fatal(err)
	}
	changed, err := s.readPool(ctx, utCaller, id)
	if err != nil {
		t.Fatal(err)
	}
	if changed == first || !slices.Contains(changed.AutoVerifiedAttributes, "email") {
		t.Errorf("after UpdateUserPool, readPool answered AutoVerifiedAttributes %v, want [email]", changed.AutoVerifiedAttributes)
	}
	if slices.Contains(first.AutoVerifiedAttributes, "email") {
		t.Error("the update changed the pool an earlier read returned")
	}

	_, err = s.readPool(ctx, cognito.Caller{Region: "eu-west-1"}, id)
	wantCode(t, err, cognito.CodeResourceNotFoundException)
	if _, err := s.DeleteUserPool(ctx, utCaller, &idp.DeleteUserPoolRequest{UserPoolId: cognito.Ptr(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = s.readPool(ctx, utCaller, id)
	wantCode(t, err, cognito.CodeResourceNotFoundException)
}

// TestReadClient checks that readClient answers what clientByID answers,
// that it decodes a client once while the client stays the same, and that
// a change, a deletion or another region is seen on the next read.
func TestReadClient(t *testing.T) {
	ctx := context.Background()
	s := newUTService(t)
	p := s.pool(t, &idp.CreateUserPoolRequest{})
	out, err := s.CreateUserPoolClient(ctx, utCaller, &idp.CreateUserPoolClientRequest{UserPoolId: p.Id, ClientName: cognito.Ptr("app")})
	if err != nil {
		t.Fatal(err)
	}
	id := cognito.Deref(out.UserPoolClient.ClientId)

	_, first, err := s.readClient(ctx, utCaller, id)
	if err != nil {
		t.Fatal(err)
	}
	_, loaded, err := s.clientByIDFrom(ctx, s.store, utCaller, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(loaded, first, cmp.AllowUnexported(clientRecord{}, clientSecret{})); diff != "" {
		t.Errorf("readClient differs from clientByID (-byID +read):\n%s", diff)
	}
	if _, again, err := s.readClient(ctx, utCaller, id); err != nil || again != first {
		t.Errorf("an unchanged client was decoded again (%v)", err)
	}
	if _, signIn, err := s.SignInClient(ctx, utCaller, "", id); err != nil || signIn.rec != first {
		t.Errorf("SignInClient decoded the client again (%v)", err)
	}

	if _, err := s.UpdateUserPoolClient(ctx, utCaller, &idp.UpdateUserPoolClientRequest{
		UserPoolId: p.Id, ClientId: cognito.Ptr(id), ClientName: cognito.Ptr("renamed"),
	}); err != nil {
		t.Fatal(err)
	}
	_, changed, err := s.readClient(ctx, utCaller, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := cognito.Deref(changed.Client.ClientName); got != "renamed" {
		t.Errorf("after UpdateUserPoolClient, ClientName = %q, want renamed", got)
	}
	if got := cognito.Deref(first.Client.ClientName); got != "app" {
		t.Errorf("the update changed the client an earlier read returned: ClientName = %q", got)
	}

	_, _, err = s.readClient(ctx, cognito.Caller{Region: "eu-west-1"}, id)
	wantCode(t, err, cognito.CodeResourceNotFoundException)
	if _, err := s.DeleteUserPoolClient(ctx, utCaller, &idp.DeleteUserPoolClientRequest{UserPoolId: p.Id, ClientId: cognito.Ptr(id)}); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.readClient(ctx, utCaller, id)
	wantCode(t, err, cognito.CodeResourceNotFoundException)
}

// TestDecodeCache checks the cache on its own: entries follow the stored
// bytes, never the caller's buffer, failures are not kept, and the number
// of entries is bounded.
func TestDecodeCache(t *testing.T) {
	var c decodeCache[idp.UserPoolType]
	decodes := 0
	decode := func(data []byte) (*idp.UserPoolType, error) {
		return c.decode("pool", data, func() (*idp.UserPoolType, error) {
			decodes++
			var p idp.UserPoolType
			return &p, json.Unmarshal(data, &p)
		})
	}
	buf := []byte(`{"Id":"us-east-1_aaaa"}`)
	p, err := decode(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := cognito.Deref(p.Id); got != "us-east-1_aaaa" {
		t.Fatalf("Id = %q", got)
	}
	if again, err := decode([]byte(`{"Id":"us-east-1_aaaa"}`)); err != nil || again != p || decodes != 1 {
		t.Errorf("the same bytes were decoded again (%d decodes, %v)", decodes, err)
	}
	// The reader's buffer changes (a driver may reuse it): the entry must
	// not change with it.
	copy(buf, `{"Id":"us-east-1_bbbb"}`)
	q, err := decode(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := cognito.Deref(q.Id); got != "us-east-1_bbbb" {
		t.Errorf("after the stored bytes changed, Id = %q, want us-east-1_bbbb", got)
	}
	if got := cognito.Deref(p.Id); got != "us-east-1_aaaa" {
		t.Errorf("the earlier decoded pool changed to %q", got)
	}
	if _, err := decode([]byte(`{"Id":`)); err == nil {
		t.Error("decoding malformed JSON succeeded")
	}
	if _, err := decode([]byte(`{"Id":`)); err == nil {
		t.Error("malformed JSON was cached")
	}

	for i := range maxDecoded + 10 {
		if _, err := c.decode(fmt.Sprintf("pool-%d", i), []byte(`{}`), func() (*idp.UserPoolType, error) { return &idp.UserPoolType{}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.byID); n > maxDecoded {
		t.Errorf("%d records cached, want at most %d", n, maxDecoded)
	}
}
