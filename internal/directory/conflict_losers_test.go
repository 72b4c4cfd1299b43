package directory

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// TestConflictLosers lists the users of a pool that gave up a key, with
// what each gave up and to whom, from their records: a user that lost its
// username, one that lost its preferred_username and an email alias, and
// not a user that lost nothing, nor a loser of another pool.
func TestConflictLosers(t *testing.T) {
	ctx := context.Background()
	s := newUTService(t)
	p := s.pool(t, &idp.CreateUserPoolRequest{AliasAttributes: []idp.AliasAttributeType{"email", "preferred_username"}})
	other := s.pool(t, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("other")})
	attr := func(name, value string) idp.AttributeType {
		return idp.AttributeType{Name: cognito.Ptr(name), Value: cognito.Ptr(value)}
	}
	create := func(p *idp.UserPoolType, name string, attrs ...idp.AttributeType) (*storage.Item, *userRecord) {
		t.Helper()
		if _, err := s.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{UserPoolId: p.Id, Username: cognito.Ptr(name),
			UserAttributes: attrs, TemporaryPassword: cognito.Ptr("Temp-Password-1"), MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress)}); err != nil {
			t.Fatal(err)
		}
		it, u, err := findUser(ctx, s.store, p, name)
		if err != nil {
			t.Fatal(err)
		}
		return it, u
	}
	yield := func(it *storage.Item, winner string, keys ...string) {
		t.Helper()
		err := s.store.Tx(ctx, func(tx storage.Tx) error {
			cur := it
			for _, k := range keys {
				y, err := YieldUserKey(ctx, tx, cur, &storage.Item{Kind: kindUser, ID: winner, Pool: it.Pool}, k)
				if err != nil {
					return err
				}
				cur = y
			}
			return tx.UpdateItem(ctx, cur)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	twin, twinUser := create(p, "twin")
	yield(twin, "winner-of-twin", usernameKey(p, "twin"))
	nick, nickUser := create(p, "nick", attr("preferred_username", "nicky"), attr("email", "nick@example.com"), attr("email_verified", "true"))
	yield(nick, "winner-of-nicky", aliasKey(p, "preferred_username", "nicky"), aliasKey(p, "email", "nick@example.com"))
	create(p, "plain")
	away, _ := create(other, "twin")
	yield(away, "winner-elsewhere", usernameKey(other, "twin"))

	var got []ConflictLoser
	if err := ConflictLosers(ctx, s.store, cognito.Deref(p.Id), func(l ConflictLoser) error {
		got = append(got, l)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []ConflictLoser{
		{Pool: cognito.Deref(p.Id), Sub: twinUser.Sub, Username: conflictUsername(twinUser.Sub, "twin"), LostUsername: "twin",
			GaveUp: []GivenUpKey{{Key: "username/twin", KeptBy: "winner-of-twin"}}},
		{Pool: cognito.Deref(p.Id), Sub: nickUser.Sub, Username: "nick", Enabled: true,
			GaveUp: []GivenUpKey{{Key: "alias/preferred_username/nicky", KeptBy: "winner-of-nicky"},
				{Key: "alias/email/nick@example.com", KeptBy: "winner-of-nicky"}},
			RemovedAttributes: map[string]string{"preferred_username": "nicky"}},
	}
	// In sub order.
	if twinUser.Sub > nickUser.Sub {
		want[0], want[1] = want[1], want[0]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("losers (-want +got):\n%s", diff)
	}
}
