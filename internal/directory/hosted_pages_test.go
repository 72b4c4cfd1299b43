package directory

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

func TestHostedSelfService(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p := s.pool(t, &idp.CreateUserPoolRequest{
		AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email"},
		Policies:               &idp.UserPoolPolicyType{PasswordPolicy: &idp.PasswordPolicyType{MinimumLength: cognito.Ptr(int32(10)), RequireNumbers: cognito.Ptr(true)}},
		Schema:                 []idp.SchemaAttributeType{{Name: cognito.Ptr("given_name"), Required: cognito.Ptr(true), AttributeDataType: cognito.Ptr(idp.AttributeDataType("String"))}},
	})
	out, err := s.CreateUserPoolClient(ctx, utCaller, &idp.CreateUserPoolClientRequest{UserPoolId: p.Id, ClientName: cognito.Ptr("web"), GenerateSecret: cognito.Ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	client := cognito.Deref(out.UserPoolClient.ClientId)

	form, err := s.HostedSignUpForm(ctx, publicCaller, client, "")
	if err != nil {
		t.Fatal(err)
	}
	want := &SignUpForm{
		Allowed:  true,
		Fields:   []SignUpField{{Name: "given_name", Required: true}, {Name: "email"}},
		Password: PasswordRules{MinimumLength: 10, RequireNumbers: true},
	}
	if diff := cmp.Diff(want, form); diff != "" {
		t.Errorf("form (-want +got):\n%s", diff)
	}

	// Terms show once the client has both documents.
	newTerms := func(name string, links map[string]string) {
		t.Helper()
		if _, err := s.CreateTerms(ctx, utCaller, &idp.CreateTermsRequest{UserPoolId: p.Id, ClientId: &client, TermsName: &name,
			TermsSource: cognito.Ptr(idp.TermsSourceType("LINK")), Enforcement: cognito.Ptr(idp.TermsEnforcementType("NONE")), Links: links}); err != nil {
			t.Fatal(err)
		}
	}
	newTerms(userpool.TermsOfUse, map[string]string{"cognito:default": "https://example.com/terms", "cognito:spanish": "https://example.com/es/terms"})
	if form, _ = s.HostedSignUpForm(ctx, utCaller, client, ""); form.TermsOfUse != "" {
		t.Errorf("terms shown with one document: %+v", form)
	}
	newTerms(userpool.PrivacyPolicy, map[string]string{"cognito:default": "https://example.com/privacy"})
	if form, _ = s.HostedSignUpForm(ctx, utCaller, client, "cognito:spanish"); form.TermsOfUse != "https://example.com/es/terms" || form.PrivacyPolicy != "https://example.com/privacy" {
		t.Errorf("terms = %q, %q", form.TermsOfUse, form.PrivacyPolicy)
	}

	// Sign-up, confirmation and recovery run for a client with a secret,
	// with the engine's rules.
	_, err = s.HostedSignUp(ctx, utCaller, client, "kim", "short1", map[string]string{"given_name": "Kim", "email": "kim@example.com"})
	if ce, ok := err.(*cognito.Error); !ok || ce.Code != cognito.CodeInvalidPasswordException {
		t.Errorf("short password: %v", err)
	}
	_, err = s.HostedSignUp(ctx, utCaller, client, "kim", "long-enough-1", map[string]string{"email": "kim@example.com"})
	if ce, ok := err.(*cognito.Error); !ok || ce.Code != cognito.CodeInvalidParameterException {
		t.Errorf("missing required attribute: %v", err)
	}
	res, err := s.HostedSignUp(ctx, utCaller, client, "kim", "long-enough-1", map[string]string{"given_name": "Kim", "email": "kim@example.com"})
	if err != nil || cognito.Deref(res.UserConfirmed) || res.CodeDeliveryDetails == nil {
		t.Fatalf("sign-up = %+v, %v", res, err)
	}
	if err := s.HostedConfirmSignUp(ctx, utCaller, client, "kim", "000000"); err == nil {
		t.Error("a wrong code confirmed the user")
	}
	if err := s.HostedConfirmSignUp(ctx, utCaller, client, "kim", s.lastCode(t, "kim@example.com")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HostedForgotPassword(ctx, utCaller, client, "kim"); err != nil {
		t.Fatal(err)
	}
	if err := s.HostedConfirmForgotPassword(ctx, utCaller, client, "kim", s.lastCode(t, "kim@example.com"), "another-pass-2"); err != nil {
		t.Fatal(err)
	}
}
