package userpool

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

func TestHostedBranding(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p, client := s.poolWithClient(t)
	if _, err := s.CreateUserPoolDomain(ctx, utCaller, &idp.CreateUserPoolDomainRequest{UserPoolId: p.Id, Domain: cognito.Ptr("brand")}); err != nil {
		t.Fatal(err)
	}
	b, err := s.HostedBranding(ctx, utCaller, client, 1)
	if err != nil || b.CSS != "" || b.Logo != nil {
		t.Fatalf("no customization: %+v, %v", b, err)
	}
	pool := ".banner-customizable { background-color: #123456; }"
	if _, err := s.SetUICustomization(ctx, utCaller, &idp.SetUICustomizationRequest{UserPoolId: p.Id, CSS: &pool}); err != nil {
		t.Fatal(err)
	}
	if b, _ = s.HostedBranding(ctx, utCaller, client, 1); b.CSS != pool {
		t.Errorf("pool default CSS = %q", b.CSS)
	}
	own := ".submitButton-customizable { background-color: #654321; }"
	if _, err := s.SetUICustomization(ctx, utCaller, &idp.SetUICustomizationRequest{UserPoolId: p.Id, ClientId: &client, CSS: &own, ImageFile: []byte("\x89PNG\r\n\x1a\nxx")}); err != nil {
		t.Fatal(err)
	}
	if b, _ = s.HostedBranding(ctx, utCaller, client, 1); b.CSS != own || len(b.Logo) == 0 {
		t.Errorf("client CSS = %q, logo %d bytes", b.CSS, len(b.Logo))
	}

	// Managed login: the client's style, merged over the defaults.
	if b, _ = s.HostedBranding(ctx, utCaller, client, 2); b.HasStyle || b.Version != 2 {
		t.Errorf("no style: %+v", b)
	}
	settings := json.RawMessage(`{"categories":{"global":{"colorSchemeMode":"DARK"}}}`)
	if _, err := s.CreateManagedLoginBranding(ctx, utCaller, &idp.CreateManagedLoginBrandingRequest{UserPoolId: p.Id, ClientId: &client, Settings: settings}); err != nil {
		t.Fatal(err)
	}
	b, err = s.HostedBranding(ctx, utCaller, client, 2)
	if err != nil || !b.HasStyle {
		t.Fatalf("style: %+v, %v", b, err)
	}
	global, _ := b.Settings["categories"].(map[string]any)["global"].(map[string]any)
	if global["colorSchemeMode"] != "DARK" || global["spacingDensity"] != "REGULAR" {
		t.Errorf("merged global = %v", global)
	}
}
