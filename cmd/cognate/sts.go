package main

import (
	"fmt"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/sts"
	"github.com/cognate-dev/cognate/internal/sts/delegate"
	"github.com/cognate-dev/cognate/internal/sts/local"
)

// newLocalSTS builds cognate's own STS: it trusts the issuers of
// sts.trusted_issuers and extra (cognate's own identity issuer), and seals
// what it stores with the encryption keys.
func newLocalSTS(cfg *config.Config, st storage.Store, keys keyRing, extra ...local.TrustedIssuer) (*local.Service, error) {
	issuers := make([]local.TrustedIssuer, 0, len(cfg.STS.TrustedIssuers)+len(extra))
	listed := map[string]bool{}
	for _, ti := range cfg.STS.TrustedIssuers {
		issuers = append(issuers, local.TrustedIssuer{URL: ti.Issuer, Audiences: ti.Audiences, Roles: ti.Roles})
		listed[ti.Issuer] = true
	}
	for _, ti := range extra {
		if !listed[ti.URL] {
			issuers = append(issuers, ti)
			continue
		}
		// A listed issuer that the server also trusts in process keeps
		// the configured limits, and checks signatures and role trust in
		// process.
		for i := range issuers {
			if issuers[i].URL == ti.URL {
				issuers[i].KeySet, issuers[i].Trusts = ti.KeySet, ti.Trusts
			}
		}
	}
	s, err := local.New(local.Options{
		Store: st, Key: keys.master, PreviousKeys: keys.previous, AccountID: cfg.AccountID,
		Issuers: issuers, MaxSessionDuration: cfg.STS.MaxSessionDuration.Duration(),
	})
	if err != nil {
		return nil, fmt.Errorf("sts: %w", err)
	}
	return s, nil
}

// credentialIssuer returns where identity pools get temporary credentials
// (sts.mode): cognate's own STS, AWS STS of sts.region (or region), or the
// STS-compatible sts.endpoint.
func credentialIssuer(cfg *config.Config, own *local.Service) (sts.Issuer, error) {
	region := cfg.STS.Region
	if region == "" {
		region = cfg.Region
	}
	switch cfg.STS.Mode {
	case config.STSModeAWS:
		return delegate.New(delegate.Options{Region: region})
	case config.STSModeEndpoint:
		return delegate.New(delegate.Options{Region: region, Endpoint: cfg.STS.Endpoint})
	}
	return own, nil
}
