package sdk

import (
	"context"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// maskedShape is what a masked destination of each medium looks like:
// an email address keeps the first character of its local part and of its
// domain, a (North American) phone number its last four digits.
var maskedShape = map[types.DeliveryMediumType]*regexp.Regexp{
	types.DeliveryMediumTypeEmail: regexp.MustCompile(`^[^*@]\*\*\*@[^*@]\*\*\*$`),
	types.DeliveryMediumTypeSms:   regexp.MustCompile(`^\+\*{7}[0-9]{4}$`),
}

// TestForgotPasswordHidesUnknownUsers guards against user enumeration
// through ForgotPassword's answer: with PreventUserExistenceErrors
// enabled, an unknown user must get the answer a real user of the same
// pool gets (the same delivery medium and attribute, a destination of the
// same shape), in every pool configuration: each recovery setting, each
// set of auto-verified attributes, and usernames that are plain names,
// email addresses or phone numbers. The real user is confirmed and has
// the contacts the pool verifies verified, as a user who signed up would.
func TestForgotPasswordHidesUnknownUsers(t *testing.T) {
	recoveries := []struct {
		name string
		mech []types.RecoveryOptionType
	}{
		{"legacy", nil},
		{"email first", recovery("verified_email", "verified_phone_number")},
		{"phone first", recovery("verified_phone_number", "verified_email")},
		{"email only", recovery("verified_email")},
		{"phone only", recovery("verified_phone_number")},
		{"admin only", recovery("admin_only")},
	}
	verifies := []struct {
		name  string
		attrs []types.VerifiedAttributeType
	}{
		{"verifies email", []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}},
		{"verifies phone", []types.VerifiedAttributeType{types.VerifiedAttributeTypePhoneNumber}},
		{"verifies both", []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail, types.VerifiedAttributeTypePhoneNumber}},
		{"verifies none", nil},
	}
	// Each kind of username: a real user's, and an unknown one of the
	// same kind.
	kinds := []struct {
		name          string
		real, unknown string
		email, phone  string
	}{
		{"plain", "realuser", "ghostuser", "someone@example.com", "+12065550100"},
		{"email", "real@example.com", "ghost@example.com", "real@example.com", "+12065550101"},
		{"phone", "+12065550102", "+12065550199", "owner@example.com", "+12065550102"},
	}
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		for _, rec := range recoveries {
			for _, ver := range verifies {
				t.Run(rec.name+"/"+ver.name, func(t *testing.T) {
					in := &cip.CreateUserPoolInput{AutoVerifiedAttributes: ver.attrs}
					if rec.mech != nil {
						in.AccountRecoverySetting = &types.AccountRecoverySettingType{RecoveryMechanisms: rec.mech}
					}
					s := e.selfServicePool(t, in, &cip.CreateUserPoolClientInput{PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled})
					for _, k := range kinds {
						attrs := []string{"email", k.email, "phone_number", k.phone}
						for _, v := range ver.attrs {
							attrs = append(attrs, string(v)+"_verified", "true")
						}
						e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: s.pool, Username: aws.String(k.real), MessageAction: types.MessageActionTypeSuppress, UserAttributes: sdkAttrs(attrs...)})
						if _, err := e.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: s.pool, Username: aws.String(k.real), Password: aws.String("Perm-Pass1"), Permanent: true}); err != nil {
							t.Fatal(err)
						}
					}
					for _, k := range kinds {
						real, realErr := s.forgotPassword(k.real)
						sent := len(e.messagesTo(t, ""))
						unknown, unknownErr := s.forgotPassword(k.unknown)
						again, _ := s.forgotPassword(k.unknown)
						if now := len(e.messagesTo(t, "")); now != sent {
							t.Errorf("%s: %d messages sent for an unknown user", k.name, now-sent)
						}
						if rec.name == "admin only" {
							for who, err := range map[string]error{"real": realErr, "unknown": unknownErr} {
								wantTyped[*types.NotAuthorizedException](t, err, "Contact administrator to reset password.")
								if t.Failed() {
									t.Fatalf("%s %s user", k.name, who)
								}
							}
							continue
						}
						if realErr != nil || unknownErr != nil {
							t.Fatalf("%s: real user %v, unknown user %v", k.name, realErr, unknownErr)
						}
						if real.DeliveryMedium != unknown.DeliveryMedium || aws.ToString(real.AttributeName) != aws.ToString(unknown.AttributeName) {
							t.Errorf("%s: real user %v, unknown user %v", k.name, deliveryOf(real), deliveryOf(unknown))
						}
						for who, d := range map[string]*types.CodeDeliveryDetailsType{"real": real, "unknown": unknown} {
							if shape := maskedShape[d.DeliveryMedium]; shape == nil || !shape.MatchString(aws.ToString(d.Destination)) {
								t.Errorf("%s: %s user's destination %v", k.name, who, deliveryOf(d))
							}
						}
						if deliveryOf(again) != deliveryOf(unknown) {
							t.Errorf("%s: unknown user answered %v, then %v", k.name, deliveryOf(unknown), deliveryOf(again))
						}
					}
				})
			}
		}
	})
}

