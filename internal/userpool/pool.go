package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// Defaults Cognito fills in for a new pool.
const (
	DefaultMinimumLength                 = 8
	DefaultTemporaryPasswordValidityDays = 7
	maxTags                              = 50
)

// poolNotFound is the exception for a pool that does not exist, or that
// lives in another region than the one addressed.
func poolNotFound(id string) error {
	return cognito.ResourceNotFoundException(fmt.Sprintf("User pool %s does not exist.", id))
}

// poolReader reads pools: a storage.Store, or a storage.Tx (which locks
// the pool's row until the transaction ends).
type poolReader interface {
	GetUserPool(ctx context.Context, id string) (*storage.UserPool, error)
}

// loadPool reads a pool and decodes its description. A pool in another
// region is reported as missing, as it would be at that region's endpoint.
func (s *Service) loadPool(ctx context.Context, c cognito.Caller, id string) (*storage.UserPool, *idp.UserPoolType, error) {
	return loadPoolFrom(ctx, s.store, c, id)
}

// loadPoolFrom is loadPool reading through r.
func loadPoolFrom(ctx context.Context, r poolReader, c cognito.Caller, id string) (*storage.UserPool, *idp.UserPoolType, error) {
	rec, err := poolRecord(ctx, r, c, id)
	if err != nil {
		return nil, nil, err
	}
	p, err := decodePool(rec)
	if err != nil {
		return nil, nil, err
	}
	return rec, p, nil
}

// poolRecord reads the stored pool id with loadPool's checks, without
// decoding its configuration.
func poolRecord(ctx context.Context, r poolReader, c cognito.Caller, id string) (*storage.UserPool, error) {
	if err := CheckText("userPoolId", ruleUserPoolID, id); err != nil {
		return nil, err
	}
	rec, err := r.GetUserPool(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, poolNotFound(id)
	}
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("get user pool %q: %w", id, err))
	}
	if rec.Region != c.Region {
		return nil, poolNotFound(id)
	}
	return rec, nil
}

// decodePool decodes the configuration of the stored pool rec.
func decodePool(rec *storage.UserPool) (*idp.UserPoolType, error) {
	var p idp.UserPoolType
	if err := json.Unmarshal(rec.Config, &p); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode user pool %q: %w", rec.ID, err))
	}
	return &p, nil
}

// savePool writes p back over rec with optimistic concurrency, keeping
// the MFA settings UserPoolType has no member for (poolMFAMember).
func (s *Service) savePool(ctx context.Context, rec *storage.UserPool, p *idp.UserPoolType) error {
	now := s.now()
	p.LastModifiedDate = &cognito.Timestamp{Time: now}
	m, err := decodePoolMFA(rec.Config)
	if err != nil {
		return err
	}
	cfg, err := encodePool(p, m)
	if err != nil {
		return cognito.Internal(err)
	}
	rec.Config, rec.Name, rec.UpdatedAt = cfg, cognito.Deref(p.Name), now
	return s.store.UpdateUserPool(ctx, rec)
}

// updatePool runs a read-modify-write of one pool, retrying on conflicts.
func (s *Service) updatePool(ctx context.Context, c cognito.Caller, id string, mutate func(p *idp.UserPoolType) error) (*idp.UserPoolType, error) {
	var out *idp.UserPoolType
	err := Retry(ctx, func() error {
		rec, p, err := s.loadPool(ctx, c, id)
		if err != nil {
			return err
		}
		if err := mutate(p); err != nil {
			return err
		}
		if err := s.savePool(ctx, rec, p); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return poolNotFound(id)
			}
			if errors.Is(err, storage.ErrConflict) {
				return err
			}
			return cognito.Internal(err)
		}
		out = p
		return nil
	})
	return out, err
}

