package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

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
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if _, err := poolRecord(ctx, tx, c, poolID); err != nil {
			return err
		}
		if clientID != "" {
			if _, _, err := s.poolClient(ctx, tx, c, poolID, clientID); err != nil {
				return err
			}
		}
		// The pool's item also lists the clients that have their own,
		// so that a sign-in reads one item when its client has none.
		poolItem, poolRec, err := readRiskItem(ctx, tx, riskConfigurationID(poolID, ""))
		if err != nil {
			return err
		}
		if clientID == "" {
			poolRec.Config = rc
		} else {
			if !slices.Contains(poolRec.Clients, clientID) {
				poolRec.Clients = append(poolRec.Clients, clientID)
			}
			if err := writeRiskItem(ctx, tx, nil, poolID, riskConfigurationID(poolID, clientID), riskRecord{Config: rc}, now); err != nil {
				return err
			}
		}
		return writeRiskItem(ctx, tx, poolItem, poolID, riskConfigurationID(poolID, ""), poolRec, now)
	})
	if err != nil {
		return nil, err
	}
	return &idp.SetRiskConfigurationResponse{RiskConfiguration: rc}, nil
}

// riskRecord is the Data of a risk_configuration item. The pool's item
// lists the app clients that have one of their own.
type riskRecord struct {
	Config  *idp.RiskConfigurationType `json:"config,omitempty"`
	Clients []string                   `json:"clients,omitempty"`
}

// readRiskItem reads the risk_configuration item id through r: nil and an
// empty record when there is none.
func readRiskItem(ctx context.Context, r storage.ItemReader, id string) (*storage.Item, riskRecord, error) {
	var rec riskRecord
	it, err := r.GetItem(ctx, kindRiskConfiguration, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, rec, nil
	}
	if err != nil {
		return nil, rec, fmt.Errorf("read risk configuration %q: %w", id, err)
	}
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return nil, rec, fmt.Errorf("decode risk configuration %q: %w", id, err)
	}
	return it, rec, nil
}

// writeRiskItem creates (it nil) or updates it with rec.
func writeRiskItem(ctx context.Context, tx storage.Tx, it *storage.Item, pool, id string, rec riskRecord, now time.Time) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return cognito.Internal(err)
	}
	if it == nil {
		old, err := tx.GetItem(ctx, kindRiskConfiguration, id)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			return tx.CreateItem(ctx, &storage.Item{Kind: kindRiskConfiguration, ID: id, Pool: pool, Data: data, CreatedAt: now, UpdatedAt: now})
		case err != nil:
			return err
		}
		it = old
	}
	it.Data, it.UpdatedAt = data, now
	return tx.UpdateItem(ctx, it)
}

// deleteClientRiskConfiguration deletes, inside tx, the risk configuration
// of the app client being deleted, when it has one, and takes the client
// off the pool item's list of clients with their own (both replicated
// changes, with the client's deletion).
func deleteClientRiskConfiguration(ctx context.Context, tx storage.Tx, pool, client string, now time.Time) error {
	poolItem, poolRec, err := readRiskItem(ctx, tx, riskConfigurationID(pool, ""))
	if err != nil || poolItem == nil {
		return err
	}
	own, _, err := readRiskItem(ctx, tx, riskConfigurationID(pool, client))
	if err != nil {
		return err
	}
	if own != nil {
		if err := tx.DeleteItem(ctx, kindRiskConfiguration, own.ID, own.Version); err != nil {
			return fmt.Errorf("delete risk configuration: %w", err)
		}
	}
	if !slices.Contains(poolRec.Clients, client) {
		return nil
	}
	poolRec.Clients = slices.DeleteFunc(poolRec.Clients, func(c string) bool { return c == client })
	return writeRiskItem(ctx, tx, poolItem, pool, poolItem.ID, poolRec, now)
}

// RiskConfiguration returns the configuration that applies to sign-ins
// through clientID in poolID, read through r: the client's own when it
// has one, else the pool's, else an empty one naming the pool. It reads
// one item, two when the client has its own.
func (s *Service) RiskConfiguration(ctx context.Context, r storage.ItemReader, poolID, clientID string) (*idp.RiskConfigurationType, error) {
	_, rec, err := readRiskItem(ctx, r, riskConfigurationID(poolID, ""))
	if err != nil {
		return nil, cognito.Internal(err)
	}
	if clientID != "" && slices.Contains(rec.Clients, clientID) {
		_, own, err := readRiskItem(ctx, r, riskConfigurationID(poolID, clientID))
		if err != nil {
			return nil, cognito.Internal(err)
		}
		if own.Config != nil {
			return own.Config, nil
		}
	}
	if rec.Config != nil {
		return rec.Config, nil
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
