package messaging

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// SESSender delivers email through the Amazon SES v2 SendEmail API, as
// Cognito does for pools whose EmailSendingAccount is DEVELOPER. It is
// safe for concurrent use.
type SESSender struct {
	client  *sesv2.Client
	region  string
	timeout time.Duration
}

var _ Sender = (*SESSender)(nil)

// NewSESSender returns a sender for cfg. Credentials come from
// cfg.Credentials or the AWS SDK's default chain; nothing is called until
// the first Send.
func NewSESSender(cfg SESConfig) (*SESSender, error) {
	awsCfg, err := loadAWSConfig("ses", cfg.Region, cfg.Credentials)
	if err != nil {
		return nil, err
	}
	client := sesv2.NewFromConfig(awsCfg, func(o *sesv2.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	return &SESSender{client: client, region: awsCfg.Region, timeout: timeoutOr(cfg.Timeout)}, nil
}

// utf8 is the charset of every part cognate sends.
var utf8 = aws.String("UTF-8")

// Send delivers m with SendEmail and Simple content. The sender is the
// pool's From, else the address of its SourceArn; SourceArn also goes as
// FromEmailAddressIdentityArn (SES sending authorization), and its region
// is the region called, as Cognito calls SES in the SourceArn's region.
// ReplyToEmailAddress and ConfigurationSet pass through. The body goes as
// Html when the message is HTML (Message.HTML), as Text otherwise.
func (s *SESSender) Send(ctx context.Context, m Message) error {
	if m.Channel != ChannelEmail {
		return fmt.Errorf("ses: cannot send %s messages", m.Channel)
	}
	from := senderAddress(m, "")
	if from == "" {
		return errors.New("ses: the pool names no sender: its EmailConfiguration has neither From nor a SourceArn with an email address")
	}
	content := &sestypes.Content{Data: aws.String(m.Body), Charset: utf8}
	body := &sestypes.Body{Text: content}
	if m.HTML {
		body = &sestypes.Body{Html: content}
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      &sestypes.Destination{ToAddresses: []string{m.To}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(m.Subject), Charset: utf8},
			Body:    body,
		}},
	}
	if m.Email.SourceARN != "" {
		in.FromEmailAddressIdentityArn = aws.String(m.Email.SourceARN)
	}
	if m.Email.ReplyTo != "" {
		in.ReplyToAddresses = []string{m.Email.ReplyTo}
	}
	if m.Email.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(m.Email.ConfigurationSet)
	}
	region := s.region
	if a, ok := parseSESARN(m.Email.SourceARN); ok && a.region != "" {
		region = a.region
	}
	if region == "" {
		return errors.New("ses: no region: configure one, or give the pool a SourceArn")
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if _, err := s.client.SendEmail(ctx, in, func(o *sesv2.Options) { o.Region = region }); err != nil {
		return fmt.Errorf("ses: %w", err)
	}
	return nil
}