// poolSettings are the members CreateUserPool and UpdateUserPool share.
type poolSettings struct {
	Policies                    *idp.UserPoolPolicyType
	DeletionProtection          *idp.DeletionProtectionType
	LambdaConfig                *idp.LambdaConfigType
	AutoVerifiedAttributes      []idp.VerifiedAttributeType
	SmsVerificationMessage      *string
	EmailVerificationMessage    *string
	EmailVerificationSubject    *string
	VerificationMessageTemplate *idp.VerificationMessageTemplateType
	SmsAuthenticationMessage    *string
	MfaConfiguration            *idp.UserPoolMfaType
	UserAttributeUpdateSettings *idp.UserAttributeUpdateSettingsType
	DeviceConfiguration         *idp.DeviceConfigurationType
	EmailConfiguration          *idp.EmailConfigurationType
	SmsConfiguration            *idp.SmsConfigurationType
	AdminCreateUserConfig       *idp.AdminCreateUserConfigType
	UserPoolAddOns              *idp.UserPoolAddOnsType
	AccountRecoverySetting      *idp.AccountRecoverySettingType
	UserPoolTier                *idp.UserPoolTierType
	KeyConfiguration            *idp.KeyConfigurationType
	IssuerConfiguration         *idp.IssuerConfigurationType
}

// settingsOf copies the shared members out of a CreateUserPool or
// UpdateUserPool request; both name them alike.
func settingsOf(req any) (poolSettings, error) {
	var out poolSettings
	b, err := json.Marshal(req)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		return out, cognito.Internal(fmt.Errorf("copy pool settings: %w", err))
	}
	return out, nil
}

