package messaging

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// SNSSender delivers SMS through the Amazon SNS Publish API, addressed to
// a phone number, as Cognito does for pools with an SmsConfiguration. It
// is safe for concurrent use.
type SNSSender struct {
	client  *sns.Client
	region  string
	timeout time.Duration
}

var _ Sender = (*SNSSender)(nil)

// SMSTypeAttribute is the message attribute that makes SNS treat an SMS
// as transactional (delivered with priority, as codes need) rather than
// promotional.
const SMSTypeAttribute = "AWS.SNS.SMS.SMSType"

// NewSNSSender returns a sender for cfg. Credentials come from
// cfg.Credentials or the AWS SDK's default chain; nothing is called until
// the first Send.
func NewSNSSender(cfg SNSConfig) (*SNSSender, error) {
	awsCfg, err := loadAWSConfig("sns", cfg.Region, cfg.Credentials)
	if err != nil {
		return nil, err
	}
	client := sns.NewFromConfig(awsCfg, func(o *sns.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	return &SNSSender{client: client, region: awsCfg.Region, timeout: timeoutOr(cfg.Timeout)}, nil
}

// Send publishes m.Body to the phone number m.To as a Transactional SMS,
// in the pool's SnsRegion when it sets one. cognate publishes with its own
// credentials; it does not assume the pool's SnsCallerArn.
func (s *SNSSender) Send(ctx context.Context, m Message) error {
	if m.Channel != ChannelSMS {
		return fmt.Errorf("sns: cannot send %s messages", m.Channel)
	}
	region := s.region
	if m.SMS.SNSRegion != "" {
		region = m.SMS.SNSRegion
	}
	if region == "" {
		return errors.New("sns: no region: configure one, or set the pool's SnsRegion")
	}
	in := &sns.PublishInput{
		PhoneNumber: aws.String(m.To),
		Message:     aws.String(m.Body),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			SMSTypeAttribute: {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
		},
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if _, err := s.client.Publish(ctx, in, func(o *sns.Options) { o.Region = region }); err != nil {
		return fmt.Errorf("sns: %w", err)
	}
	return nil
}
