package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/sts/delegate"
	"github.com/cognate-dev/cognate/internal/sts/local"
)

// TestCredentialIssuer checks that sts.mode picks cognate's own STS or a
// client of a delegated one.
func TestCredentialIssuer(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cognate.db"), sqlite.Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := config.Default()
	cfg.STS.TrustedIssuers = []config.TrustedIssuerConfig{{Issuer: "https://idp.example.com", Audiences: []string{"app"}}}
	keys := keyRing{master: make([]byte, 32)}
	own, err := newLocalSTS(&cfg, st, keys)
	if err != nil {
		t.Fatal(err)
	}
	if got := own.Issuers(); len(got) != 1 || got[0] != "https://idp.example.com" {
		t.Errorf("trusted issuers %v", got)
	}
	for mode, want := range map[string]string{config.STSModeLocal: "local", config.STSModeAWS: "delegate", config.STSModeEndpoint: "delegate"} {
		cfg.STS.Mode, cfg.STS.Endpoint = mode, ""
		if mode == config.STSModeEndpoint {
			cfg.STS.Endpoint = "https://sts.example.com"
		}
		iss, err := credentialIssuer(&cfg, own)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		switch iss.(type) {
		case *local.Service:
			got = "local"
		case *delegate.Issuer:
			got = "delegate"
		}
		if got != want {
			t.Errorf("mode %s: %T, want %s", mode, iss, want)
		}
	}
}

// TestIdentityIssuerListedInConfig checks that listing the identity
// issuer in sts.trusted_issuers does not trust it twice.
func TestIdentityIssuerListedInConfig(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cognate.db"), sqlite.Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := config.Default()
	const url = "https://auth.example.com/cognito-identity"
	cfg.STS.TrustedIssuers = []config.TrustedIssuerConfig{{Issuer: url, Audiences: []string{"us-east-1:pool"}}}
	own := local.TrustedIssuer{URL: url, KeySet: &oidc.StaticKeySet{},
		Trusts: func(context.Context, local.Token, string) (bool, error) { return false, nil }}
	s, err := newLocalSTS(&cfg, st, keyRing{master: make([]byte, 32)}, own)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Issuers(); len(got) != 1 || got[0] != url {
		t.Errorf("trusted issuers %v, want the identity issuer once", got)
	}
}
