package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// kindRiskConfiguration is the item kind of a threat-protection
// configuration (SetRiskConfiguration): ID is "<pool>/" for the pool's own
// and "<pool>/<client ID>" for an app client's, Data the
// idp.RiskConfigurationType. It replicates with the pool's configuration
// and is deleted with the pool.
const kindRiskConfiguration = "risk_configuration"

func init() { storage.DeclareKind(kindRiskConfiguration, storage.Replicated) }

func riskConfigurationID(pool, client string) string { return pool + "/" + client }

// addOnNotEnabled is Cognito's answer to a threat-protection operation on a
// pool whose AdvancedSecurityMode is OFF.
func addOnNotEnabled() error {
	return cognito.UserPoolAddOnNotEnabledException("Advanced security features are not enabled for this user pool.")
}

// DescribeRiskConfiguration answers DescribeRiskConfiguration: the app
// client's configuration when ClientId names one that has its own, else
// the pool's (an empty one, naming the pool, when none was set).
func (s *Service) DescribeRiskConfiguration(ctx context.Context, c cognito.Caller, in *idp.DescribeRiskConfigurationRequest) (*idp.DescribeRiskConfigurationResponse, error) {
	poolID, clientID := cognito.Deref(in.UserPoolId), cognito.Deref(in.ClientId)
	_, p, err := s.loadPool(ctx, c, poolID)
	if err != nil {
		return nil, err
	}
	if !ThreatProtectionOn(p) {
		return nil, addOnNotEnabled()
	}
	if clientID != "" {
		if _, _, err := s.poolClient(ctx, s.store, c, poolID, clientID); err != nil {
			return nil, err
		}
	}
	rc, err := s.RiskConfiguration(ctx, s.store, poolID, clientID)
	if err != nil {
		return nil, err
	}
	return &idp.DescribeRiskConfigurationResponse{RiskConfiguration: rc}, nil
}

// SetRiskConfiguration answers SetRiskConfiguration: it replaces the
// pool's configuration, or the app client's when ClientId is given, with
// the request's (a member left out is removed).
func (s *Service) SetRiskConfiguration(ctx context.Context, c cognito.Caller, in *idp.SetRiskConfigurationRequest) (*idp.SetRiskConfigurationResponse, error) {
	poolID, clientID := cognito.Deref(in.UserPoolId), cognito.Deref(in.ClientId)
	_, p, err := s.loadPool(ctx, c, poolID)
	if err != nil {
		return nil, err
	}
	if !ThreatProtectionOn(p) {
		return nil, addOnNotEnabled()
	}
	if err := checkRiskConfiguration(in); err != nil {
		return nil, err
	}
	now := s.now()
	rc := &idp.RiskConfigurationType{
		UserPoolId:                              cognito.Ptr(poolID),
		CompromisedCredentialsRiskConfiguration: in.CompromisedCredentialsRiskConfiguration,
		AccountTakeoverRiskConfiguration:        in.AccountTakeoverRiskConfiguration,
		RiskExceptionConfiguration:              in.RiskExceptionConfiguration,
		LastModifiedDate:                        &cognito.Timestamp{Time: now},
	}
	if clientID != "" {
		rc.ClientId = cognito.Ptr(clientID)
	}
	data, err := json.Marshal(rc)
	if err != nil {
		return nil, cognito.Internal(err)
	}
	id := riskConfigurationID(poolID, clientID)
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if _, err := poolRecord(ctx, tx, c, poolID); err != nil {
			return err
		}
		if clientID != "" {
			if _, _, err := s.poolClient(ctx, tx, c, poolID, clientID); err != nil {
				return err
			}
		}
		it, err := tx.GetItem(ctx, kindRiskConfiguration, id)
		if errors.Is(err, storage.ErrNotFound) {
			return tx.CreateItem(ctx, &storage.Item{Kind: kindRiskConfiguration, ID: id, Pool: poolID, Data: data, CreatedAt: now, UpdatedAt: now})
		}
		if err != nil {
			return err
		}
		it.Data, it.UpdatedAt = data, now
		return tx.UpdateItem(ctx, it)
	})
	if err != nil {
		return nil, err
	}
	return &idp.SetRiskConfigurationResponse{RiskConfiguration: rc}, nil
}

// RiskConfiguration returns the configuration that applies to sign-ins
// through clientID in poolID, read through r: the client's own when it
// has one, else the pool's, else an empty one naming the pool.
func (s *Service) RiskConfiguration(ctx context.Context, r storage.ItemReader, poolID, clientID string) (*idp.RiskConfigurationType, error) {
	ids := []string{riskConfigurationID(poolID, "")}
	if clientID != "" {
		ids = slices.Insert(ids, 0, riskConfigurationID(poolID, clientID))
	}
	for _, id := range ids {
		it, err := r.GetItem(ctx, kindRiskConfiguration, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, cognito.Internal(fmt.Errorf("read risk configuration %q: %w", id, err))
		}
		var rc idp.RiskConfigurationType
		if err := json.Unmarshal(it.Data, &rc); err != nil {
			return nil, cognito.Internal(fmt.Errorf("decode risk configuration %q: %w", id, err))
		}
		return &rc, nil
	}
	return &idp.RiskConfigurationType{UserPoolId: cognito.Ptr(poolID)}, nil
}

// checkRiskConfiguration checks what the model's validation does not: the
// IP ranges, and that an action that notifies has a NotifyConfiguration.
func checkRiskConfiguration(in *idp.SetRiskConfigurationRequest) error {
	if ex := in.RiskExceptionConfiguration; ex != nil {
		for name, list := range map[string][]string{"BlockedIPRangeList": ex.BlockedIPRangeList, "SkippedIPRangeList": ex.SkippedIPRangeList} {
			for _, r := range list {
				if _, err := ParseIPRange(r); err != nil {
					return cognito.InvalidParameterException(fmt.Sprintf("%s contains an invalid IP range: %s", name, r))
				}
			}
		}
	}
	if at := in.AccountTakeoverRiskConfiguration; at != nil && at.Actions != nil {
		for _, a := range []*idp.AccountTakeoverActionType{at.Actions.LowAction, at.Actions.MediumAction, at.Actions.HighAction} {
			if a != nil && cognito.Deref(a.Notify) && at.NotifyConfiguration == nil {
				return cognito.InvalidParameterException("NotifyConfiguration is required when an action notifies.")
			}
		}
	}
	return nil
}

// ParseIPRange reads an IP range of a RiskExceptionConfiguration: a CIDR
// block (192.0.2.0/24, 2001:db8::/32) or a single address.
func ParseIPRange(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
