package messaging

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// loadAWSConfig returns the AWS SDK's configuration from its default chain
// (environment, shared config and credentials files, container and
// instance roles), with the region and credentials given here taking
// precedence when they are set. It reads files but calls nothing: the
// credentials are fetched on the first request.
func loadAWSConfig(service, region string, creds aws.CredentialsProvider) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	if creds != nil {
		opts = append(opts, awsconfig.WithCredentialsProvider(creds))
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("%s: load AWS configuration: %w", service, err)
	}
	return cfg, nil
}
