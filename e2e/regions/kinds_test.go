package regions

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/document"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/descope/virtualwebauthn"

	// The API server links every engine package, and each declares the
	// item kinds it stores: the registry the test reads is the server's.
	_ "github.com/cognate-dev/cognate/internal/api"
	"github.com/cognate-dev/cognate/internal/storage"
)

// This file writes an item of every replicated kind through the API,
// spread over the three regions, and checks once the servers are stopped
// that every kind the registry declares replicated is in every store with
// the same items.

const (
	// notificationLogGroup is the log group every region's configuration
	// lists, so that a pool may name it in SetLogDeliveryConfiguration.
	notificationLogGroup = "arn:aws:logs:us-east-1:123456789012:log-group:/cognito/notifications"
	passkeyRPID          = "example.com"
	passkeyOrigin        = "https://example.com"
)

// notWritten names the replicated kinds the test cannot write through the
// API in its set-up, with the reason. It is empty: every kind is written.
var notWritten = map[string]string{}

// regionConfig writes the configuration file a region starts with: the
// log group of notificationLogGroup, delivered to a file in dir.
func regionConfig(t *testing.T, dir string) string {
	t.Helper()
	file := filepath.Join(dir, "cognate.yaml")
	cfg := fmt.Sprintf("log_delivery:\n  destinations:\n    - arn: %q\n      file: %q\n", notificationLogGroup, filepath.Join(dir, "notifications.jsonl"))
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// kindSum is what a store holds of one item kind: how many items, and a
// digest of them (data, keys, index entries and times).
type kindSum struct {
	n    int
	hash string
}

// replicatedKinds is the registry's replicated kinds, without the storage
// conformance suite's own (its package is linked for the PostgreSQL
// schemas).
func replicatedKinds() []string {
	var out []string
	for _, k := range storage.ReplicatedKinds() {
		if !strings.HasPrefix(k, "storagetest_") {
			out = append(out, k)
		}
	}
	return out
}

// checkEveryKind checks that every replicated kind of the registry is in
// every region's store with the same items, or is listed in notWritten,
// and logs the kinds no region holds.
func checkEveryKind(t *testing.T, rs []*region, sums []map[string]kindSum) {
	t.Helper()
	var never []string
	for _, kind := range replicatedKinds() {
		held := 0
		for _, s := range sums {
			if s[kind].n > 0 {
				held++
			}
		}
		if held == 0 {
			never = append(never, kind)
			if why, ok := notWritten[kind]; ok {
				t.Logf("kind %s not written: %s", kind, why)
			} else {
				t.Errorf("replicated kind %s was never written: write one in writeEveryKind, or list it in notWritten with the reason", kind)
			}
			continue
		}
		for i, s := range sums {
			if s[kind] != sums[0][kind] {
				t.Errorf("kind %s: %s holds %d items (%s), %s holds %d (%s)", kind,
					rs[0].name, sums[0][kind].n, sums[0][kind].hash, rs[i].name, s[kind].n, s[kind].hash)
			}
		}
	}
	for kind, why := range notWritten {
		if !slices.Contains(replicatedKinds(), kind) {
			t.Errorf("notWritten lists %s (%s), which is not a replicated kind", kind, why)
		} else if !slices.Contains(never, kind) {
			t.Errorf("notWritten lists %s (%s), but the stores hold it", kind, why)
		}
	}
	t.Logf("replicated kinds never written: %v", never)
	var counts []string
	for _, kind := range replicatedKinds() {
		counts = append(counts, fmt.Sprintf("%s=%d", kind, sums[0][kind].n))
	}
	t.Logf("replicated items of each kind in every store: %s", strings.Join(counts, " "))
}

// signedIn is a user's sign-in in a pool: the pool, its client and the
// tokens.
type signedIn struct {
	poolID, clientID string
	tokens           *types.AuthenticationResultType
}

// writeEveryKind writes, through the API and spread over the regions, an
// item of each replicated kind the rest of threeRegions does not write:
// a pool of PLUS tier with threat protection holding the pool
// configuration kinds (resource server, domain, UI customization, managed
// login branding, terms, identity provider, SAML signing certificate, log
// delivery, risk configuration, replica records), a group membership and
// a passkey of u's user, and an identity pool with an identity, its login
// and temporary credentials for u's ID token.
func writeEveryKind(t *testing.T, ctx context.Context, rs []*region, u signedIn) {
	a, b, c := rs[0], rs[1], rs[2]
	pool, err := a.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("every-kind"), UserPoolTier: types.UserPoolTierTypePlus,
		UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.String(aws.ToString(pool.UserPool.Id))
	client, err := a.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: poolID, ClientName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	clientID := client.UserPoolClient.ClientId
	for _, r := range []*region{b, c} {
		eventually(t, "the every-kind pool's client in "+r.name, func() error {
			_, err := r.c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: poolID, ClientId: clientID})
			return err
		})
	}

	// In A: managed login branding, terms, log delivery, a risk
	// configuration, and the pool's replica records.
	if _, err := a.c.CreateManagedLoginBranding(ctx, &cip.CreateManagedLoginBrandingInput{UserPoolId: poolID, ClientId: clientID, UseCognitoProvidedValues: true}); err != nil {
		t.Fatalf("CreateManagedLoginBranding: %v", err)
	}
	if _, err := a.c.CreateTerms(ctx, &cip.CreateTermsInput{UserPoolId: poolID, ClientId: clientID, TermsName: aws.String("terms-of-use"),
		TermsSource: types.TermsSourceTypeLink, Enforcement: types.TermsEnforcementTypeNone,
		Links: map[string]string{"cognito:default": "https://example.com/terms"}}); err != nil {
		t.Fatalf("CreateTerms: %v", err)
	}
	if _, err := a.c.SetLogDeliveryConfiguration(ctx, &cip.SetLogDeliveryConfigurationInput{UserPoolId: poolID, LogConfigurations: []types.LogConfigurationType{{
		EventSource: types.EventSourceNameUserNotification, LogLevel: types.LogLevelError,
		CloudWatchLogsConfiguration: &types.CloudWatchLogsConfigurationType{LogGroupArn: aws.String(notificationLogGroup)}}}}); err != nil {
		t.Fatalf("SetLogDeliveryConfiguration: %v", err)
	}
	if _, err := a.c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: poolID,
		RiskExceptionConfiguration: &types.RiskExceptionConfigurationType{BlockedIPRangeList: []string{"192.0.2.0/24"}}}); err != nil {
		t.Fatalf("SetRiskConfiguration: %v", err)
	}
	// Setting an active replica active writes down the pool's replica
	// set (one record per region) and changes nothing else.
	if _, err := a.c.UpdateUserPoolReplica(ctx, &cip.UpdateUserPoolReplicaInput{UserPoolId: poolID, RegionName: aws.String(b.name),
		Status: types.UpdateReplicaStatusTypeActive}); err != nil {
		t.Fatalf("UpdateUserPoolReplica: %v", err)
	}

	// In B: a resource server, an identity provider, and a group of u's
	// pool.
	if _, err := b.c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: poolID, Identifier: aws.String("https://api.example.com"),
		Name: aws.String("api"), Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("read")}}}); err != nil {
		t.Fatalf("CreateResourceServer: %v", err)
	}
	if _, err := b.c.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: poolID, ProviderName: aws.String("Google"),
		ProviderType:    types.IdentityProviderTypeTypeGoogle,
		ProviderDetails: map[string]string{"client_id": "g.apps.example", "client_secret": "google-client-secret-of-the-regions-test", "authorize_scopes": "openid email"}}); err != nil {
		t.Fatalf("CreateIdentityProvider: %v", err)
	}
	if _, err := b.c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(u.poolID), GroupName: aws.String("pilots")}); err != nil {
		t.Fatal(err)
	}

	// In C: a domain and the UI customization it allows, the SAML
	// signing certificate, and u's user added to B's group.
	if _, err := c.c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: poolID, Domain: aws.String("every-kind-login")}); err != nil {
		t.Fatalf("CreateUserPoolDomain: %v", err)
	}
	if _, err := c.c.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: poolID, CSS: aws.String(".banner-customizable { background-color: #1a2b3c; }")}); err != nil {
		t.Fatalf("SetUICustomization: %v", err)
	}
	if _, err := c.c.GetSigningCertificate(ctx, &cip.GetSigningCertificateInput{UserPoolId: poolID}); err != nil {
		t.Fatalf("GetSigningCertificate: %v", err)
	}
	eventually(t, "B's group in C", func() error {
		_, err := c.c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(u.poolID), Username: aws.String("tom"), GroupName: aws.String("pilots")})
		return err
	})

	// A passkey registered in A for u's user, listed in B.
	registerPasskey(t, ctx, a, u)
	eventually(t, "tom's passkey in B", func() error {
		out, err := b.c.ListWebAuthnCredentials(ctx, &cip.ListWebAuthnCredentialsInput{AccessToken: u.tokens.AccessToken})
		if err != nil {
			return err
		}
		if len(out.Credentials) != 1 {
			return fmt.Errorf("%d passkeys", len(out.Credentials))
		}
		return nil
	})

	// An identity pool made in B; in C an identity for u's ID token, its
	// login, and temporary credentials from cognate's own STS.
	ids := func(r *region) *ci.Client {
		return ci.New(ci.Options{BaseEndpoint: aws.String(r.srv.URL), Region: "us-east-1", Credentials: r.c.Options().Credentials, RetryMaxAttempts: 5})
	}
	provider := "cognito-idp.us-east-1.amazonaws.com/" + u.poolID
	ip, err := ids(b).CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("everywhere identities"),
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String(provider), ClientId: aws.String(u.clientID)}}})
	if err != nil {
		t.Fatalf("CreateIdentityPool: %v", err)
	}
	// The role is of the server's account (account_id, all zeros by
	// default), which cognate's own STS lets its identity tokens assume.
	if _, err := ids(b).SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: ip.IdentityPoolId,
		Roles: map[string]string{"authenticated": "arn:aws:iam::000000000000:role/Cognito_Auth"}}); err != nil {
		t.Fatalf("SetIdentityPoolRoles: %v", err)
	}
	logins := map[string]string{provider: aws.ToString(u.tokens.IdToken)}
	eventually(t, "B's identity pool and its roles in C", func() error {
		got, err := ids(c).GetIdentityPoolRoles(ctx, &ci.GetIdentityPoolRolesInput{IdentityPoolId: ip.IdentityPoolId})
		if err != nil {
			return err
		}
		if got.Roles["authenticated"] == "" {
			return fmt.Errorf("roles %v", got.Roles)
		}
		return nil
	})
	var identityID *string
	eventually(t, "an identity in C", func() error {
		got, err := ids(c).GetId(ctx, &ci.GetIdInput{IdentityPoolId: ip.IdentityPoolId, Logins: logins})
		if err != nil {
			return err
		}
		identityID = got.IdentityId
		return nil
	})
	creds, err := ids(c).GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: identityID, Logins: logins})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity in C: %v", err)
	}
	if creds.Credentials == nil || aws.ToString(creds.Credentials.AccessKeyId) == "" {
		t.Fatalf("GetCredentialsForIdentity in C = %+v", creds)
	}
	// The identity reaches A with its login.
	eventually(t, "C's identity in A", func() error {
		got, err := ids(a).DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: identityID})
		if err != nil {
			return err
		}
		if !slices.Contains(got.Logins, provider) {
			return fmt.Errorf("logins %v", got.Logins)
		}
		return nil
	})
}