// apply sets every setting of p from the request, filling in Cognito's
// default for each member the request leaves out. UpdateUserPool has the
// same rule: a member left out returns to its default.
func (in poolSettings) apply(p *idp.UserPoolType) error {
	tier := idp.UserPoolTierType("ESSENTIALS")
	if in.UserPoolTier != nil {
		tier = *in.UserPoolTier
	}
	p.UserPoolTier = cognito.Ptr(tier)

	policy, err := passwordPolicy(in.Policies, tier)
	if err != nil {
		return err
	}
	signIn := &idp.SignInPolicyType{AllowedFirstAuthFactors: []idp.AuthFactorType{"PASSWORD"}}
	if in.Policies != nil && in.Policies.SignInPolicy != nil && in.Policies.SignInPolicy.AllowedFirstAuthFactors != nil {
		factors := in.Policies.SignInPolicy.AllowedFirstAuthFactors
		for _, f := range factors {
			switch f {
			case idp.AuthFactorTypePassword, idp.AuthFactorTypeEmailOtp, idp.AuthFactorTypeSmsOtp, idp.AuthFactorTypeWebAuthn:
			default:
				return cognito.InvalidParameterException(fmt.Sprintf("%s is not a first authentication factor: AllowedFirstAuthFactors takes PASSWORD, EMAIL_OTP, SMS_OTP and WEB_AUTHN.", f))
			}
		}
		if !slices.Contains(factors, idp.AuthFactorType("PASSWORD")) {
			return cognito.InvalidParameterException("AllowedFirstAuthFactors must include PASSWORD.")
		}
		factors = dedupe(factors)
		if tier == "LITE" && len(factors) > 1 {
			return cognito.FeatureUnavailableInTierException("Choice-based authentication factors other than PASSWORD are not available in the LITE tier.")
		}
		signIn = &idp.SignInPolicyType{AllowedFirstAuthFactors: slices.Clone(factors)}
	}
	p.Policies = &idp.UserPoolPolicyType{PasswordPolicy: policy, SignInPolicy: signIn}

	p.DeletionProtection = cognito.Ptr(idp.DeletionProtectionType("INACTIVE"))
	if in.DeletionProtection != nil {
		p.DeletionProtection = cognito.Ptr(*in.DeletionProtection)
	}
	lc, err := lambdaConfig(in.LambdaConfig, tier)
	if err != nil {
		return err
	}
	p.LambdaConfig = lc
	p.AutoVerifiedAttributes = nil
	if len(in.AutoVerifiedAttributes) > 0 {
		p.AutoVerifiedAttributes = dedupe(in.AutoVerifiedAttributes)
	}

	if err := applyMessages(p, in); err != nil {
		return err
	}
	p.SmsAuthenticationMessage = in.SmsAuthenticationMessage

	p.MfaConfiguration = cognito.Ptr(idp.UserPoolMfaType("OFF"))
	if in.MfaConfiguration != nil {
		p.MfaConfiguration = cognito.Ptr(*in.MfaConfiguration)
	}

	update := &idp.UserAttributeUpdateSettingsType{AttributesRequireVerificationBeforeUpdate: []idp.VerifiedAttributeType{}}
	if in.UserAttributeUpdateSettings != nil && len(in.UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate) > 0 {
		for _, a := range in.UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate {
			if !slices.Contains(p.AutoVerifiedAttributes, a) {
				return cognito.InvalidParameterException(fmt.Sprintf("The attribute %s must be an auto-verified attribute before it can require verification before update.", a))
			}
		}
		update.AttributesRequireVerificationBeforeUpdate = dedupe(in.UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate)
	}
	p.UserAttributeUpdateSettings = update

	p.DeviceConfiguration = in.DeviceConfiguration

	email := &idp.EmailConfigurationType{EmailSendingAccount: cognito.Ptr(idp.EmailSendingAccountType("COGNITO_DEFAULT"))}
	if in.EmailConfiguration != nil {
		email = in.EmailConfiguration
		if email.EmailSendingAccount == nil {
			email.EmailSendingAccount = cognito.Ptr(idp.EmailSendingAccountType("COGNITO_DEFAULT"))
		}
		if *email.EmailSendingAccount == "DEVELOPER" && cognito.Deref(email.SourceArn) == "" {
			return cognito.InvalidParameterException("SourceArn is required when EmailSendingAccount is DEVELOPER.")
		}
	}
	p.EmailConfiguration = email
	p.SmsConfiguration = in.SmsConfiguration

	admin := &idp.AdminCreateUserConfigType{AllowAdminCreateUserOnly: cognito.Ptr(false)}
	if in.AdminCreateUserConfig != nil {
		admin.AllowAdminCreateUserOnly = cognito.Ptr(cognito.Deref(in.AdminCreateUserConfig.AllowAdminCreateUserOnly))
		admin.InviteMessageTemplate = in.AdminCreateUserConfig.InviteMessageTemplate
		if u := in.AdminCreateUserConfig.UnusedAccountValidityDays; u != nil {
			explicit := in.Policies != nil && in.Policies.PasswordPolicy != nil && in.Policies.PasswordPolicy.TemporaryPasswordValidityDays != nil
			if explicit && *u != *policy.TemporaryPasswordValidityDays {
				return cognito.InvalidParameterException("Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays")
			}
			if !explicit {
				policy.TemporaryPasswordValidityDays = cognito.Ptr(*u)
			}
		}
	}
	admin.UnusedAccountValidityDays = cognito.Ptr(*policy.TemporaryPasswordValidityDays)
	p.AdminCreateUserConfig = admin

	if in.UserPoolAddOns != nil {
		mode := cognito.Deref(in.UserPoolAddOns.AdvancedSecurityMode)
		if mode != "OFF" && tier != "PLUS" {
			return cognito.FeatureUnavailableInTierException("Threat protection requires the PLUS tier.")
		}
	}
	p.UserPoolAddOns = in.UserPoolAddOns
	p.AccountRecoverySetting = in.AccountRecoverySetting
	if in.AccountRecoverySetting != nil {
		if err := checkRecovery(in.AccountRecoverySetting); err != nil {
			return err
		}
	}
	p.KeyConfiguration = in.KeyConfiguration
	p.IssuerConfiguration = in.IssuerConfiguration
	return nil
}