// recovery is an AccountRecoverySetting's mechanisms, in priority order.
func recovery(names ...string) []types.RecoveryOptionType {
	out := make([]types.RecoveryOptionType, len(names))
	for i, n := range names {
		out[i] = types.RecoveryOptionType{Name: types.RecoveryOptionNameType(n), Priority: aws.Int32(int32(i + 1))}
	}
	return out
}

// TestResendConfirmationCodeHidesUnknownUsers is the same comparison for
// ResendConfirmationCode, which shares the simulated answer: an unknown
// user gets the answer of a user who signed up and has not confirmed, in
// every set of auto-verified attributes, whatever its username looks like.
func TestResendConfirmationCodeHidesUnknownUsers(t *testing.T) {
	verifies := []struct {
		name  string
		attrs []types.VerifiedAttributeType
	}{
		{"verifies email", []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}},
		{"verifies phone", []types.VerifiedAttributeType{types.VerifiedAttributeTypePhoneNumber}},
		{"verifies both", []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail, types.VerifiedAttributeTypePhoneNumber}},
		{"verifies none", nil},
	}
	kinds := []struct {
		name          string
		real, unknown string
		email, phone  string
	}{
		{"plain", "realuser", "ghostuser", "someone@example.com", "+12065550100"},
		{"email", "real@example.com", "ghost@example.com", "real@example.com", "+12065550101"},
		{"phone", "+12065550102", "+12065550199", "owner@example.com", "+12065550102"},
	}
	userBackends(t, func(t *testing.T, e *userEnv) {
		for _, ver := range verifies {
			t.Run(ver.name, func(t *testing.T) {
				s := e.selfServicePool(t, &cip.CreateUserPoolInput{AutoVerifiedAttributes: ver.attrs},
					&cip.CreateUserPoolClientInput{PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled})
				for _, k := range kinds {
					s.mustSignUp(t, k.real, "Passw0rd!", "email", k.email, "phone_number", k.phone)
				}
				for _, k := range kinds {
					real, realErr := s.resend(k.real)
					unknown, unknownErr := s.resend(k.unknown)
					again, _ := s.resend(k.unknown)
					if ver.attrs == nil {
						for _, err := range []error{realErr, unknownErr} {
							wantTyped[*types.InvalidParameterException](t, err, "Cannot resend codes. Auto verification not turned on.")
						}
						continue
					}
					if realErr != nil || unknownErr != nil {
						t.Fatalf("%s: real user %v, unknown user %v", k.name, realErr, unknownErr)
					}
					if real.DeliveryMedium != unknown.DeliveryMedium || aws.ToString(real.AttributeName) != aws.ToString(unknown.AttributeName) {
						t.Errorf("%s: real user %v, unknown user %v", k.name, deliveryOf(real), deliveryOf(unknown))
					}
					for who, d := range map[string]*types.CodeDeliveryDetailsType{"real": real, "unknown": unknown} {
						if shape := maskedShape[d.DeliveryMedium]; shape == nil || !shape.MatchString(aws.ToString(d.Destination)) {
							t.Errorf("%s: %s user's destination %v", k.name, who, deliveryOf(d))
						}
					}
					if deliveryOf(again) != deliveryOf(unknown) {
						t.Errorf("%s: unknown user answered %v, then %v", k.name, deliveryOf(unknown), deliveryOf(again))
					}
				}
			})
		}
	})
}
