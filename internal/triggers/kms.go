package triggers

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/encsdk"
)

// This file encrypts the codes a custom sender function (CustomEmailSender,
// CustomSMSSender) receives, as Cognito encrypts them: one AWS Encryption
// SDK message (internal/encsdk) under a data key that AWS KMS generates
// with the pool's KMSKeyID, bound to the encryption context
// {"userpool-id": <pool ID>}, base64-encoded.

// KMSConfig says how to reach AWS KMS. Every member is optional: left
// empty, the AWS SDK's own settings hold (the default credential chain;
// AWS_REGION; AWS_ENDPOINT_URL_KMS or AWS_ENDPOINT_URL for the endpoint).
type KMSConfig struct {
	// Region is KMS's region; empty takes the SDK's, and without one the
	// region of the key's ARN.
	Region string
	// Endpoint overrides KMS's URL (LocalStack, local-kms).
	Endpoint string
	// Credentials, when not nil, replace the default credential chain.
	Credentials aws.CredentialsProvider
}

// KMS generates data keys through the AWS KMS API. It leaves retries to
// the SDK's standard retryer.
type KMS struct {
	client   *kms.Client
	regional bool
}

// NewKMS returns a KMS client for cfg. It reads the SDK's configuration
// files but calls nothing.
func NewKMS(ctx context.Context, cfg KMSConfig) (*KMS, error) {
	ac, err := loadAWSConfig(ctx, cfg.Region, cfg.Credentials)
	if err != nil {
		return nil, err
	}
	regional := ac.Region != ""
	if !regional {
		ac.Region = "us-east-1"
	}
	client := kms.NewFromConfig(ac, func(o *kms.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	return &KMS{client: client, regional: regional}, nil
}

// keyGenerator is one key's DataKeyGenerator.
type keyGenerator struct {
	k     *KMS
	keyID string
}

// GenerateDataKey asks KMS for a 256-bit data key under the key, bound to
// the encryption context. The encrypted key's provider is "aws-kms" and
// its information the key ARN KMS answers with, which is what a KMS
// keyring looks for when it decrypts.
func (g keyGenerator) GenerateDataKey(ctx context.Context, ec map[string]string, size int) (encsdk.DataKey, error) {
	out, err := g.k.client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId: aws.String(g.keyID), NumberOfBytes: aws.Int32(int32(size)), EncryptionContext: ec,
	}, func(o *kms.Options) {
		// Without a configured region, the key ARN's region is KMS's.
		if r := arnRegion(g.keyID); !g.k.regional && r != "" {
			o.Region = r
		}
	})
	if err != nil {
		return encsdk.DataKey{}, err
	}
	return encsdk.DataKey{
		Plaintext: out.Plaintext,
		Encrypted: encsdk.EncryptedDataKey{ProviderID: "aws-kms", ProviderInfo: []byte(aws.ToString(out.KeyId)), Ciphertext: out.CiphertextBlob},
	}, nil
}

// arnRegion is the region of an ARN, "" when keyID is not one.
func arnRegion(keyID string) string {
	// arn:partition:service:region:account:resource
	p := strings.SplitN(keyID, ":", 6)
	if len(p) == 6 && p[0] == "arn" {
		return p[3]
	}
	return ""
}

// EncryptionContextPoolID is the key of the encryption context Cognito binds
// a custom sender's code to: the pool's ID is its value. A function can
// check it to refuse a code encrypted for another pool.
const EncryptionContextPoolID = "userpool-id"

// EncryptCode returns code as a custom sender function of trigger
// (CustomEmailSender or CustomSMSSender) of pool poolID receives it: an
// AWS Encryption SDK message under a data key of the KMS key keyID, with
// the encryption context {"userpool-id": poolID}, in base64. A KMS that
// cannot be reached or refuses (a disabled or missing key, no permission)
// is UnexpectedLambdaException, "<trigger> invocation failed due to error
// <KMS's error code>.", as a function that cannot be invoked is; nothing is
// invoked then.
func (iv *Invoker) EncryptCode(ctx context.Context, trigger, keyID, poolID, code string) (string, error) {
	if iv.kms == nil {
		return "", cognito.UnexpectedLambdaException(fmt.Sprintf("%s invocation failed due to error %s.", trigger, "KMSNotConfigured")).
			WithCause(errors.New("no KMS client configured"))
	}
	msg, err := encsdk.Encrypt(ctx, keyGenerator{k: iv.kms, keyID: keyID}, map[string]string{EncryptionContextPoolID: poolID}, []byte(code))
	if err != nil {
		reason := "KMSInternalException"
		var api smithy.APIError
		if errors.As(err, &api) {
			reason = api.ErrorCode()
		}
		iv.log.WarnContext(ctx, "custom sender code not encrypted", "trigger", trigger, "kms_key", keyID, "err", err)
		return "", cognito.UnexpectedLambdaException(fmt.Sprintf("%s invocation failed due to error %s.", trigger, reason)).WithCause(err)
	}
	return base64.StdEncoding.EncodeToString(msg), nil
}
