package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/storage"
)

// provisionedLimitsSetting is the store-wide setting that keeps the
// provisioned limits: a JSON object of category name to requests per
// second. A store serves one region, so the setting is the region's, as
// Cognito keeps provisioned limits per account and region.
const provisionedLimitsSetting = "provisioned_limits"

// ProvisionedLimitMultiple is how many times its free (default) rate a
// category may be provisioned to: cognate's stand-in for the account's
// maximum in Service Quotas, beyond which UpdateProvisionedLimit answers
// ServiceQuotaExceededException.
const ProvisionedLimitMultiple = 10

// apiCategory is the only LimitClass of the 2016-04-18 model.
const apiCategory = "API_CATEGORY"

// GetProvisionedLimit answers GetProvisionedLimit: the free rate of the
// category (Cognito's default) and the rate the quota emulation enforces
// for it (see docs/rate-limits.md). It reads the stored provisioned
// limits and hands them to limits, so that a node learns of another
// node's UpdateProvisionedLimit when asked.
func (s *Service) GetProvisionedLimit(ctx context.Context, limits *ratelimit.Limiter, in *idp.GetProvisionedLimitRequest) (*idp.GetProvisionedLimitResponse, error) {
	cat, err := limitCategory(in.LimitDefinition)
	if err != nil {
		return nil, err
	}
	stored, err := s.LoadProvisionedLimits(ctx, limits)
	if err != nil {
		return nil, err
	}
	return &idp.GetProvisionedLimitResponse{Limit: limitOf(cat, stored, limits)}, nil
}

// UpdateProvisionedLimit answers UpdateProvisionedLimit: it stores the
// requested rate of the category and makes limits enforce it. The value
// must lie between the category's free rate and ProvisionedLimitMultiple
// times it, as Cognito requires it between the default and the account's
// maximum in Service Quotas.
func (s *Service) UpdateProvisionedLimit(ctx context.Context, limits *ratelimit.Limiter, in *idp.UpdateProvisionedLimitRequest) (*idp.UpdateProvisionedLimitResponse, error) {
	cat, err := limitCategory(in.LimitDefinition)
	if err != nil {
		return nil, err
	}
	want := int64(cognito.Deref(in.RequestedLimitValue))
	free := int64(math.Ceil(ratelimit.DefaultRate(cat)))
	switch {
	case want < free:
		return nil, cognito.InvalidParameterException(fmt.Sprintf(
			"RequestedLimitValue %d is below the default limit of %d for category %s.", want, free, cat))
	case want > free*ProvisionedLimitMultiple:
		return nil, cognito.ServiceQuotaExceededException(fmt.Sprintf(
			"RequestedLimitValue %d exceeds the maximum limit of %d for category %s.", want, free*ProvisionedLimitMultiple, cat))
	}
	// Two updates that race: the loser reads the winner's write and
	// tries again.
	var stored map[ratelimit.Category]float64
	for range 5 {
		stored, err = s.writeProvisionedLimit(ctx, cat, float64(want))
		if !errors.Is(err, storage.ErrConflict) && !errors.Is(err, storage.ErrAlreadyExists) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if err := limits.Provision(stored); err != nil {
		return nil, err
	}
	return &idp.UpdateProvisionedLimitResponse{Limit: limitOf(cat, stored, limits)}, nil
}

// writeProvisionedLimit stores rate as the provisioned rate of cat and
// returns every stored rate. A lost race is ErrConflict or
// ErrAlreadyExists, for the caller to retry.
func (s *Service) writeProvisionedLimit(ctx context.Context, cat ratelimit.Category, rate float64) (map[ratelimit.Category]float64, error) {
	set, err := s.store.GetSetting(ctx, provisionedLimitsSetting)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		set = nil
	case err != nil:
		return nil, fmt.Errorf("read provisioned limits: %w", err)
	}
	rates := map[ratelimit.Category]float64{}
	if set != nil {
		if err := json.Unmarshal(set.Value, &rates); err != nil {
			return nil, fmt.Errorf("decode provisioned limits: %w", err)
		}
	}
	rates[cat] = rate
	value, err := json.Marshal(rates)
	if err != nil {
		return nil, err
	}
	if set == nil {
		err = s.store.CreateSetting(ctx, &storage.Setting{Name: provisionedLimitsSetting, Value: value, UpdatedAt: s.now()})
	} else {
		set.Value, set.UpdatedAt = value, s.now()
		err = s.store.UpdateSetting(ctx, set)
	}
	if err != nil {
		return nil, fmt.Errorf("write provisioned limits: %w", err)
	}
	return rates, nil
}

// LoadProvisionedLimits reads the stored provisioned limits, makes limits
// enforce them, and returns them. cmd/cognate calls it at start and now
// and then, so that every node of a cluster enforces what
// UpdateProvisionedLimit set on any of them.
func (s *Service) LoadProvisionedLimits(ctx context.Context, limits *ratelimit.Limiter) (map[ratelimit.Category]float64, error) {
	set, err := s.store.GetSetting(ctx, provisionedLimitsSetting)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read provisioned limits: %w", err)
	}
	rates := map[ratelimit.Category]float64{}
	if err := json.Unmarshal(set.Value, &rates); err != nil {
		return nil, fmt.Errorf("decode provisioned limits: %w", err)
	}
	// A category a later version renamed is dropped, not fatal.
	for c := range rates {
		if !ratelimit.Known(c) {
			delete(rates, c)
		}
	}
	if err := limits.Provision(rates); err != nil {
		return nil, err
	}
	return rates, nil
}

// limitCategory checks a LimitDefinition: the class API_CATEGORY and a
// Category attribute naming one of the quota categories.
func limitCategory(def *idp.LimitDefinitionType) (ratelimit.Category, error) {
	if def == nil || def.LimitClass == nil || string(*def.LimitClass) != apiCategory {
		return "", cognito.InvalidParameterException("LimitClass must be API_CATEGORY.")
	}
	name, ok := def.Attributes["Category"]
	if !ok || len(def.Attributes) != 1 {
		return "", cognito.InvalidParameterException("Attributes must hold exactly the key Category.")
	}
	cat := ratelimit.Category(name)
	if !ratelimit.Known(cat) {
		return "", cognito.InvalidParameterException(fmt.Sprintf("Category %q is not an API category.", name))
	}
	return cat, nil
}

// limitOf is the LimitType of cat: its free rate, and the provisioned one,
// which is the rate limits enforces when the quotas are on, or else the
// stored provisioned rate, or else the free rate.
func limitOf(cat ratelimit.Category, stored map[ratelimit.Category]float64, limits *ratelimit.Limiter) *idp.LimitType {
	free := ratelimit.DefaultRate(cat)
	provisioned := free
	if r, ok := stored[cat]; ok {
		provisioned = r
	}
	if limits.Enabled() {
		provisioned = limits.Rate(cat)
	}
	class := idp.LimitClass(apiCategory)
	return &idp.LimitType{
		LimitDefinition:       &idp.LimitDefinitionType{LimitClass: &class, Attributes: map[string]string{"Category": string(cat)}},
		ProvisionedLimitValue: cognito.Ptr(int32(math.Round(provisioned))),
		FreeLimitValue:        cognito.Ptr(int32(math.Round(free))),
	}
}