// passwordPolicy returns the stored password policy: Cognito's default when
// none is given; otherwise the given one, with members left out false
// (booleans), 8 (minimum length) or 7 (temporary password validity).
func passwordPolicy(in *idp.UserPoolPolicyType, tier idp.UserPoolTierType) (*idp.PasswordPolicyType, error) {
	if in == nil || in.PasswordPolicy == nil {
		return &idp.PasswordPolicyType{
			MinimumLength:                 cognito.Ptr(int32(DefaultMinimumLength)),
			RequireUppercase:              cognito.Ptr(true),
			RequireLowercase:              cognito.Ptr(true),
			RequireNumbers:                cognito.Ptr(true),
			RequireSymbols:                cognito.Ptr(true),
			TemporaryPasswordValidityDays: cognito.Ptr(int32(DefaultTemporaryPasswordValidityDays)),
		}, nil
	}
	pp := in.PasswordPolicy
	out := &idp.PasswordPolicyType{
		MinimumLength:                 cognito.Ptr(int32(DefaultMinimumLength)),
		RequireUppercase:              cognito.Ptr(cognito.Deref(pp.RequireUppercase)),
		RequireLowercase:              cognito.Ptr(cognito.Deref(pp.RequireLowercase)),
		RequireNumbers:                cognito.Ptr(cognito.Deref(pp.RequireNumbers)),
		RequireSymbols:                cognito.Ptr(cognito.Deref(pp.RequireSymbols)),
		TemporaryPasswordValidityDays: cognito.Ptr(int32(DefaultTemporaryPasswordValidityDays)),
	}
	if pp.MinimumLength != nil {
		out.MinimumLength = cognito.Ptr(*pp.MinimumLength)
	}
	if pp.TemporaryPasswordValidityDays != nil {
		out.TemporaryPasswordValidityDays = cognito.Ptr(*pp.TemporaryPasswordValidityDays)
	}
	if pp.PasswordHistorySize != nil {
		if tier == "LITE" && *pp.PasswordHistorySize > 0 {
			return nil, cognito.FeatureUnavailableInTierException("Password history is not available in the LITE tier.")
		}
		out.PasswordHistorySize = cognito.Ptr(*pp.PasswordHistorySize)
	}
	return out, nil
}

// applyMessages sets the verification messages. Cognito keeps the older
// top-level members and VerificationMessageTemplate in step: a value given
// in one place is returned in both.
func applyMessages(p *idp.UserPoolType, in poolSettings) error {
	t := &idp.VerificationMessageTemplateType{}
	if in.VerificationMessageTemplate != nil {
		*t = *in.VerificationMessageTemplate
	}
	pairs := []struct {
		name            string
		top, tmpl, dest *string
	}{
		{"SmsVerificationMessage", in.SmsVerificationMessage, t.SmsMessage, nil},
		{"EmailVerificationMessage", in.EmailVerificationMessage, t.EmailMessage, nil},
		{"EmailVerificationSubject", in.EmailVerificationSubject, t.EmailSubject, nil},
	}
	resolved := make([]*string, len(pairs))
	for i, pr := range pairs {
		switch {
		case pr.top != nil && pr.tmpl != nil && *pr.top != *pr.tmpl:
			return cognito.InvalidParameterException(fmt.Sprintf("%s and the matching member of VerificationMessageTemplate must be equal when both are given.", pr.name))
		case pr.top != nil:
			resolved[i] = cognito.Ptr(*pr.top)
		case pr.tmpl != nil:
			resolved[i] = cognito.Ptr(*pr.tmpl)
		}
	}
	p.SmsVerificationMessage, t.SmsMessage = resolved[0], resolved[0]
	p.EmailVerificationMessage, t.EmailMessage = resolved[1], resolved[1]
	p.EmailVerificationSubject, t.EmailSubject = resolved[2], resolved[2]
	if t.DefaultEmailOption == nil {
		t.DefaultEmailOption = cognito.Ptr(idp.DefaultEmailOptionType("CONFIRM_WITH_CODE"))
	}
	p.VerificationMessageTemplate = t
	return nil
}

func checkRecovery(r *idp.AccountRecoverySettingType) error {
	seenName := map[idp.RecoveryOptionNameType]bool{}
	seenPrio := map[int32]bool{}
	for _, m := range r.RecoveryMechanisms {
		name, prio := cognito.Deref(m.Name), cognito.Deref(m.Priority)
		if seenName[name] || seenPrio[prio] {
			return cognito.InvalidParameterException("Recovery mechanisms must have unique names and priorities.")
		}
		seenName[name], seenPrio[prio] = true, true
		if name == "admin_only" && len(r.RecoveryMechanisms) > 1 {
			return cognito.InvalidParameterException("admin_only cannot be combined with other recovery mechanisms.")
		}
	}
	return nil
}

