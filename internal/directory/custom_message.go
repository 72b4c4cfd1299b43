package directory

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/triggers"
)

// This file sends an operation's messages through the pool's CustomMessage
// function (docs/triggers.md). A function is never invoked inside a
// transaction, and its refusal must leave nothing written, as Cognito
// leaves nothing: so an operation whose pool has one decides its code
// (or temporary password) and its message on a user read outside a
// transaction, invokes the function, and only then writes, in a
// transaction that fails when the user changed since the read (the whole
// is tried again). An operation whose pool has none writes as it always
// did, in one transaction, and fills the pool's templates after.

// The trigger sources of CustomMessage: what made the message.
const (
	sourceMessageSignUp          = "CustomMessage_SignUp"
	sourceMessageAdminCreateUser = "CustomMessage_AdminCreateUser"
	sourceMessageResendCode      = "CustomMessage_ResendCode"
	sourceMessageForgotPassword  = "CustomMessage_ForgotPassword"
	sourceMessageUpdateAttribute = "CustomMessage_UpdateUserAttribute"
	sourceMessageVerifyAttribute = "CustomMessage_VerifyUserAttribute"
	sourceMessageAuthentication  = "CustomMessage_Authentication"
)

// outgoing is the messages of one operation: drafts the operation adds as
// it decides them, which prepare turns into the messages deliver sends.
type outgoing struct {
	s *Service
	p *idp.UserPoolType
	// arn is the pool's CustomMessage function, "" for none.
	arn string
	// emailSender and smsSender are the pool's custom sender functions,
	// "" for none: they take the messages of their channel
	// (custom_sender.go).
	emailSender, smsSender string
	// clientID is the events' callerContext.clientId; metadata the
	// request's ClientMetadata.
	clientID string
	metadata map[string]string

	pending  []pendingMessage
	ready    []messaging.Message
	prepared bool
}

// pendingMessage is a draft and what the function's event says of it.
type pendingMessage struct {
	source string
	draft  messaging.Draft
	// user is the internal username (the event's userName); attrs the
	// event's userAttributes.
	user  string
	attrs map[string]string
}

// outgoing returns the messages of an operation of pool p, made through
// app client clientID (clientNotApplicable for an administrator's) with
// the request's ClientMetadata.
func (s *Service) outgoing(p *idp.UserPoolType, clientID string, metadata map[string]string) *outgoing {
	o := &outgoing{
		s: s, p: p, arn: s.triggerARN(p, func(lc *idp.LambdaConfigType) *string { return lc.CustomMessage }),
		clientID: clientID, metadata: metadata,
	}
	o.emailSender, o.smsSender = s.customSenders(p)
	return o
}

// customized reports whether the pool has a CustomMessage function or a
// custom sender: then prepare must run before the operation's write
// commits, outside its transaction.
func (o *outgoing) customized() bool { return o.arn != "" || o.emailSender != "" || o.smsSender != "" }

// reset forgets the drafts: a transaction that runs again decides them
// again.
func (o *outgoing) reset() { o.pending, o.ready, o.prepared = nil, nil, false }

// add adds the draft d of source, to user u as it will be written.
func (o *outgoing) add(source string, u *userRecord, d messaging.Draft) {
	o.pending = append(o.pending, pendingMessage{source: source, draft: d, user: u.Username, attrs: eventUserAttributes(u.Attributes, u.Sub, u.Status)})
}

// eventUserAttributes are the userAttributes of an event: every attribute,
// sub and cognito:user_status.
func eventUserAttributes(attrs map[string]string, sub string, status idp.UserStatusType) map[string]string {
	out := maps.Clone(attrs)
	if out == nil {
		out = map[string]string{}
	}
	out["sub"] = sub
	out["cognito:user_status"] = string(status)
	return out
}

