package directory

import (
	"context"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/triggers"
)

// This file hands messages to a pool's custom sender functions
// (CustomEmailSender, CustomSMSSender; docs/triggers.md): a pool that
// names one for a channel sends nothing itself on that channel. The
// function receives the message's code (or temporary password) encrypted
// under the pool's KMSKeyID, with the trigger source that says why, and
// is invoked, as a CustomMessage function is, before the operation
// writes: a KMS that refuses, or a function that fails, leaves nothing
// written.

// customSenders returns the ARNs of the pool's custom sender functions for
// email and SMS, "" for none (and for both when the server invokes no
// functions).
func (s *Service) customSenders(p *idp.UserPoolType) (email, sms string) {
	if s.triggers == nil || p.LambdaConfig == nil {
		return "", ""
	}
	lc := p.LambdaConfig
	if lc.CustomEmailSender != nil {
		email = cognito.Deref(lc.CustomEmailSender.LambdaArn)
	}
	if lc.CustomSMSSender != nil {
		sms = cognito.Deref(lc.CustomSMSSender.LambdaArn)
	}
	return email, sms
}

// sender is the custom sender function of channel, "" for none.
func (o *outgoing) sender(channel string) string {
	if channel == messaging.ChannelSMS {
		return o.smsSender
	}
	return o.emailSender
}

// send hands m to the custom sender function arn: its code encrypted under
// the pool's KMS key and the event Cognito sends, whose trigger source
// names the same cause as CustomMessage's (CustomMessage_SignUp becomes
// CustomEmailSender_SignUp or CustomSMSSender_SignUp). The function's
// answer is ignored, as Cognito ignores it.
func (o *outgoing) send(ctx context.Context, arn string, m pendingMessage) error {
	trigger, requestType := triggers.CustomEmailSender, triggers.CustomEmailSenderRequestV1
	if m.draft.Base.Channel == messaging.ChannelSMS {
		trigger, requestType = triggers.CustomSMSSender, triggers.CustomSMSSenderRequestV1
	}
	poolID := cognito.Deref(o.p.Id)
	ev := triggers.CustomSenderEvent{
		CognitoEventUserPoolsHeader: triggers.Header("1", trigger+"_"+strings.TrimPrefix(m.source, "CustomMessage_"),
			cognito.RegionOfPoolID(poolID), poolID, o.clientID, m.user),
		Request: triggers.CustomSenderRequest{
			Type: requestType, ClientMetadata: orEmpty(o.metadata), UserAttributes: m.attrs,
		},
	}
	if m.draft.Code != "" {
		code, err := o.s.triggers.EncryptCode(ctx, trigger, cognito.Deref(o.p.LambdaConfig.KMSKeyID), poolID, m.draft.Code)
		if err != nil {
			return err
		}
		ev.Request.Code = &code
	}
	return o.s.triggers.Notify(ctx, trigger, arn, &ev)
}