func dedupe[T comparable](in []T) []T {
	out := make([]T, 0, len(in))
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return cognito.InvalidParameterException(fmt.Sprintf("A resource can have at most %d tags.", maxTags))
	}
	return nil
}

// CreateUserPool creates a pool in the caller's region.
func (s *Service) CreateUserPool(ctx context.Context, c cognito.Caller, in *idp.CreateUserPoolRequest) (*idp.CreateUserPoolResponse, error) {
	// The name is a text column of its own in both stores.
	if err := CheckText("poolName", rulePoolName, cognito.Deref(in.PoolName)); err != nil {
		return nil, err
	}
	if len(in.UsernameAttributes) > 0 && len(in.AliasAttributes) > 0 {
		return nil, cognito.InvalidParameterException("Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.")
	}
	if err := checkTags(in.UserPoolTags); err != nil {
		return nil, err
	}
	schema, err := buildSchema(in.Schema)
	if err != nil {
		return nil, err
	}
	now := s.now()
	p := &idp.UserPoolType{
		Name:                   cognito.Ptr(cognito.Deref(in.PoolName)),
		SchemaAttributes:       schema,
		AliasAttributes:        dedupeOrNil(in.AliasAttributes),
		UsernameAttributes:     dedupeOrNil(in.UsernameAttributes),
		UsernameConfiguration:  in.UsernameConfiguration,
		EstimatedNumberOfUsers: cognito.Ptr(int32(0)),
		UserPoolTags:           map[string]string{},
		CreationDate:           &cognito.Timestamp{Time: now},
		LastModifiedDate:       &cognito.Timestamp{Time: now},
	}
	for k, v := range in.UserPoolTags {
		p.UserPoolTags[k] = v
	}
	settings, err := settingsOf(in)
	if err != nil {
		return nil, err
	}
	if err := settings.apply(p); err != nil {
		return nil, err
	}
	for range 3 {
		id := cognito.NewUserPoolID(c.Region)
		p.Id = cognito.Ptr(id)
		p.Arn = cognito.Ptr(cognito.UserPoolARN(c.Region, s.account, id))
		cfg, err := json.Marshal(p)
		if err != nil {
			return nil, cognito.Internal(err)
		}
		rec := &storage.UserPool{ID: id, Region: c.Region, Name: cognito.Deref(in.PoolName), Config: cfg, CreatedAt: now, UpdatedAt: now}
		err = s.store.CreateUserPool(ctx, rec)
		if errors.Is(err, storage.ErrAlreadyExists) {
			continue
		}
		if err != nil {
			return nil, cognito.Internal(fmt.Errorf("create user pool: %w", err))
		}
		return &idp.CreateUserPoolResponse{UserPool: p}, nil
	}
	return nil, cognito.Internal(errors.New("create user pool: no free pool ID"))
}

func dedupeOrNil[T comparable](in []T) []T {
	if len(in) == 0 {
		return nil
	}
	return dedupe(in)
}

// DescribeUserPool returns a pool's description.
func (s *Service) DescribeUserPool(ctx context.Context, c cognito.Caller, in *idp.DescribeUserPoolRequest) (*idp.DescribeUserPoolResponse, error) {
	id := cognito.Deref(in.UserPoolId)
	_, p, err := s.loadPool(ctx, c, id)
	if err != nil {
		return nil, err
	}
	var users int64
	if s.countUsers != nil {
		if users, err = s.countUsers(ctx, id); err != nil {
			return nil, cognito.Internal(fmt.Errorf("count users of %q: %w", id, err))
		}
	}
	p.EstimatedNumberOfUsers = cognito.Ptr(int32(min(users, math.MaxInt32)))
	prefix, custom, err := s.poolDomains(ctx, id)
	if err != nil {
		return nil, err
	}
	if prefix != "" {
		p.Domain = cognito.Ptr(prefix)
	}
	if custom != "" {
		p.CustomDomain = cognito.Ptr(custom)
	}
	return &idp.DescribeUserPoolResponse{UserPool: p}, nil
}

