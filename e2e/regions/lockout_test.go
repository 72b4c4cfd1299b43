package regions

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// lockoutAcrossRegions checks that a user's wrong passwords count in every
// region: three in A and two in B lock the user out in B (five in a row,
// as in one region), and a right password in B takes the count back in A
// too, so four more wrong ones in A do not lock the user out.
func lockoutAcrossRegions(t *testing.T, ctx context.Context, natsURL string, a, b *region, poolID, clientID string) {
	t.Helper()
	const user, pass = "guessed", "Right-Horse-7"
	if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(user),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(user),
		Password: aws.String(pass), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the user in B", func() error {
		_, err := passwordSignIn(ctx, b, clientID, user, pass)
		return err
	})
	wrong := func(r *region, n int) {
		t.Helper()
		for range n {
			_, err := passwordSignIn(ctx, r, clientID, user, "Wrong-Horse-0")
			var na *types.NotAuthorizedException
			if !errors.As(err, &na) || aws.ToString(na.Message) != "Incorrect username or password." {
				t.Fatalf("a wrong password in %s: %v", r.name, err)
			}
		}
	}
	wrong(a, 3)
	quiesce(t, natsURL)
	wrong(b, 2)
	// The fifth failure in a row, across the regions, locked the user
	// out: B refuses even the right password (one region's count, 2,
	// would not).
	var na *types.NotAuthorizedException
	if _, err := passwordSignIn(ctx, b, clientID, user, pass); !errors.As(err, &na) || aws.ToString(na.Message) != "Password attempts exceeded" {
		t.Fatalf("the right password in B after five failures across regions: %v, want Password attempts exceeded", err)
	}
	// After the lockout (one second), a right password in B takes the
	// count back everywhere.
	time.Sleep(1100 * time.Millisecond)
	eventually(t, "the right password in B after the lockout", func() error {
		_, err := passwordSignIn(ctx, b, clientID, user, pass)
		return err
	})
	quiesce(t, natsURL)
	// A's own three failures no longer count: four more are not five.
	wrong(a, 4)
	if _, err := passwordSignIn(ctx, a, clientID, user, pass); err != nil {
		t.Fatalf("the right password in A after four failures since B's sign-in: %v", err)
	}
}
