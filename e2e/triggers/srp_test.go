package triggers

import (
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/srp/srpclient"
)

// The device sign-in of the token tests runs on internal/srp/srpclient,
// the client side of Cognito's SRP as amazon-cognito-identity-js computes
// it (docs/srp.md): the user's PASSWORD_VERIFIER, a device's verifier as
// ConfirmDevice takes it, and the device's DEVICE_PASSWORD_VERIFIER.

// srpClient is one attempt's client state.
type srpClient struct{ c *srpclient.Client }

func newSRPClient(*testing.T) *srpClient { return &srpClient{srpclient.New()} }

func (c *srpClient) srpA() string { return c.c.SRPA() }

// claim answers a verifier challenge made for name+userID+":"+secret (the
// pool name, the internal username and the password; or a device's group
// key, key and secret): TIMESTAMP and PASSWORD_CLAIM_SIGNATURE.
func (c *srpClient) claim(t *testing.T, name, userID, secret string, params map[string]string) (timestamp, signature string) {
	t.Helper()
	timestamp, signature, err := c.c.ClaimAs(name, userID, secret, params, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return timestamp, signature
}

// deviceVerifier is a device's DeviceSecretVerifierConfig as the client
// library makes it: a random salt and v = g^x, each base64 of its padded
// bytes.
func deviceVerifier(_ *testing.T, groupKey, key, secret string) (salt, verifier string) {
	return srpclient.DeviceVerifier(groupKey, key, secret)
}
