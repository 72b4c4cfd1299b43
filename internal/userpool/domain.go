package userpool

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// domainRecord is a stored user-pool domain (item kind "domain", ID = the
// domain name, Pool = the pool ID). A prefix domain holds the unique key
// "<pool>/prefix" and a custom domain "<pool>/custom", so a pool has at
// most one of each. Domain names are unique across the store, so one
// prefix also names one pool when the hosted UI finds a pool by a path
// that carries no region (see docs/domains.md). JSON names are part of the
// stored format.
type domainRecord struct {
	Domain string `json:"domain"`
	// CustomDomainConfig is set for a custom domain and nil for a prefix
	// domain.
	CustomDomainConfig  *idp.CustomDomainConfigType `json:"custom_domain_config,omitempty"`
	ManagedLoginVersion int32                       `json:"managed_login_version"`
	Routing             *idp.RoutingType            `json:"routing,omitempty"`
	// CloudFrontDomain is the distribution a custom domain's DNS would
	// point at; cognate only records it.
	CloudFrontDomain string    `json:"cloudfront_domain,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

func (d *domainRecord) custom() bool { return d.CustomDomainConfig != nil }

// domainKey is the unique key that limits a pool to one domain of a kind.
func domainKey(pool string, custom bool) string {
	if custom {
		return pool + "/custom"
	}
	return pool + "/prefix"
}

// prefixPattern is the form of a domain prefix.
var prefixPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// dnsLabel is one label of a custom domain name.
var dnsLabel = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// reservedDomainWords cannot be a hyphen-separated part of a prefix
// ("my-aws-app" is refused, "awsome" is not).
var reservedDomainWords = []string{"aws", "amazon", "cognito"}

// Managed login versions: 1 is the classic hosted UI, 2 managed login.
const (
	managedLoginClassic = 1
	managedLoginV2      = 2
)

// checkPrefix checks a prefix domain.
func checkPrefix(d string) error {
	if !prefixPattern.MatchString(d) {
		return cognito.InvalidParameterException("The domain name contains an invalid character. Domain names can only contain lower-case letters, numbers, and hyphens.")
	}
	for _, part := range strings.Split(d, "-") {
		if slices.Contains(reservedDomainWords, part) {
			return cognito.InvalidParameterException("Domain cannot contain reserved word: " + part)
		}
	}
	return nil
}

// checkCustomDomain checks a custom domain and its certificate, which must
// be an ACM certificate in us-east-1 because CloudFront serves the domain.
// cognate records the certificate and never fetches it.
func checkCustomDomain(d string, cfg *idp.CustomDomainConfigType) error {
	labels := strings.Split(d, ".")
	valid := len(labels) >= 2 && len(d) <= 253
	for _, l := range labels {
		valid = valid && dnsLabel.MatchString(l)
	}
	if !valid {
		return cognito.InvalidParameterException("Custom domain is not a valid subdomain")
	}
	arn, ok := cognito.ParseARN(cognito.Deref(cfg.CertificateArn))
	if !ok || arn.Service != "acm" || arn.Region != "us-east-1" || !strings.HasPrefix(arn.Resource, "certificate/") {
		return cognito.InvalidParameterException("The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, or doesn't include a valid certificate chain.")
	}
	return nil
}

// managedLoginVersion checks a ManagedLoginVersion: 1 or 2, and 2 needs the
// Essentials tier or higher.
func managedLoginVersion(v int32, p *idp.UserPoolType) error {
	if v != managedLoginClassic && v != managedLoginV2 {
		return cognito.InvalidParameterException(fmt.Sprintf("ManagedLoginVersion %d is not valid; use 1 (hosted UI classic) or 2 (managed login).", v))
	}
	if v == managedLoginV2 && cognito.Deref(p.UserPoolTier) == "LITE" {
		return cognito.FeatureUnavailableInTierException("The following feature is not available for the LITE pricing tier configured: Managed Login Version 2")
	}
	return nil
}

// decodeDomain decodes a domain item.
func decodeDomain(it *storage.Item) (*domainRecord, error) {
	var d domainRecord
	if err := json.Unmarshal(it.Data, &d); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode domain %q: %w", it.ID, err))
	}
	return &d, nil
}

// domainItem returns the storage item of d in pool.
func domainItem(pool string, d *domainRecord, version int64) (*storage.Item, error) {
	if err := CheckText("domain", ruleDomain, d.Domain); err != nil {
		return nil, err
	}
	data, err := json.Marshal(d)
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("encode domain: %w", err))
	}
	return &storage.Item{
		Kind: kindDomain, ID: d.Domain, Pool: pool, Data: data, Keys: []string{domainKey(pool, d.custom())},
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Version: version,
	}, nil
}

// noSuchDomain is the exception for a domain that does not exist or is not
// the pool's.
func noSuchDomain() error {
	return cognito.InvalidParameterException("No such domain or user pool exists.")
}

// poolDomain reads a domain that must belong to pool.
func poolDomain(ctx context.Context, r storage.ItemReader, pool, domain string) (*storage.Item, *domainRecord, error) {
	if err := CheckText("domain", ruleDomain, domain); err != nil {
		return nil, nil, err
	}
	it, err := r.GetItem(ctx, kindDomain, domain)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, noSuchDomain()
	}
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("get domain %q: %w", domain, err))
	}
	if it.Pool != pool {
		return nil, nil, noSuchDomain()
	}
	d, err := decodeDomain(it)
	return it, d, err
}

// poolDomains returns the prefix domain and the custom domain of a pool
// ("" for none), for DescribeUserPool's Domain and CustomDomain.
func (s *Service) poolDomains(ctx context.Context, poolID string) (prefix, custom string, err error) {
	return poolDomainsFrom(ctx, s.store, poolID)
}

// poolDomainsFrom is poolDomains reading through r.
func poolDomainsFrom(ctx context.Context, r storage.ItemReader, poolID string) (prefix, custom string, err error) {
	names := [2]string{}
	for i, isCustom := range []bool{false, true} {
		it, err := r.GetItemByKey(ctx, kindDomain, domainKey(poolID, isCustom))
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", "", cognito.Internal(fmt.Errorf("get domains of pool %q: %w", poolID, err))
		}
		names[i] = it.ID
	}
	return names[0], names[1], nil
}

// newCloudFrontDomain returns a made-up CloudFront distribution name for a
// custom domain, in CloudFront's form.
func newCloudFrontDomain() string {
	return "d" + cognito.RandomString(13, lowerAlnum) + ".cloudfront.net"
}

// prefixCloudFrontDomain is the distribution DescribeUserPoolDomain reports
// for prefix domains: one per region, as on Cognito.
func prefixCloudFrontDomain(region string) string {
	sum := sha256.Sum256([]byte("cognate/" + region))
	return "d" + hex.EncodeToString(sum[:])[:13] + ".cloudfront.net"
}

// regionAirports are the airport codes Cognito names its asset buckets by.
var regionAirports = map[string]string{
	"us-east-1": "iad", "us-east-2": "cmh", "us-west-1": "sfo", "us-west-2": "pdx",
	"ca-central-1": "yul", "sa-east-1": "gru", "eu-west-1": "dub", "eu-west-2": "lhr",
	"eu-west-3": "cdg", "eu-central-1": "fra", "eu-north-1": "arn", "eu-south-1": "mxp",
	"ap-northeast-1": "nrt", "ap-northeast-2": "icn", "ap-northeast-3": "kix",
	"ap-southeast-1": "sin", "ap-southeast-2": "syd", "ap-south-1": "bom",
	"me-south-1": "bah", "af-south-1": "cpt", "ap-east-1": "hkg", "il-central-1": "tlv",
}

// assetBucket is the S3Bucket DescribeUserPoolDomain reports.
func assetBucket(region string) string {
	code, ok := regionAirports[region]
	if !ok {
		code = region
	}
	return "aws-cognito-prod-" + code + "-assets"
}

// CreateUserPoolDomain gives a pool a prefix domain, or a custom domain when
// CustomDomainConfig is given. cognate records a custom domain and its
// certificate; serving it needs DNS and TLS set up outside cognate.
func (s *Service) CreateUserPoolDomain(ctx context.Context, c cognito.Caller, in *idp.CreateUserPoolDomainRequest) (*idp.CreateUserPoolDomainResponse, error) {
	poolID, name := cognito.Deref(in.UserPoolId), cognito.Deref(in.Domain)
	isCustom := in.CustomDomainConfig != nil
	var d *domainRecord
	err := s.runTx(ctx, func(tx storage.Tx) error {
		_, p, err := loadPoolFrom(ctx, tx, c, poolID)
		if err != nil {
			return err
		}
		if isCustom {
			err = checkCustomDomain(name, in.CustomDomainConfig)
		} else {
			err = checkPrefix(name)
		}
		if err != nil {
			return err
		}
		version := int32(managedLoginClassic)
		if in.ManagedLoginVersion != nil {
			version = *in.ManagedLoginVersion
		}
		if err := managedLoginVersion(version, p); err != nil {
			return err
		}
		if _, err := tx.GetItemByKey(ctx, kindDomain, domainKey(poolID, isCustom)); err == nil {
			return cognito.InvalidParameterException("User pool already has a domain configured.")
		} else if !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("get pool domain: %w", err)
		}
		now := s.now()
		d = &domainRecord{Domain: name, ManagedLoginVersion: version, Routing: in.Routing, CreatedAt: now, UpdatedAt: now}
		if isCustom {
			cfg := *in.CustomDomainConfig
			d.CustomDomainConfig = &cfg
			d.CloudFrontDomain = newCloudFrontDomain()
		}
		it, err := domainItem(poolID, d, 0)
		if err != nil {
			return err
		}
		if err := tx.CreateItem(ctx, it); err != nil {
			if errors.Is(err, storage.ErrAlreadyExists) {
				return cognito.InvalidParameterException("Domain already associated with another user pool.")
			}
			return fmt.Errorf("create domain: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &idp.CreateUserPoolDomainResponse{ManagedLoginVersion: cognito.Ptr(d.ManagedLoginVersion), Routing: d.Routing}
	if d.custom() {
		out.CloudFrontDomain = cognito.Ptr(d.CloudFrontDomain)
	}
	return out, nil
}

// DescribeUserPoolDomain describes a domain. As on Cognito, a domain that
// does not exist (here or in another region) is not an error: the answer
// is an empty DomainDescription.
func (s *Service) DescribeUserPoolDomain(ctx context.Context, c cognito.Caller, in *idp.DescribeUserPoolDomainRequest) (*idp.DescribeUserPoolDomainResponse, error) {
	empty := &idp.DescribeUserPoolDomainResponse{DomainDescription: &idp.DomainDescriptionType{}}
	if err := CheckText("domain", ruleDomain, cognito.Deref(in.Domain)); err != nil {
		return nil, err
	}
	it, err := s.store.GetItem(ctx, kindDomain, cognito.Deref(in.Domain))
	if errors.Is(err, storage.ErrNotFound) {
		return empty, nil
	}
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("get domain: %w", err))
	}
	if _, _, err := s.loadPool(ctx, c, it.Pool); err != nil {
		var ce *cognito.Error
		if errors.As(err, &ce) && ce.Code == cognito.CodeResourceNotFoundException {
			return empty, nil
		}
		return nil, err
	}
	d, err := decodeDomain(it)
	if err != nil {
		return nil, err
	}
	desc := &idp.DomainDescriptionType{
		UserPoolId:             cognito.Ptr(it.Pool),
		AWSAccountId:           cognito.Ptr(s.account),
		Domain:                 cognito.Ptr(d.Domain),
		S3Bucket:               cognito.Ptr(assetBucket(c.Region)),
		CloudFrontDistribution: cognito.Ptr(prefixCloudFrontDomain(c.Region)),
		Version:                cognito.Ptr(d.UpdatedAt.UTC().Format("20060102150405")),
		Status:                 cognito.Ptr(idp.DomainStatusType("ACTIVE")),
		ManagedLoginVersion:    cognito.Ptr(d.ManagedLoginVersion),
		Routing:                d.Routing,
	}
	if d.custom() {
		cfg := *d.CustomDomainConfig
		desc.CustomDomainConfig = &cfg
		desc.CloudFrontDistribution = cognito.Ptr(d.CloudFrontDomain)
	}
	return &idp.DescribeUserPoolDomainResponse{DomainDescription: desc}, nil
}

// UpdateUserPoolDomain changes a domain's managed login version, or a custom
// domain's certificate. Members left out keep their values.
func (s *Service) UpdateUserPoolDomain(ctx context.Context, c cognito.Caller, in *idp.UpdateUserPoolDomainRequest) (*idp.UpdateUserPoolDomainResponse, error) {
	poolID, name := cognito.Deref(in.UserPoolId), cognito.Deref(in.Domain)
	var d *domainRecord
	err := s.runTx(ctx, func(tx storage.Tx) error {
		_, p, err := loadPoolFrom(ctx, tx, c, poolID)
		if err != nil {
			return err
		}
		it, rec, err := poolDomain(ctx, tx, poolID, name)
		if err != nil {
			return err
		}
		if in.CustomDomainConfig != nil {
			if !rec.custom() {
				return cognito.InvalidParameterException("CustomDomainConfig can only be updated for a custom domain.")
			}
			if err := checkCustomDomain(name, in.CustomDomainConfig); err != nil {
				return err
			}
			cfg := *in.CustomDomainConfig
			rec.CustomDomainConfig = &cfg
		}
		if in.ManagedLoginVersion != nil {
			if err := managedLoginVersion(*in.ManagedLoginVersion, p); err != nil {
				return err
			}
			rec.ManagedLoginVersion = *in.ManagedLoginVersion
		}
		if in.Routing != nil {
			rec.Routing = in.Routing
		}
		rec.UpdatedAt = s.now()
		upd, err := domainItem(poolID, rec, it.Version)
		if err != nil {
			return err
		}
		if err := tx.UpdateItem(ctx, upd); err != nil {
			return fmt.Errorf("update domain: %w", err)
		}
		d = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &idp.UpdateUserPoolDomainResponse{ManagedLoginVersion: cognito.Ptr(d.ManagedLoginVersion), Routing: d.Routing}
	if d.custom() {
		out.CloudFrontDomain = cognito.Ptr(d.CloudFrontDomain)
	}
	return out, nil
}

// DeleteUserPoolDomain removes a domain from its pool.
func (s *Service) DeleteUserPoolDomain(ctx context.Context, c cognito.Caller, in *idp.DeleteUserPoolDomainRequest) (*idp.DeleteUserPoolDomainResponse, error) {
	poolID, name := cognito.Deref(in.UserPoolId), cognito.Deref(in.Domain)
	if err := deletePoolItem(ctx, s, c, poolID, name, kindDomain, "domain", poolDomain); err != nil {
		return nil, err
	}
	return &idp.DeleteUserPoolDomainResponse{}, nil
}
