package userpool

import (
	"context"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// This file is the hosted UI's view of a pool's configuration: the app
// client a page names, the branding the pages wear and the terms links
// the sign-up page shows. The user operations the pages run are the
// directory's (internal/directory).

// PublicClient returns an app client that an unsigned request or a hosted
// UI page names, and its pool. An unsigned request that names only a
// client carries no region, so an empty caller region becomes the region
// of the client's pool; a region the edge did establish must match it.
// Checking the request's SECRET_HASH is the caller's (SignInClient's
// CheckSecretHash).
func (s *Service) PublicClient(ctx context.Context, c cognito.Caller, clientID string) (*SignInClient, *idp.UserPoolType, error) {
	rec, p, err := s.hostedClient(ctx, c, clientID)
	if err != nil {
		return nil, nil, err
	}
	return signInClient(rec), p, nil
}

// hostedClient returns an app client named by the hosted UI and its pool.
func (s *Service) hostedClient(ctx context.Context, c cognito.Caller, clientID string) (*clientRecord, *idp.UserPoolType, error) {
	if err := CheckText("clientId", ruleClientID, clientID); err != nil {
		return nil, nil, err
	}
	if c.Region == "" {
		it, err := s.store.GetItem(ctx, kindClient, clientID)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			return nil, nil, clientNotFound(clientID)
		case err != nil:
			return nil, nil, cognito.Internal(fmt.Errorf("get client %q: %w", clientID, err))
		}
		c.Region = cognito.RegionOfPoolID(it.Pool)
	}
	client, err := s.clientByID(ctx, c, clientID)
	if err != nil {
		return nil, nil, err
	}
	_, p, err := s.loadPool(ctx, c, cognito.Deref(client.Client.UserPoolId))
	if err != nil {
		return nil, nil, err
	}
	return client, p, nil
}

// termsLink returns a document's link for a language ("cognito:english",
// …), or its cognito:default one.
func termsLink(t *termsRecord, lang string) string {
	if t == nil {
		return ""
	}
	if u, ok := t.Links[lang]; ok && lang != "" {
		return u
	}
	return t.Links["cognito:default"]
}

// ClientTermsLinks returns the links of the terms of use and the privacy
// policy of an app client for a language (a LanguageIdType such as
// "cognito:english"; "" for the default): both or neither, as Cognito
// shows them only when the client has both.
func (s *Service) ClientTermsLinks(ctx context.Context, poolID, clientID, lang string) (termsOfUse, privacyPolicy string, err error) {
	terms, err := clientTerms(ctx, s.store, poolID, clientID)
	if err != nil {
		return "", "", err
	}
	if tou, pp := termsLink(terms[TermsOfUse], lang), termsLink(terms[PrivacyPolicy], lang); tou != "" && pp != "" {
		return tou, pp, nil
	}
	return "", "", nil
}

// BrandingAsset is an image of a managed login style.
type BrandingAsset struct {
	Category  string
	ColorMode string
	Extension string
	Bytes     []byte
}

// Branding is what the hosted UI's pages of an app client wear. The
// domain's ManagedLoginVersion picks the kind: 1 the classic CSS and logo
// of SetUICustomization, 2 the client's managed login style.
type Branding struct {
	Version int32
	// CSS and Logo are the classic customization that applies to the
	// client (its own, or the pool's), checked when it was set: CSS
	// selects only the *-customizable classes and holds no markup.
	CSS  string
	Logo []byte
	// HasStyle tells whether the client has a managed login style;
	// Settings is then its whole settings document (the defaults under
	// what it customized) and Assets its images.
	HasStyle bool
	Settings map[string]any
	Assets   []BrandingAsset
}

// HostedBranding returns the branding of an app client's pages on a domain
// of ManagedLoginVersion version.
func (s *Service) HostedBranding(ctx context.Context, c cognito.Caller, clientID string, version int32) (*Branding, error) {
	client, p, err := s.hostedClient(ctx, c, clientID)
	if err != nil {
		return nil, err
	}
	poolID := cognito.Deref(p.Id)
	out := &Branding{Version: version}
	if version != managedLoginV2 {
		out.Version = managedLoginClassic
		for _, id := range []string{cognito.Deref(client.Client.ClientId), allClients} {
			it, err := s.store.GetItem(ctx, kindUICustomize, uiCustomizationID(poolID, id))
			if err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					continue
				}
				return nil, cognito.Internal(err)
			}
			rec, err := decodeUICustomization(it)
			if err != nil {
				return nil, err
			}
			out.CSS, out.Logo = rec.CSS, rec.Image
			break
		}
		return out, nil
	}
	_, style, found, err := clientBranding(ctx, s.store, poolID, clientID)
	if err != nil || !found {
		return out, err
	}
	out.HasStyle = true
	if out.Settings, err = style.settings(true); err != nil {
		return nil, err
	}
	for _, a := range style.Assets {
		out.Assets = append(out.Assets, BrandingAsset{Category: string(a.Category), ColorMode: string(a.ColorMode), Extension: string(a.Extension), Bytes: a.Bytes})
	}
	return out, nil
}

// PoolOfClient returns the pool of an app client, "" when there is no such
// client; a /confirmUser link names only the client.
func (s *Service) PoolOfClient(ctx context.Context, clientID string) (string, error) {
	if clientID == "" || !cognito.ValidText(clientID) || len(clientID) > 128 {
		return "", nil
	}
	it, err := s.store.GetItem(ctx, kindClient, clientID)
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", cognito.Internal(fmt.Errorf("get client %q: %w", clientID, err))
	}
	return it.Pool, nil
}