// registerPasskey registers a passkey of a software authenticator
// (github.com/descope/virtualwebauthn, real attestation) for u's user in
// r: StartWebAuthnRegistration, then CompleteWebAuthnRegistration.
func registerPasskey(t *testing.T, ctx context.Context, r *region, u signedIn) {
	t.Helper()
	start, err := r.c.StartWebAuthnRegistration(ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: u.tokens.AccessToken})
	if err != nil {
		t.Fatalf("StartWebAuthnRegistration in %s: %v", r.name, err)
	}
	raw, err := start.CredentialCreationOptions.MarshalSmithyDocument()
	if err != nil {
		t.Fatal(err)
	}
	opts, err := virtualwebauthn.ParseAttestationOptions(string(raw))
	if err != nil {
		t.Fatalf("CredentialCreationOptions %s: %v", raw, err)
	}
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(opts.UserID)})
	cred := newPasskeyKey(t)
	auth.AddCredential(cred)
	response := virtualwebauthn.CreateAttestationResponse(virtualwebauthn.RelyingParty{Name: "passkeys", ID: passkeyRPID, Origin: passkeyOrigin}, auth, cred, *opts)
	var v map[string]any
	if err := json.Unmarshal([]byte(response), &v); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.CompleteWebAuthnRegistration(ctx, &cip.CompleteWebAuthnRegistrationInput{AccessToken: u.tokens.AccessToken,
		Credential: document.NewLazyDocument(v)}); err != nil {
		t.Fatalf("CompleteWebAuthnRegistration in %s: %v", r.name, err)
	}
}

// newPasskeyKey is a new credential of the software authenticator. The
// authenticator writes the key's coordinates without their leading zero
// bytes, which a relying party rightly refuses (COSE wants 32 bytes each),
// so the key is drawn again until both are full length.
func newPasskeyKey(t *testing.T) virtualwebauthn.Credential {
	t.Helper()
	for {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := k.PublicKey.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		// pub is 0x04 || X || Y, each padded to 32 bytes.
		if pub[1] == 0 || pub[33] == 0 {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, der)
	}
}
