package sdk

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/storage"
)

// TestChangeLogActor checks that the change log records who made each
// change through the API, in the entry of the change itself: the access
// key of a signed AdminCreateUser, the user of the access token of
// UpdateUserAttributes, and nobody in particular for SignUp; and that the
// pool's entries list newest first (PoolChanges).
func TestChangeLogActor(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{}, &cip.CreateUserPoolClientInput{
			ExplicitAuthFlows: adminPasswordFlows,
			WriteAttributes:   []string{"name"},
		})
		pool := aws.ToString(s.pool)
		s.confirmedUser(t, "ada", "Passw0rd!")
		token := s.accessToken(t, "ada", "Passw0rd!")
		if _, err := e.c.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{
			AccessToken: token, UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String("Ada L.")}},
		}, quickRetries); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.SignUp(ctx, &cip.SignUpInput{
			ClientId: s.client.ClientId, Username: aws.String("bob"), Password: aws.String("Passw0rd!"),
			SecretHash: s.secretHash("bob"),
		}); err != nil {
			t.Fatal(err)
		}
		ada, err := e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: s.pool, Username: aws.String("ada")})
		if err != nil {
			t.Fatal(err)
		}
		sub := attrMap(ada.UserAttributes)["sub"]

		changes, err := e.Store.PoolChanges(ctx, pool, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]*storage.Actor{}
		for i, c := range changes {
			if c.Pool != pool {
				t.Errorf("entry %d of %s: pool %q", c.Seq, pool, c.Pool)
			}
			if i > 0 && c.Seq >= changes[i-1].Seq {
				t.Errorf("entry %d listed after %d: not newest first", c.Seq, changes[i-1].Seq)
			}
			if c.Actor != nil {
				if _, ok := seen[c.Actor.Action]; !ok {
					seen[c.Actor.Action] = c.Actor
				}
			}
		}
		want := map[string]storage.Actor{
			"CreateUserPool":       {Kind: storage.ActorAccessKey, ID: keyID, Action: "CreateUserPool"},
			"AdminCreateUser":      {Kind: storage.ActorAccessKey, ID: keyID, Action: "AdminCreateUser"},
			"AdminSetUserPassword": {Kind: storage.ActorAccessKey, ID: keyID, Action: "AdminSetUserPassword"},
			"UpdateUserAttributes": {Kind: storage.ActorUser, ID: sub, Action: "UpdateUserAttributes"},
			"SignUp":               {Kind: storage.ActorPublic, Action: "SignUp"},
		}
		for action, w := range want {
			got := seen[action]
			if got == nil {
				t.Errorf("no change-log entry of %s in pool %s names its actor", action, pool)
				continue
			}
			if *got != w {
				t.Errorf("actor of %s = %+v, want %+v", action, *got, w)
			}
		}
	})
}
