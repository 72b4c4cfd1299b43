package delegate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/internal/sts"
)

// Options configures the client.
type Options struct {
	// Endpoint is the STS-compatible URL; empty means AWS STS of Region.
	Endpoint string
	// Region is the region the STS is in (AWS STS's regional endpoint).
	Region string
	// HTTPClient makes the calls; nil means the SDK's default.
	HTTPClient *http.Client
}

// Issuer asks a real STS for credentials. It implements sts.Issuer.
type Issuer struct {
	client *awssts.Client
}

var _ sts.Issuer = (*Issuer)(nil)

// New returns an Issuer.
func New(opts Options) (*Issuer, error) {
	if opts.Region == "" {
		return nil, errors.New("sts delegate: a region is required")
	}
	o := awssts.Options{Region: opts.Region, Credentials: aws.AnonymousCredentials{}}
	if opts.Endpoint != "" {
		o.BaseEndpoint = aws.String(opts.Endpoint)
	}
	if opts.HTTPClient != nil {
		o.HTTPClient = opts.HTTPClient
	}
	return &Issuer{client: awssts.New(o)}, nil
}

// AssumeRoleWithWebIdentity calls the STS's AssumeRoleWithWebIdentity.
func (i *Issuer) AssumeRoleWithWebIdentity(ctx context.Context, r sts.WebIdentityRequest) (sts.Credentials, error) {
	in := &awssts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(r.RoleARN),
		RoleSessionName:  aws.String(r.RoleSessionName),
		WebIdentityToken: aws.String(r.WebIdentityToken),
	}
	if r.Duration > 0 {
		in.DurationSeconds = aws.Int32(int32(r.Duration / time.Second))
	}
	out, err := i.client.AssumeRoleWithWebIdentity(ctx, in)
	if err != nil {
		return sts.Credentials{}, stsError(err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil || c.Expiration == nil {
		return sts.Credentials{}, sts.NewError(sts.CodeServiceUnavailable, "The security token service answered without credentials.")
	}
	return sts.Credentials{
		AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken, Expiration: *c.Expiration,
	}, nil
}

// stsError turns the SDK's error into an *sts.Error: the service's code
// and message, or ServiceUnavailable when the service did not answer.
func stsError(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e := sts.NewError(ae.ErrorCode(), ae.ErrorMessage())
		if ae.ErrorFault() == smithy.FaultServer {
			e.Status = http.StatusServiceUnavailable
		}
		return e.WithCause(err)
	}
	return sts.NewError(sts.CodeServiceUnavailable, "The security token service could not be reached.").WithCause(fmt.Errorf("assume role with web identity: %w", err))
}
