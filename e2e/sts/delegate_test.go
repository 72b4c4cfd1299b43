package sts

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/go-jose/go-jose/v4"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/sts"
	"github.com/cognate-dev/cognate/internal/sts/delegate"
)

const (
	keyID     = "AKIASTSDELEGATETEST1"
	secret    = "sts-delegate-secret-sts-delegate-secret-"
	accountID = "123456789012"
	role      = "arn:aws:iam::" + accountID + ":role/Delegated"
)

// issuer is an OpenID Connect issuer served over HTTP: a discovery
// document and a JWKS.
type issuer struct {
	url    string
	signer jose.Signer
}

func newIssuer(t *testing.T) *issuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{signer: signer}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	is.url = srv.URL
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": is.url, "jwks_uri": is.url + "/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"}, "response_types_supported": []string{"id_token"},
			"subject_types_supported": []string{"public"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	return is
}

func (is *issuer) token(t *testing.T, aud string) string {
	now := time.Now()
	payload, _ := json.Marshal(map[string]any{"iss": is.url, "sub": "us-east-1:identity-1", "aud": aud,
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "amr": []string{"authenticated"},
		"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string][]string{"team": {"blue"}}}})
	jws, err := is.signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDelegateToAnotherSTS asks a second cognate process, configured to
// trust the issuer, for credentials through the client of a delegated STS,
// and uses them there.
func TestDelegateToAnotherSTS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a cognate process")
	}
	is := newIssuer(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "cognate.yaml")
	cfg := "account_id: \"" + accountID + "\"\nsts:\n  trusted_issuers:\n    - issuer: " + is.url + "\n      audiences: [us-east-1:pool-1]\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	bin, err := proc.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := proc.Start(bin, []string{"COGNATE_ACCESS_KEY_ID=" + keyID, "COGNATE_SECRET_ACCESS_KEY=" + secret},
		"serve", "--config", cfgPath, "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })

	ctx := context.Background()
	client, err := delegate.New(delegate.Options{Endpoint: srv.URL, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	creds, err := client.AssumeRoleWithWebIdentity(ctx, sts.WebIdentityRequest{
		RoleARN: role, RoleSessionName: "CognitoIdentityCredentials", WebIdentityToken: is.token(t, "us-east-1:pool-1"),
		Duration: 30 * time.Minute,
	})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v\ncognate log:\n%s", err, srv.Stderr.String())
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.SessionToken == "" {
		t.Errorf("credentials %+v", creds)
	}
	if d := time.Until(creds.Expiration); d < 28*time.Minute || d > 31*time.Minute {
		t.Errorf("expiration %v, %v from now; want 30 minutes", creds.Expiration, d)
	}

	// The credentials work at the STS that minted them.
	c := awssts.New(awssts.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)})
	who, err := c.GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::" + accountID + ":assumed-role/Delegated/CognitoIdentityCredentials"; aws.ToString(who.Arn) != want {
		t.Errorf("GetCallerIdentity: %q, want %q", aws.ToString(who.Arn), want)
	}

	// The STS's refusals come back with STS's codes.
	_, err = client.AssumeRoleWithWebIdentity(ctx, sts.WebIdentityRequest{
		RoleARN: role, RoleSessionName: "CognitoIdentityCredentials", WebIdentityToken: is.token(t, "us-east-1:another-pool"),
	})
	var se *sts.Error
	if !errors.As(err, &se) || se.Code != sts.CodeInvalidIdentityToken {
		t.Errorf("wrong audience: %v, want InvalidIdentityToken", err)
	}
	// And an STS that does not answer is ServiceUnavailable.
	down, _ := delegate.New(delegate.Options{Endpoint: "http://127.0.0.1:1", Region: "us-east-1"})
	_, err = down.AssumeRoleWithWebIdentity(ctx, sts.WebIdentityRequest{RoleARN: role, RoleSessionName: "s1", WebIdentityToken: is.token(t, "x")})
	if !errors.As(err, &se) || se.Code != sts.CodeServiceUnavailable {
		t.Errorf("unreachable STS: %v, want ServiceUnavailable", err)
	}
}

func asAPIError(err error, ae *smithy.APIError) bool { return errors.As(err, ae) }