// prepare makes the messages: each draft through the pool's CustomMessage
// function when it has one (the drafts of one source and one code, the
// invitation by email and by SMS, are one invocation, whose answer has
// both texts), else from the pool's templates. The function's refusal, or
// an answer Cognito would refuse (messaging.Draft.Customize), is the
// operation's answer.
func (o *outgoing) prepare(ctx context.Context) error {
	o.ready, o.prepared = nil, false
	type key struct{ source, user, code string }
	answers := map[key]events.CognitoEventUserPoolsCustomMessageResponse{}
	for _, m := range o.pending {
		d := m.draft
		if arn := o.sender(d.Base.Channel); arn != "" {
			// The custom sender takes the message: it is handed the code,
			// encrypted, and cognate sends nothing.
			if err := o.send(ctx, arn, m); err != nil {
				return err
			}
			continue
		}
		if o.arn != "" {
			k := key{m.source, m.user, d.Code}
			resp, ok := answers[k]
			if !ok {
				var err error
				if resp, err = o.invoke(ctx, m); err != nil {
					return err
				}
				answers[k] = resp
			}
			var err error
			if d, err = d.Customize(resp.SMSMessage, resp.EmailSubject, resp.EmailMessage); err != nil {
				return err
			}
		}
		o.ready = append(o.ready, d.Message())
	}
	o.prepared = true
	return nil
}

// invoke invokes the CustomMessage function for m: the placeholders as
// Cognito sends them (usernameParameter only in an invitation), and its
// answer's texts.
func (o *outgoing) invoke(ctx context.Context, m pendingMessage) (events.CognitoEventUserPoolsCustomMessageResponse, error) {
	poolID := cognito.Deref(o.p.Id)
	attrs := make(map[string]any, len(m.attrs))
	for k, v := range m.attrs {
		attrs[k] = v
	}
	ev := triggers.CustomMessageEvent{
		CognitoEventUserPoolsHeader: triggers.Header("1", m.source, cognito.RegionOfPoolID(poolID), poolID, o.clientID, m.user),
		Request: triggers.CustomMessageRequest{
			CognitoEventUserPoolsCustomMessageRequest: events.CognitoEventUserPoolsCustomMessageRequest{
				UserAttributes: attrs, CodeParameter: messaging.CodeParameter, ClientMetadata: orEmpty(o.metadata),
			},
			LinkParameter: messaging.LinkParameter,
		},
	}
	if m.source == sourceMessageAdminCreateUser {
		ev.Request.UsernameParameter = cognito.Ptr(messaging.UsernameParameter)
	}
	var out events.CognitoEventUserPoolsCustomMessage
	if err := o.s.triggers.Invoke(ctx, triggers.CustomMessage, o.arn, &ev, &out); err != nil {
		return events.CognitoEventUserPoolsCustomMessageResponse{}, err
	}
	return out.Response, nil
}

// deliver sends the messages once the write that decided them has
// committed. Without a function it fills the templates now; with one,
// prepare ran before the write.
func (o *outgoing) deliver(ctx context.Context) error {
	if !o.prepared {
		if o.customized() && len(o.pending) > 0 {
			return cognito.Internal(errUnprepared)
		}
		if err := o.prepare(ctx); err != nil {
			return err
		}
	}
	return o.s.deliver(ctx, o.ready)
}

// errUnprepared is a program error: the messages of a pool with a
// CustomMessage function must be prepared before the write.
var errUnprepared = errors.New("messages of a CustomMessage pool sent without the function")

// updateUserSending is updateUser for an operation that sends messages
// o holds: mutate adds them (after o.reset()). With a CustomMessage
// function they are prepared before the write (writeUserAfter); without,
// after it. The caller delivers them.
func (s *Service) updateUserSending(ctx context.Context, p *idp.UserPoolType, username string, o *outgoing, mutate func(u *userRecord, now time.Time) error) (*userRecord, error) {
	find := func(r storage.ItemReader) (*storage.Item, *userRecord, error) { return findUser(ctx, r, p, username) }
	return s.mutateUserSending(ctx, p, find, o, mutate)
}

