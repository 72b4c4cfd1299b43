package directory

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
)

// codeMessageFunc makes the draft of the message that carries a code to
// the value to of a user's attribute attr.
type codeMessageFunc func(attr, to, username, code string) messaging.Draft

// issueCode records a new code for purpose on u, valid for ttl from now and
// sent to u's attribute attr, as the only code of that purpose (see
// replaceCode). It returns the draft of the message that carries the code
// and the CodeDeliveryDetails that say where it goes; the caller sends the
// message once u is stored.
func (h codeHasher) issueCode(u *userRecord, purpose, attr string, ttl time.Duration, now time.Time, message codeMessageFunc) (messaging.Draft, *idp.CodeDeliveryDetailsType) {
	to := u.Attributes[attr]
	code := newCode()
	h.replaceCode(u, purpose, attr, to, code, now.Add(ttl), now)
	return message(attr, to, u.Username, code), codeDelivery(attr, to)
}

// codeSending is what sets one operation that sends an existing user a
// code (ForgotPassword, ResendConfirmationCode) apart from the other.
type codeSending struct {
	// Purpose and TTL are the code's purpose and lifetime.
	Purpose string
	TTL     time.Duration
	// Target returns the attribute the code goes to, or "" for none.
	Target func(u *userRecord) string
	// Refuse returns the exception for an enabled user whose status rules
	// out the code, or nil.
	Refuse func(u *userRecord) error
	// NoTarget returns the exception for an enabled user that has no
	// attribute to send the code to.
	NoTarget func() error
	// HideNoTarget tells whether, when the client prevents user existence
	// errors, a user with no attribute to send the code to is answered as
	// if a code had been sent instead of with NoTarget.
	HideNoTarget bool
	// Simulated is the order of the media a simulated answer picks from
	// (see simulatedDelivery).
	Simulated []string
	// Message makes the message that carries the code.
	Message codeMessageFunc
	// Source is the message's CustomMessage trigger source.
	Source string
}

// sendUserCode sends the user name names a new code, as cs describes. The
// code replaces the user's earlier one of its purpose in a transaction of
// its own, without moving UserLastModifiedDate, and goes out once that has
// committed (with a CustomMessage function, the function answers before
// anything is written: custom_message.go). When hide is set (the client prevents user existence errors),
// an unknown or disabled user, and with cs.HideNoTarget one with nowhere to
// send the code, gets CodeDeliveryDetails as if a code had been sent (a
// disabled user's own destination when it has one, otherwise a simulated
// one), and nothing is written or sent.
func (s *Service) sendUserCode(ctx context.Context, p *idp.UserPoolType, name string, hide bool, o *outgoing, cs codeSending) (*idp.CodeDeliveryDetailsType, error) {
	var details *idp.CodeDeliveryDetailsType
	mutate := func(u *userRecord, now time.Time) (bool, bool, error) {
		o.reset()
		details = nil
		attr := cs.Target(u)
		if !u.Enabled {
			if !hide {
				return false, false, userDisabled()
			}
			details = s.simulatedDelivery(p, name, cs.Simulated)
			if attr != "" {
				details = codeDelivery(attr, u.Attributes[attr])
			}
			return false, false, nil
		}
		if err := cs.Refuse(u); err != nil {
			return false, false, err
		}
		if attr == "" {
			if !hide || !cs.HideNoTarget {
				return false, false, cs.NoTarget()
			}
			details = s.simulatedDelivery(p, name, cs.Simulated)
			return false, false, nil
		}
		var d messaging.Draft
		d, details = s.codes.issueCode(u, cs.Purpose, attr, cs.TTL, now, cs.Message)
		o.add(cs.Source, u, d)
		return true, false, nil
	}
	var err error
	if o.customized() {
		_, err = s.writeUserAfter(ctx, p, func(r storage.ItemReader) (*storage.Item, *userRecord, error) {
			return findUser(ctx, r, p, name)
		}, mutate, o.prepare)
	} else {
		_, err = s.codeUpdate(ctx, p, name, func(_ storage.Tx, u *userRecord, now time.Time) (bool, bool, error) { return mutate(u, now) })
	}
	switch {
	case isUserNotFound(err) && hide:
		return s.simulatedDelivery(p, name, cs.Simulated), nil
	case isUserNotFound(err):
		return nil, usernameClientNotFound()
	case err != nil:
		return nil, err
	}
	if err := o.deliver(ctx); err != nil {
		return nil, err
	}
	return details, nil
}
