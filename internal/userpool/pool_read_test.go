package userpool

import (
	"context"
	"fmt"
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
	if changed == first || !autoVerified(changed, "email") {
		t.Errorf("after UpdateUserPool, readPool answered AutoVerifiedAttributes %v, want [email]", changed.AutoVerifiedAttributes)
	}
	if autoVerified(first, "email") {
		t.Error("the update changed the pool an earlier read returned")
	}

	_, err = s.readPool(ctx, Caller{Region: "eu-west-1"}, id)
	wantCode(t, err, cognito.CodeResourceNotFoundException)
	if _, err := s.DeleteUserPool(ctx, utCaller, &idp.DeleteUserPoolRequest{UserPoolId: cognito.Ptr(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = s.readPool(ctx, utCaller, id)
	wantCode(t, err, cognito.CodeResourceNotFoundException)
}

// TestPoolConfigs checks the decoded-pool cache on its own: entries follow
// the stored bytes, never the caller's buffer, and their number is bounded.
func TestPoolConfigs(t *testing.T) {
	var c poolConfigs
	buf := []byte(`{"Id":"us-east-1_aaaa"}`)
	p, err := c.decode("pool", buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := cognito.Deref(p.Id); got != "us-east-1_aaaa" {
		t.Fatalf("Id = %q", got)
	}
	// The reader's buffer changes (a driver may reuse it): the entry must
	// not change with it.
	copy(buf, `{"Id":"us-east-1_bbbb"}`)
	q, err := c.decode("pool", buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := cognito.Deref(q.Id); got != "us-east-1_bbbb" {
		t.Errorf("after the stored bytes changed, Id = %q, want us-east-1_bbbb", got)
	}
	if got := cognito.Deref(p.Id); got != "us-east-1_aaaa" {
		t.Errorf("the earlier decoded pool changed to %q", got)
	}
	if _, err := c.decode("broken", []byte(`{"Id":`)); err == nil {
		t.Error("decoding malformed JSON succeeded")
	}
	if _, ok := c.byID["broken"]; ok {
		t.Error("malformed JSON was cached")
	}

	for i := range maxDecodedPools + 10 {
		if _, err := c.decode(fmt.Sprintf("pool-%d", i), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.byID); n > maxDecodedPools {
		t.Errorf("%d pools cached, want at most %d", n, maxDecodedPools)
	}
}