// updateSelfSending is updateSelf for an operation that sends messages,
// as updateUserSending.
func (s *Service) updateSelfSending(ctx context.Context, c cognito.Caller, p *idp.UserPoolType, o *outgoing, mutate func(u *userRecord, now time.Time) error) (*userRecord, error) {
	find := func(r storage.ItemReader) (*storage.Item, *userRecord, error) { return selfUser(ctx, r, c) }
	return s.mutateUserSending(ctx, p, find, o, mutate)
}

func (s *Service) mutateUserSending(ctx context.Context, p *idp.UserPoolType, find func(r storage.ItemReader) (*storage.Item, *userRecord, error), o *outgoing,
	mutate func(u *userRecord, now time.Time) error) (*userRecord, error) {
	if !o.customized() {
		u, err := s.mutateUser(ctx, p, func(tx storage.Tx) (*storage.Item, *userRecord, error) { return find(tx) }, func(u *userRecord, now time.Time) error {
			o.reset()
			return mutate(u, now)
		})
		if err != nil {
			return nil, err
		}
		return u, o.prepare(ctx)
	}
	return s.writeUserAfter(ctx, p, find, func(u *userRecord, now time.Time) (bool, bool, error) {
		o.reset()
		if err := mutate(u, now); err != nil {
			return false, false, err
		}
		return true, true, nil
	}, o.prepare)
}

// writeUserAfter is the read-modify-write of the user find locates for an
// operation whose pool has a CustomMessage function: the user is read
// outside a transaction and changed by mutate (which reports whether to
// write, whether the change moves UserLastModifiedDate, and the answer to
// give, as codeUpdate's), before runs (it invokes the function), and the
// change is written in a transaction that fails with ErrConflict when the
// user changed since the read, which runs the whole again. before's error
// writes nothing.
func (s *Service) writeUserAfter(ctx context.Context, p *idp.UserPoolType, find func(r storage.ItemReader) (*storage.Item, *userRecord, error),
	mutate func(u *userRecord, now time.Time) (write, visible bool, answer error), before func(ctx context.Context) error) (*userRecord, error) {
	var (
		out    *userRecord
		answer error
	)
	err := retry(ctx, func() error {
		out, answer = nil, nil
		return userWriteError(p, attrUpdate, func() error {
			it, u, err := find(s.store)
			if err != nil {
				return err
			}
			now := s.now()
			write, visible, ans := mutate(u, now)
			if !write {
				out = u
				return ans
			}
			if visible {
				u.UpdatedAt = now
			}
			ni, err := userItem(p, u, it.Version)
			if err != nil {
				return err
			}
			if err := before(ctx); err != nil {
				return err
			}
			if err := s.store.Tx(ctx, func(tx storage.Tx) error { return tx.UpdateItem(ctx, ni) }); err != nil {
				return err
			}
			out, answer = u, ans
			return nil
		}())
	})
	if err != nil {
		return nil, err
	}
	return out, answer
}

// MFACodeMessage returns the message that carries the code of a sign-in's
// second factor, d, to user u signing in through app client clientID of
// pool p: through the pool's CustomMessage function
// (CustomMessage_Authentication, with the sign-in's ClientMetadata) when
// it has one, whose refusal is the sign-in's answer, else from the pool's
// template. The sign-in calls it before the write that opens the
// challenge, and sends the message (SendMFACode) after.
func (s *Service) MFACodeMessage(ctx context.Context, p *idp.UserPoolType, clientID string, u *SignInUser, d messaging.Draft, metadata map[string]string) (messaging.Message, error) {
	o := s.outgoing(p, clientID, metadata)
	o.pending = []pendingMessage{{source: sourceMessageAuthentication, draft: d, user: u.Username, attrs: eventUserAttributes(u.Attributes, u.Sub, u.Status)}}
	if err := o.prepare(ctx); err != nil {
		return messaging.Message{}, err
	}
	if len(o.ready) == 0 {
		// The pool's custom sender has it: SendMFACode sends nothing.
		m := d.Base
		m.HandedOff = true
		return m, nil
	}
	return o.ready[0], nil
}
