package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIdentityPoolsLoad(t *testing.T) {
	file := writeFile(t, "cognate.yaml", `identity_pools:
  openid_connect_providers:
    accounts.example.com/tenant:
      client_ids: [web, mobile]
    dex.internal:5556:
      issuer: http://dex.internal:5556/dex
      client_ids: [cognate]
`)
	got, _, err := Load(Sources{File: file})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]OIDCProviderConfig{
		"accounts.example.com/tenant": {ClientIDs: []string{"web", "mobile"}},
		"dex.internal:5556":           {Issuer: "http://dex.internal:5556/dex", ClientIDs: []string{"cognate"}},
	}
	if diff := cmp.Diff(want, got.IdentityPools.OpenIDConnectProviders); diff != "" {
		t.Errorf("identity_pools.openid_connect_providers (-want +got):\n%s", diff)
	}
}

func TestIdentityPoolsProblems(t *testing.T) {
	file := writeFile(t, "cognate.yaml", `identity_pools:
  openid_connect_providers:
    https://accounts.example.com:
      client_ids: [web]
    idp.example.com:
      issuer: ftp://idp.example.com
      client_ids: []
`)
	cfg, _, err := Load(Sources{File: file})
	if cfg != nil {
		t.Error("Load returned a config with errors")
	}
	want := ValidationErrors{
		"identity_pools.openid_connect_providers.https://accounts.example.com: the name is the issuer's host and path, without a scheme (accounts.example.com/tenant)",
		`identity_pools.openid_connect_providers.idp.example.com.issuer: must be an http(s) URL without a query or fragment, not "ftp://idp.example.com"`,
		"identity_pools.openid_connect_providers.idp.example.com.client_ids: lists the audiences accepted: at least one, none empty",
	}
	if diff := cmp.Diff(want, problems(t, err)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestIdentityPoolsSAMLProviders(t *testing.T) {
	file := writeFile(t, "cognate.yaml", `identity_pools:
  saml_providers:
    Corp:
      metadata_url: https://idp.example.com/metadata
    Lab:
      metadata_file: /etc/cognate/lab-idp.xml
      audience: urn:example:sp
`)
	got, _, err := Load(Sources{File: file})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]SAMLProviderConfig{
		"Corp": {MetadataURL: "https://idp.example.com/metadata"},
		"Lab":  {MetadataFile: "/etc/cognate/lab-idp.xml", Audience: "urn:example:sp"},
	}
	if diff := cmp.Diff(want, got.IdentityPools.SAMLProviders); diff != "" {
		t.Errorf("identity_pools.saml_providers (-want +got):\n%s", diff)
	}

	file = writeFile(t, "bad.yaml", `identity_pools:
  saml_providers:
    Both:
      metadata_url: https://idp.example.com/metadata
      metadata_file: /etc/idp.xml
    Neither: {}
    Ftp:
      metadata_url: ftp://idp.example.com/metadata
`)
	cfg, _, err := Load(Sources{File: file})
	if cfg != nil {
		t.Error("Load returned a config with errors")
	}
	wantProblems := ValidationErrors{
		"identity_pools.saml_providers.Both: exactly one of metadata_file and metadata_url is required",
		`identity_pools.saml_providers.Ftp.metadata_url: must be an http(s) URL, not "ftp://idp.example.com/metadata"`,
		"identity_pools.saml_providers.Neither: exactly one of metadata_file and metadata_url is required",
	}
	if diff := cmp.Diff(wantProblems, problems(t, err)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
