// Package messaging is the port through which cognate's messages leave:
// invitations, verification codes, password-reset codes and every later
// email or SMS. The engine builds a Message and hands it to a Sender; it
// never knows how the message travels.
//
// It also owns the message texts (template.go): a pool's templates or
// Cognito's defaults, with the {username}, {####} and {##text##}
// placeholders filled, and every value escaped when the email template is
// HTML. Invitation, CodeMessage and LinkMessage build the messages the
// engines send, so the texts have one home where the CustomMessage trigger
// will hook.
//
// The development default is the Outbox: it writes each message to the log
// and keeps the latest ones in memory, readable as JSON on a local endpoint
// (see Outbox.Handler), so a newcomer needs no mail server or SMS account.
// Those messages take over accounts, so Handler serves them only to the
// requests an OutboxAccess allows: from this machine, not relayed by a
// proxy, to a loopback listener; or with the operator's credentials.
//
// The real senders are SMTPSender (any SMTP relay, through
// github.com/wneessen/go-mail), SESSender (Amazon SES v2 SendEmail),
// SNSSender (Amazon SNS Publish to a phone number) and WebhookSender (a
// signed HTTPS POST, for SMS gateways). Router is the Sender cmd/cognate
// gives the engine: it picks one of them per message from the pool's
// EmailConfiguration and SmsConfiguration, which the engine copies into
// Message.Email and Message.SMS, and falls back to the Outbox for what no
// configured sender carries:
//
//	channel  pool setting                          configured   sender
//	EMAIL    EmailSendingAccount DEVELOPER          SES          SESSender
//	EMAIL    any                                    SMTP         SMTPSender
//	SMS      SmsConfiguration (SnsCallerArn)        SNS          SNSSender
//	SMS      any                                    SMS webhook  WebhookSender
//	either   -                                      none of it   Outbox
//
// LogExporter carries the pools' exported logs (SetLogDeliveryConfiguration)
// and import jobs' results: to a file, the standard output or a signed
// webhook for the ARNs the configuration lists, else, for a service turned
// on in AWSLogDelivery, through the AWS SDK to CloudWatch Logs
// (PutLogEvents), S3 (PutObject of JSON lines) or Firehose
// (PutRecordBatch), in batches from a goroutine per ARN, retried with the
// SDK's backoff, failures logged and counted by a LogObserver, never
// returned. Package awslogtest stands in for CloudWatch Logs and Firehose
// in tests.
//
// Logging: a failed delivery is logged at warn with the recipient, purpose
// and error, never the body, since outside the Outbox the codes and
// temporary passwords it carries are secrets. Counting deliveries is left
// to an Observer that cmd/cognate supplies, so that this package knows
// nothing of metrics libraries.
//
// Imports: internal/cognito and its generated wire types (the pool's
// templates and sending settings are idp shapes) at most, plus the
// delivery clients (go-mail and the AWS SDK for Go v2); it is a leaf that
// the engines (userpool, authflow) import, never the reverse. deps_test.go
// enforces this.
package messaging
