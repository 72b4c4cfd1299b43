package authflow

import (
	"math/big"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/srp/srpclient"
)

// The flow tests sign in with internal/srp/srpclient, the client side of
// Cognito's SRP written from docs/srp.md apart from internal/srp (whose
// own tests check it against the vectors of amazon-cognito-identity-js).

// srpGroupLen is the length of N in bytes: the length of the B a state
// keeps.
const srpGroupLen = 384

// srpTestClient is one client's SRP exchange: the client and its public A.
type srpTestClient struct {
	c *srpclient.Client
	A *big.Int
}

func newSRPTestClient(testing.TB) *srpTestClient {
	c := srpclient.New()
	return &srpTestClient{c: c, A: c.A()}
}

// respond computes the RespondToAuthChallenge answer from the challenge
// parameters as a client receives them.
func (c *srpTestClient) respond(t testing.TB, poolName, userID, password, saltHex, srpBHex, secretBlockB64 string, now time.Time) (timestamp, signature string) {
	t.Helper()
	params := map[string]string{"SALT": saltHex, "SRP_B": srpBHex, "SECRET_BLOCK": secretBlockB64}
	timestamp, signature, err := c.c.ClaimAs(poolName, userID, password, params, now)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return timestamp, signature
}
