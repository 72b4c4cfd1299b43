package authflow

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// samlSessionRef names the SAML provider's session a hosted-UI session
// came from: what a LogoutRequest to the provider names. JSON names are
// part of the stored format.
type samlSessionRef struct {
	Provider     string `json:"provider"`
	NameID       string `json:"name_id"`
	Format       string `json:"format,omitempty"`
	SessionIndex string `json:"session_index,omitempty"`
}

// samlLogoutRecord is the state of a LogoutRequest sent to a SAML
// provider (kind auth_session, ID "<pool>/slo/<hex SHA-256 of the
// RelayState>"), sealed: the request the LogoutResponse must answer, the
// browser it must come back to, and where the logout continues.
type samlLogoutRecord struct {
	Provider  string `json:"provider"`
	Request   string `json:"request"`
	Binding   string `json:"binding"`
	Continue  string `json:"continue"`
	ExpiresAt int64  `json:"expires_at"`
}

func samlLogoutID(pool, hash string) string { return pool + "/slo/" + hash }

// SAMLLogout is a sign-out at /logout of a hosted-UI session.
type SAMLLogout struct {
	PoolID string
	// UISession is the hosted-UI session's cookie value.
	UISession string
	// Continue is where the logout goes once the provider answered: the
	// app's logout_uri, or the sign-in page.
	Continue string
	// ACSURL and SLOURL are the domain's /saml2/idpresponse and
	// /saml2/logout.
	ACSURL, SLOURL string
}

// SAMLLogoutRedirect is where to send the browser to sign out at the SAML
// provider, and the value of the cookie that binds the answer to it.
type SAMLLogoutRedirect struct {
	URL, Binding string
}

// StartSAMLLogout begins single logout at the SAML provider a hosted-UI
// session came from, when the provider has IDPSignout: a LogoutRequest
// (signed with the pool's key) naming the user's NameID and session index,
// sent by HTTP-Redirect to the provider's SingleLogoutService, its state
// stored sealed, use-once and bound to the browser. It returns nil when
// there is nothing to sign out of at a provider (no such session, another
// kind of sign-in, a provider without IDPSignout or gone); the caller ends
// the hosted-UI session either way.
func (s *Service) StartSAMLLogout(ctx context.Context, in SAMLLogout) (*SAMLLogoutRedirect, error) {
	if in.UISession == "" || len(in.UISession) > 128 {
		return nil, nil
	}
	it, err := s.store.GetItem(ctx, kindAuthSession, uiSessionID(in.PoolID, hashOf(in.UISession)))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, internal(fmt.Errorf("get hosted UI session: %w", err))
	}
	var ui uiSessionRecord
	if err := json.Unmarshal(it.Data, &ui); err != nil {
		return nil, internal(fmt.Errorf("decode hosted UI session: %w", err))
	}
	if ui.SAML == nil || !s.now().Before(ui.ExpiresAt) {
		return nil, nil
	}
	prov, err := s.pools.FederationProvider(ctx, nil, in.PoolID, ui.SAML.Provider)
	if err != nil || prov.Type != userpool.ProviderSAML || prov.Details["IDPSignout"] != "true" {
		return nil, nil
	}
	sp, err := s.samlProvider(ctx, prov, in.ACSURL, in.SLOURL)
	if err != nil {
		return nil, err
	}
	relay, binding := opaqueToken(32), opaqueToken(32)
	redirect, reqID, err := s.federation.SAMLLogoutRequest(ctx, sp, ui.SAML.NameID, ui.SAML.Format, ui.SAML.SessionIndex, relay)
	if err != nil {
		// The provider cannot be reached for a sign-out (no
		// SingleLogoutService): the local session still ends.
		s.log.Info("SAML single logout skipped", "pool", in.PoolID, "provider", prov.Name, "err", err)
		return nil, nil
	}
	now := s.now()
	exp := now.Add(FederationValidity)
	raw, err := json.Marshal(samlLogoutRecord{Provider: prov.Name, Request: reqID, Binding: hashOf(binding), Continue: in.Continue, ExpiresAt: exp.UnixMilli()})
	if err != nil {
		return nil, internal(err)
	}
	id := samlLogoutID(in.PoolID, hashOf(relay))
	data, err := json.Marshal(federationStored{Sealed: s.state.SealString(federationPurpose(id), raw), ExpiresAt: exp})
	if err != nil {
		return nil, internal(err)
	}
	rec := &storage.Item{Kind: kindAuthSession, ID: id, Pool: in.PoolID, Data: data,
		Index: []string{expiringKey(exp)}, CreatedAt: now, UpdatedAt: now}
	if err := s.runTx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, rec) }); err != nil {
		return nil, err
	}
	return &SAMLLogoutRedirect{URL: redirect, Binding: binding}, nil
}

// ErrSAMLLogout is a LogoutResponse that does not verify: not signed by
// the provider, not answering the request, or not a success.
var ErrSAMLLogout = errors.New("the SAML provider's logout response is not valid")

// FinishSAMLLogout takes a SAML provider's LogoutResponse at /saml2/logout
// (r, by HTTP-Redirect or HTTP-POST): its RelayState's state is used up
// (bound to the browser, unexpired), the response checked with
// crewjam/saml (signed by the provider, InResponseTo the request, status
// Success), and the logout's continuation returned. An unknown state is
// ErrFederationState.
func (s *Service) FinishSAMLLogout(ctx context.Context, poolID, relayState, binding string, r *http.Request, acsURL, sloURL string) (string, error) {
	if relayState == "" || len(relayState) > 128 || binding == "" || len(binding) > 128 {
		return "", ErrFederationState
	}
	id := samlLogoutID(poolID, hashOf(relayState))
	var rec samlLogoutRecord
	err := s.store.Tx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, kindAuthSession, id)
		if errors.Is(err, storage.ErrNotFound) {
			return ErrFederationState
		}
		if err != nil {
			return fmt.Errorf("get logout state: %w", err)
		}
		var st federationStored
		if err := json.Unmarshal(it.Data, &st); err != nil {
			return fmt.Errorf("decode logout state: %w", err)
		}
		raw, err := s.state.OpenString(federationPurpose(id), st.Sealed)
		if err != nil {
			return fmt.Errorf("open logout state: %w", err)
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			return fmt.Errorf("decode logout state: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(hashOf(binding)), []byte(rec.Binding)) != 1 || s.now().UnixMilli() >= rec.ExpiresAt {
			return ErrFederationState
		}
		return tx.DeleteItem(ctx, kindAuthSession, it.ID, it.Version)
	})
	if errors.Is(err, ErrFederationState) || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) {
		return "", ErrFederationState
	}
	if err != nil {
		return "", internal(err)
	}
	prov, err := s.pools.FederationProvider(ctx, nil, poolID, rec.Provider)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSAMLLogout, err)
	}
	sp, err := s.samlProvider(ctx, prov, acsURL, sloURL)
	if err != nil {
		return "", err
	}
	if err := s.federation.SAMLLogoutResponse(ctx, sp, r, rec.Request); err != nil {
		s.log.Info("SAML logout response refused", "pool", poolID, "provider", prov.Name, "err", err)
		return "", fmt.Errorf("%w: %w", ErrSAMLLogout, err)
	}
	return rec.Continue, nil
}
