package sdk

import (
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/srp/srpclient"
)

// The SDK tests drive USER_SRP_AUTH and the device sign-in with
// internal/srp/srpclient: the client side of Cognito's SRP as the public
// clients (amazon-cognito-identity-js, Amplify) compute it, written from
// the protocol (docs/srp.md) apart from the server's implementation.

// srpClient is one sign-in attempt's client state.
type srpClient struct{ c *srpclient.Client }

func newSRPClient(testing.TB) *srpClient { return &srpClient{srpclient.New()} }

// srpA is SRP_A as hex.
func (c *srpClient) srpA() string { return c.c.SRPA() }

// claim answers PASSWORD_VERIFIER: TIMESTAMP and PASSWORD_CLAIM_SIGNATURE
// for the challenge parameters, as the client computes them.
func (c *srpClient) claim(t testing.TB, poolID, password string, params map[string]string, now time.Time) (timestamp, signature string) {
	t.Helper()
	timestamp, signature, err := c.c.Claim(poolID, password, params, now)
	if err != nil {
		t.Fatal(err)
	}
	return timestamp, signature
}

// claimAs is claim with the names the verifier was made with: the pool
// name and the user's internal username, or for a remembered device
// (DEVICE_PASSWORD_VERIFIER) its DeviceGroupKey and device key.
func (c *srpClient) claimAs(t testing.TB, poolName, userID, password string, params map[string]string, now time.Time) (timestamp, signature string) {
	t.Helper()
	timestamp, signature, err := c.c.ClaimAs(poolName, userID, password, params, now)
	if err != nil {
		t.Fatal(err)
	}
	return timestamp, signature
}
