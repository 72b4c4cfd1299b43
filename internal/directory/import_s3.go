package directory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ImportObjects is where import jobs' CSV files are uploaded when the
// server is configured with an S3-compatible bucket (user_import.s3): the
// job's PreSignedUrl is then a pre-signed S3 PUT of the job's object, and
// the run reads the file from there.
type ImportObjects interface {
	// Key is the object key of job in pool.
	Key(pool, job string) string
	// PresignPut returns a URL that PUTs key until expires.
	PresignPut(ctx context.Context, key string, expires time.Time) (string, error)
	// Stat returns the size and entity tag of key, or ok false when there
	// is no such object.
	Stat(ctx context.Context, key string) (size int64, etag string, ok bool, err error)
	// Open streams key; it fails with ErrImportObjectChanged when the
	// object is gone or its entity tag is no longer etag (the file was
	// replaced after the job started).
	Open(ctx context.Context, key, etag string) (io.ReadCloser, error)
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// ErrImportObjectChanged is ImportObjects.Open's error for an object that
// is gone or was replaced.
var ErrImportObjectChanged = errors.New("import object gone or replaced")

// S3ImportObjects is ImportObjects on an S3 bucket through the AWS SDK for
// Go v2; any S3-compatible server that takes SigV4 (query-string
// pre-signed PUTs included) does.
type S3ImportObjects struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
	prefix  string
}

var _ ImportObjects = (*S3ImportObjects)(nil)

// S3ImportConfig says where the bucket is.
type S3ImportConfig struct {
	Bucket string
	// KeyPrefix starts each job's object key: <prefix><pool>/<job>.csv.
	KeyPrefix string
	// Region, Endpoint and UsePathStyle as for any S3 client; credentials
	// from Credentials or the SDK's default chain.
	Region       string
	Endpoint     string
	UsePathStyle bool
	Credentials  aws.CredentialsProvider
}

// NewS3ImportObjects returns the store of cfg. It reads the SDK's
// configuration files but calls nothing.
func NewS3ImportObjects(cfg S3ImportConfig) (*S3ImportObjects, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	if cfg.Credentials != nil {
		opts = append(opts, awsconfig.WithCredentialsProvider(cfg.Credentials))
	}
	ac, err := awsconfig.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("user import s3: load AWS configuration: %w", err)
	}
	c := s3.NewFromConfig(ac, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.UsePathStyle
		// Compatible servers often send no checksum: not worth a log line
		// per read.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	return &S3ImportObjects{client: c, presign: s3.NewPresignClient(c), bucket: cfg.Bucket, prefix: cfg.KeyPrefix}, nil
}

// Key is the object key of job in pool.
func (o *S3ImportObjects) Key(pool, job string) string { return o.prefix + pool + "/" + job + ".csv" }

// PresignPut implements ImportObjects.
func (o *S3ImportObjects) PresignPut(ctx context.Context, key string, expires time.Time) (string, error) {
	ttl := time.Until(expires)
	if ttl < time.Second {
		ttl = time.Second
	}
	req, err := o.presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(key)},
		s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign put %s: %w", key, err)
	}
	return req.URL, nil
}

// Stat implements ImportObjects.
func (o *S3ImportObjects) Stat(ctx context.Context, key string) (int64, string, bool, error) {
	out, err := o.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(key)})
	if err != nil {
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
			return 0, "", false, nil
		}
		return 0, "", false, fmt.Errorf("head %s: %w", key, err)
	}
	return aws.ToInt64(out.ContentLength), aws.ToString(out.ETag), true, nil
}

// Open implements ImportObjects.
func (o *S3ImportObjects) Open(ctx context.Context, key, etag string) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(key)}
	if etag != "" {
		in.IfMatch = aws.String(etag)
	}
	out, err := o.client.GetObject(ctx, in)
	if err != nil {
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && (re.HTTPStatusCode() == http.StatusPreconditionFailed || re.HTTPStatusCode() == http.StatusNotFound) {
			return nil, fmt.Errorf("get %s: %w", key, ErrImportObjectChanged)
		}
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	// Checked here too: not every S3-compatible server honours If-Match.
	if etag != "" && aws.ToString(out.ETag) != etag {
		out.Body.Close()
		return nil, fmt.Errorf("get %s: %w", key, ErrImportObjectChanged)
	}
	return out.Body, nil
}

// Delete implements ImportObjects.
func (o *S3ImportObjects) Delete(ctx context.Context, key string) error {
	_, err := o.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}