// UpdateUserPool changes a pool's settings. As on Cognito, every setting the
// request leaves out returns to its default; the name (unless PoolName is
// given), schema, username and alias attributes and tags (unless
// UserPoolTags is given) are kept.
func (s *Service) UpdateUserPool(ctx context.Context, c cognito.Caller, in *idp.UpdateUserPoolRequest) (*idp.UpdateUserPoolResponse, error) {
	if err := checkTags(in.UserPoolTags); err != nil {
		return nil, err
	}
	_, err := s.updatePool(ctx, c, cognito.Deref(in.UserPoolId), func(p *idp.UserPoolType) error {
		if in.PoolName != nil {
			p.Name = cognito.Ptr(*in.PoolName)
		}
		if in.UserPoolTier != nil && *in.UserPoolTier == "LITE" && cognito.Deref(p.UserPoolTier) == "PLUS" &&
			in.UserPoolAddOns != nil && cognito.Deref(in.UserPoolAddOns.AdvancedSecurityMode) != "OFF" {
			return cognito.TierChangeNotAllowedException("Turn off threat protection before changing the tier.")
		}
		if in.UserPoolTags != nil {
			p.UserPoolTags = map[string]string{}
			for k, v := range in.UserPoolTags {
				p.UserPoolTags[k] = v
			}
		}
		settings, err := settingsOf(in)
		if err != nil {
			return err
		}
		return settings.apply(p)
	})
	if err != nil {
		return nil, err
	}
	return &idp.UpdateUserPoolResponse{}, nil
}

