// Package messaging is the port through which cognate's messages leave:
// invitations, verification codes, password-reset codes and every later
// email or SMS. The engine builds a Message and hands it to a Sender; it
// never knows how the message travels.
//
// The development default is the Outbox: it writes each message to the log
// and keeps the latest ones in memory, readable as JSON on a local endpoint
// (see Outbox.Handler), so a newcomer needs no mail server or SMS account.
// SMTP, Amazon SES and Amazon SNS senders come with the sign-in issue.
//
// It may import only internal/cognito and the standard library: it is a leaf
// that the engines (userpool, authflow) import, never the reverse.
package messaging
