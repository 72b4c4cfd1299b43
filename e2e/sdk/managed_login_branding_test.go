package sdk

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/document"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
)

// pngBytes returns n bytes that start as a PNG file does.
func pngBytes(n int, fill byte) []byte {
	b := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{fill}, n)...)
	return b
}

// settingsOf decodes a style's Settings document.
func settingsOf(t *testing.T, b *types.ManagedLoginBrandingType) map[string]any {
	t.Helper()
	if b.Settings == nil {
		return nil
	}
	var m map[string]any
	if err := b.Settings.UnmarshalSmithyDocument(&m); err != nil {
		t.Fatalf("decode Settings: %v", err)
	}
	return m
}

// dig returns the value at a path of member names in a settings document.
func dig(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[p]
	}
	return v
}

func TestManagedLoginBranding(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("branding")})
		newClient := func(name string) *string {
			out, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			return out.UserPoolClient.ClientId
		}
		plain, styled := newClient("plain"), newClient("styled")

		// A style of Cognito's values: no settings of its own, every
		// default when merged.
		def, err := c.CreateManagedLoginBranding(ctx, &cip.CreateManagedLoginBrandingInput{
			UserPoolId: pool.Id, ClientId: plain, UseCognitoProvidedValues: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		b := def.ManagedLoginBranding
		if !b.UseCognitoProvidedValues || aws.ToString(b.UserPoolId) != aws.ToString(pool.Id) || b.Settings != nil || len(b.Assets) != 0 ||
			b.CreationDate == nil || b.LastModifiedDate == nil {
			t.Errorf("created default style = %+v", b)
		}
		merged, err := c.DescribeManagedLoginBranding(ctx, &cip.DescribeManagedLoginBrandingInput{
			UserPoolId: pool.Id, ManagedLoginBrandingId: b.ManagedLoginBrandingId, ReturnMergedResources: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := dig(settingsOf(t, merged.ManagedLoginBranding), "categories", "global", "colorSchemeMode"); got != "LIGHT" {
			t.Errorf("merged default colorSchemeMode = %v", got)
		}

		// One style per client.
		_, err = c.CreateManagedLoginBranding(ctx, &cip.CreateManagedLoginBrandingInput{UserPoolId: pool.Id, ClientId: plain, UseCognitoProvidedValues: true})
		wantAPIError(t, err, "ManagedLoginBrandingExistsException", "")

		// Bad requests.
		lightLogo := types.AssetType{Category: types.AssetCategoryTypeFormLogo, ColorMode: types.ColorSchemeModeTypeLight, Extension: types.AssetExtensionTypePng, Bytes: pngBytes(64, 1)}
		for _, tc := range []struct {
			name string
			in   *cip.CreateManagedLoginBrandingInput
			code string
		}{
			{"defaults with settings", &cip.CreateManagedLoginBrandingInput{UseCognitoProvidedValues: true,
				Settings: document.NewLazyDocument(map[string]any{"categories": map[string]any{}})}, "InvalidParameterException"},
			{"defaults with assets", &cip.CreateManagedLoginBrandingInput{UseCognitoProvidedValues: true,
				Assets: []types.AssetType{lightLogo}}, "InvalidParameterException"},
			{"settings not an object", &cip.CreateManagedLoginBrandingInput{Settings: document.NewLazyDocument([]any{"x"})}, "InvalidParameterException"},
			{"colour not hex", &cip.CreateManagedLoginBrandingInput{Settings: document.NewLazyDocument(map[string]any{
				"components": map[string]any{"pageBackground": map[string]any{"lightMode": map[string]any{"color": "red;}body{x:y"}}}})}, "InvalidParameterException"},
			{"favicon not ico", &cip.CreateManagedLoginBrandingInput{Assets: []types.AssetType{{Category: types.AssetCategoryTypeFaviconIco,
				ColorMode: types.ColorSchemeModeTypeLight, Extension: types.AssetExtensionTypePng, Bytes: pngBytes(8, 1)}}}, "InvalidParameterException"},
			{"bytes not the extension", &cip.CreateManagedLoginBrandingInput{Assets: []types.AssetType{{Category: types.AssetCategoryTypeFormLogo,
				ColorMode: types.ColorSchemeModeTypeLight, Extension: types.AssetExtensionTypeJpeg, Bytes: pngBytes(8, 1)}}}, "InvalidParameterException"},
			{"no bytes", &cip.CreateManagedLoginBrandingInput{Assets: []types.AssetType{{Category: types.AssetCategoryTypeFormLogo,
				ColorMode: types.ColorSchemeModeTypeLight, Extension: types.AssetExtensionTypePng}}}, "InvalidParameterException"},
			{"two of a kind", &cip.CreateManagedLoginBrandingInput{Assets: []types.AssetType{lightLogo, lightLogo}}, "InvalidParameterException"},
			{"unknown client", &cip.CreateManagedLoginBrandingInput{ClientId: aws.String("nosuchclient0000000000000a")}, "ResourceNotFoundException"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.in.UserPoolId = pool.Id
				if tc.in.ClientId == nil {
					tc.in.ClientId = styled
				}
				_, err := c.CreateManagedLoginBranding(ctx, tc.in)
				wantAPIError(t, err, tc.code, "")
			})
		}

		// A style with settings and a logo; the logo is large enough that
		// the request is over the API's usual 1 MiB body limit.
		bigLogo := lightLogo
		bigLogo.Bytes = pngBytes(900_000, 7)
		created, err := c.CreateManagedLoginBranding(ctx, &cip.CreateManagedLoginBrandingInput{
			UserPoolId: pool.Id, ClientId: styled,
			Settings: document.NewLazyDocument(map[string]any{"components": map[string]any{"primaryButton": map[string]any{
				"lightMode": map[string]any{"defaults": map[string]any{"backgroundColor": "aa0000ff"}}}}}),
			Assets: []types.AssetType{bigLogo},
		})
		if err != nil {
			t.Fatal(err)
		}
		id := created.ManagedLoginBranding.ManagedLoginBrandingId
		byClient, err := c.DescribeManagedLoginBrandingByClient(ctx, &cip.DescribeManagedLoginBrandingByClientInput{UserPoolId: pool.Id, ClientId: styled})
		if err != nil {
			t.Fatal(err)
		}
		got := byClient.ManagedLoginBranding
		if aws.ToString(got.ManagedLoginBrandingId) != aws.ToString(id) || got.UseCognitoProvidedValues {
			t.Errorf("by client = %+v", got)
		}
		if diff := cmp.Diff(map[string]any{"components": map[string]any{"primaryButton": map[string]any{
			"lightMode": map[string]any{"defaults": map[string]any{"backgroundColor": "aa0000ff"}}}}}, settingsOf(t, got)); diff != "" {
			t.Errorf("customized settings (-want +got):\n%s", diff)
		}
		if len(got.Assets) != 1 || !bytes.Equal(got.Assets[0].Bytes, bigLogo.Bytes) || got.Assets[0].Category != types.AssetCategoryTypeFormLogo {
			t.Errorf("assets: %d, want the logo", len(got.Assets))
		}

		// Update merges: a new setting keeps the earlier one, an asset of
		// another colour mode is added, one of the same replaces.
		darkLogo := types.AssetType{Category: types.AssetCategoryTypeFormLogo, ColorMode: types.ColorSchemeModeTypeDark, Extension: types.AssetExtensionTypeSvg,
			Bytes: []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`)}
		newLight := lightLogo
		newLight.Bytes = pngBytes(16, 9)
		up, err := c.UpdateManagedLoginBranding(ctx, &cip.UpdateManagedLoginBrandingInput{
			UserPoolId: pool.Id, ManagedLoginBrandingId: id,
			Settings: document.NewLazyDocument(map[string]any{"categories": map[string]any{"global": map[string]any{"colorSchemeMode": "DARK"}}}),
			Assets:   []types.AssetType{darkLogo, newLight},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(up.ManagedLoginBranding.Assets) != 2 {
			t.Errorf("assets after update: %d, want 2", len(up.ManagedLoginBranding.Assets))
		}
		for _, a := range up.ManagedLoginBranding.Assets {
			if a.ColorMode == types.ColorSchemeModeTypeLight && !bytes.Equal(a.Bytes, newLight.Bytes) {
				t.Error("the light logo was not replaced")
			}
		}
		m, err := c.DescribeManagedLoginBranding(ctx, &cip.DescribeManagedLoginBrandingInput{UserPoolId: pool.Id, ManagedLoginBrandingId: id, ReturnMergedResources: true})
		if err != nil {
			t.Fatal(err)
		}
		ms := settingsOf(t, m.ManagedLoginBranding)
		if dig(ms, "categories", "global", "colorSchemeMode") != "DARK" ||
			dig(ms, "components", "primaryButton", "lightMode", "defaults", "backgroundColor") != "aa0000ff" ||
			dig(ms, "components", "primaryButton", "darkMode", "defaults", "backgroundColor") == nil {
			t.Errorf("merged settings after update: global %v, primaryButton %v", dig(ms, "categories", "global"), dig(ms, "components", "primaryButton"))
		}

		// Back to Cognito's values.
		reset, err := c.UpdateManagedLoginBranding(ctx, &cip.UpdateManagedLoginBrandingInput{UserPoolId: pool.Id, ManagedLoginBrandingId: id, UseCognitoProvidedValues: true})
		if err != nil {
			t.Fatal(err)
		}
		if r := reset.ManagedLoginBranding; !r.UseCognitoProvidedValues || r.Settings != nil || len(r.Assets) != 0 {
			t.Errorf("after reset: %+v", r)
		}
		_, err = c.UpdateManagedLoginBranding(ctx, &cip.UpdateManagedLoginBrandingInput{UserPoolId: pool.Id, ManagedLoginBrandingId: id})
		if err != nil {
			t.Errorf("update with nothing to change: %v", err)
		}
		_, err = c.UpdateManagedLoginBranding(ctx, &cip.UpdateManagedLoginBrandingInput{UserPoolId: pool.Id})
		wantAPIError(t, err, "InvalidParameterException", "1 validation error detected: Value null at 'managedLoginBrandingId' failed to satisfy constraint: Member must not be null")

		// Styles are not found through another pool, nor once deleted.
		other := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("branding-other")})
		_, err = c.DescribeManagedLoginBranding(ctx, &cip.DescribeManagedLoginBrandingInput{UserPoolId: other.Id, ManagedLoginBrandingId: id})
		wantAPIError(t, err, "ResourceNotFoundException", "")
		if _, err := c.DeleteManagedLoginBranding(ctx, &cip.DeleteManagedLoginBrandingInput{UserPoolId: pool.Id, ManagedLoginBrandingId: id}); err != nil {
			t.Fatal(err)
		}
		_, err = c.DescribeManagedLoginBranding(ctx, &cip.DescribeManagedLoginBrandingInput{UserPoolId: pool.Id, ManagedLoginBrandingId: id})
		wantAPIError(t, err, "ResourceNotFoundException", "")
		_, err = c.DeleteManagedLoginBranding(ctx, &cip.DeleteManagedLoginBrandingInput{UserPoolId: pool.Id, ManagedLoginBrandingId: id})
		wantAPIError(t, err, "ResourceNotFoundException", "")
		_, err = c.DescribeManagedLoginBrandingByClient(ctx, &cip.DescribeManagedLoginBrandingByClientInput{UserPoolId: pool.Id, ClientId: styled})
		wantAPIError(t, err, "ResourceNotFoundException", "")
		// The client may have a style again.
		if _, err := c.CreateManagedLoginBranding(ctx, &cip.CreateManagedLoginBrandingInput{UserPoolId: pool.Id, ClientId: styled, UseCognitoProvidedValues: true}); err != nil {
			t.Fatal(err)
		}

		// Deleting a client deletes its style.
		if _, err := c.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: pool.Id, ClientId: plain}); err != nil {
			t.Fatal(err)
		}
		_, err = c.DescribeManagedLoginBranding(ctx, &cip.DescribeManagedLoginBrandingInput{UserPoolId: pool.Id, ManagedLoginBrandingId: b.ManagedLoginBrandingId})
		wantAPIError(t, err, "ResourceNotFoundException", "")
	})
}