// DeleteUserPool deletes a pool unless deletion protection is on or it
// still has a domain, together with everything in it (clients, users,
// groups, resource servers, … every item of the pool, whichever package
// stores it) and what the erasers of OnDeleteUserPool delete, in one
// transaction.
func (s *Service) DeleteUserPool(ctx context.Context, c cognito.Caller, in *idp.DeleteUserPoolRequest) (*cognito.Empty, error) {
	id := cognito.Deref(in.UserPoolId)
	err := s.runTx(ctx, func(tx storage.Tx) error {
		rec, p, err := loadPoolFrom(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if cognito.Deref(p.DeletionProtection) == "ACTIVE" {
			return cognito.InvalidParameterException("The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.")
		}
		prefix, custom, err := poolDomainsFrom(ctx, tx, id)
		if err != nil {
			return err
		}
		if prefix != "" || custom != "" {
			return cognito.InvalidParameterException("User pool cannot be deleted. It has a domain configured that should be deleted first.")
		}
		for _, erase := range s.poolErasers {
			if err := erase(ctx, tx, id); err != nil {
				return fmt.Errorf("erase what is kept about pool %q: %w", id, err)
			}
		}
		// Everything stored in the pool goes with it, whichever package
		// stores it: users, groups, clients, signing keys, tokens,
		// sessions, events, …
		if _, err := tx.DeletePoolItems(ctx, id); err != nil {
			return fmt.Errorf("delete the items of pool %q: %w", id, err)
		}
		err = tx.DeleteUserPool(ctx, rec.ID, rec.Version)
		if errors.Is(err, storage.ErrNotFound) {
			return poolNotFound(id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &cognito.Empty{}, nil
}

// ListUserPools lists the pools of the caller's region in ID order.
func (s *Service) ListUserPools(ctx context.Context, c cognito.Caller, in *idp.ListUserPoolsRequest) (*idp.ListUserPoolsResponse, error) {
	scope := "ListUserPools/" + c.Region
	after := ""
	if in.NextToken != nil {
		var ok bool
		if after, ok = s.pages.Cursor(scope, *in.NextToken); !ok {
			return nil, cognito.InvalidParameterException("Invalid pagination token.")
		}
	}
	limit := int(cognito.Deref(in.MaxResults))
	recs, err := s.store.ListUserPools(ctx, storage.ListUserPoolsInput{Region: c.Region, AfterID: after, Limit: limit + 1})
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("list user pools: %w", err))
	}
	out := &idp.ListUserPoolsResponse{UserPools: []idp.UserPoolDescriptionType{}}
	for i, rec := range recs {
		if i == limit {
			out.NextToken = cognito.Ptr(s.pages.Token(scope, recs[i-1].ID))
			break
		}
		var p idp.UserPoolType
		if err := json.Unmarshal(rec.Config, &p); err != nil {
			return nil, cognito.Internal(fmt.Errorf("decode user pool %q: %w", rec.ID, err))
		}
		out.UserPools = append(out.UserPools, idp.UserPoolDescriptionType{
			Id: p.Id, Name: p.Name, LambdaConfig: p.LambdaConfig,
			LastModifiedDate: p.LastModifiedDate, CreationDate: p.CreationDate,
		})
	}
	return out, nil
}

// AddCustomAttributes adds custom attributes to a pool's schema.
func (s *Service) AddCustomAttributes(ctx context.Context, c cognito.Caller, in *idp.AddCustomAttributesRequest) (*idp.AddCustomAttributesResponse, error) {
	_, err := s.updatePool(ctx, c, cognito.Deref(in.UserPoolId), func(p *idp.UserPoolType) error {
		for _, a := range in.CustomAttributes {
			ca, err := customAttribute(a)
			if err != nil {
				return err
			}
			// custom:x and dev:custom:x are one attribute, x, read and
			// written by developers only in the second form.
			bare := customBareName(cognito.Deref(ca.Name))
			for _, have := range p.SchemaAttributes {
				if standardIndex(cognito.Deref(have.Name)) < 0 && customBareName(cognito.Deref(have.Name)) == bare {
					return cognito.InvalidParameterException(fmt.Sprintf("custom:%s: Existing attribute already has name %s.", bare, cognito.Deref(have.Name)))
				}
			}
			p.SchemaAttributes = append(p.SchemaAttributes, ca)
		}
		if countCustom(p.SchemaAttributes) > maxCustomAttributes {
			return cognito.InvalidParameterException(fmt.Sprintf("A user pool can have at most %d custom attributes.", maxCustomAttributes))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.AddCustomAttributesResponse{}, nil
}

// resourcePool returns the pool ID an ARN names, when the ARN is a user pool
// of this account in the caller's region.
func (s *Service) resourcePool(c cognito.Caller, arn string) (string, error) {
	a, ok := cognito.ParseARN(arn)
	const prefix = "userpool/"
	if !ok || a.Service != "cognito-idp" || len(a.Resource) <= len(prefix) || a.Resource[:len(prefix)] != prefix {
		return "", cognito.InvalidParameterException(fmt.Sprintf("Invalid ARN: %s", arn))
	}
	id := a.Resource[len(prefix):]
	if a.Region != c.Region || a.Account != s.account {
		return "", poolNotFound(id)
	}
	return id, nil
}

// TagResource adds or replaces tags on a pool.
func (s *Service) TagResource(ctx context.Context, c cognito.Caller, in *idp.TagResourceRequest) (*idp.TagResourceResponse, error) {
	id, err := s.resourcePool(c, cognito.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	_, err = s.updatePool(ctx, c, id, func(p *idp.UserPoolType) error {
		if p.UserPoolTags == nil {
			p.UserPoolTags = map[string]string{}
		}
		for k, v := range in.Tags {
			p.UserPoolTags[k] = v
		}
		return checkTags(p.UserPoolTags)
	})
	if err != nil {
		return nil, err
	}
	return &idp.TagResourceResponse{}, nil
}

// UntagResource removes tags from a pool.
func (s *Service) UntagResource(ctx context.Context, c cognito.Caller, in *idp.UntagResourceRequest) (*idp.UntagResourceResponse, error) {
	id, err := s.resourcePool(c, cognito.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	_, err = s.updatePool(ctx, c, id, func(p *idp.UserPoolType) error {
		for _, k := range in.TagKeys {
			delete(p.UserPoolTags, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.UntagResourceResponse{}, nil
}

// ListTagsForResource returns a pool's tags.
func (s *Service) ListTagsForResource(ctx context.Context, c cognito.Caller, in *idp.ListTagsForResourceRequest) (*idp.ListTagsForResourceResponse, error) {
	id, err := s.resourcePool(c, cognito.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	_, p, err := s.loadPool(ctx, c, id)
	if err != nil {
		return nil, err
	}
	tags := p.UserPoolTags
	if tags == nil {
		tags = map[string]string{}
	}
	return &idp.ListTagsForResourceResponse{Tags: tags}, nil
}
