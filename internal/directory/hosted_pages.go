package directory

import (
	"context"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file is the hosted UI's view of a pool's self-service: what the
// sign-up page asks for, and the user operations the pages run. Each operation is the one the JSON API runs
// (same validation, lockout, codes, messages and events), given the
// SECRET_HASH the page cannot send: the hosted UI is the pool's own, and
// the OAuth endpoints authenticate the client.

// PasswordRules is a pool's password policy as the sign-up and reset pages
// state it.
type PasswordRules struct {
	MinimumLength                                                      int
	RequireUppercase, RequireLowercase, RequireNumbers, RequireSymbols bool
}

// SignUpField is an attribute the sign-up page asks for.
type SignUpField struct {
	// Name is the attribute's name ("email", "custom:team").
	Name     string
	Required bool
}

// SignUpForm is what the sign-up page of an app client shows.
type SignUpForm struct {
	// Allowed is false when only administrators create users
	// (AllowAdminCreateUserOnly).
	Allowed bool
	// UsernameAttributes are "email" and "phone_number" when the pool takes
	// them as the username; empty when users choose a username.
	UsernameAttributes []string
	// Fields are the attributes to ask for: the pool's required ones, then
	// those the pool verifies automatically, each only if the client may
	// write it. An attribute that is the username is not among them.
	Fields   []SignUpField
	Password PasswordRules
	// TermsOfUse and PrivacyPolicy are the client's terms documents' links
	// for the page's language; both or neither are set, as Cognito shows
	// them only when the client has both.
	TermsOfUse, PrivacyPolicy string
}

// passwordRules returns the pool's password policy.
func passwordRules(p *idp.UserPoolType) PasswordRules {
	pp := policyOf(p)
	r := PasswordRules{
		MinimumLength:    int(cognito.Deref(pp.MinimumLength)),
		RequireUppercase: cognito.Deref(pp.RequireUppercase), RequireLowercase: cognito.Deref(pp.RequireLowercase),
		RequireNumbers: cognito.Deref(pp.RequireNumbers), RequireSymbols: cognito.Deref(pp.RequireSymbols),
	}
	if pp.MinimumLength == nil {
		r.MinimumLength = userpool.DefaultMinimumLength
	}
	return r
}

// HostedSignUpForm returns what the sign-up page of an app client asks for
// and shows, with the terms links for lang (a LanguageIdType such as
// "cognito:english"; "" for the default).
func (s *Service) HostedSignUpForm(ctx context.Context, c cognito.Caller, clientID, lang string) (*SignUpForm, error) {
	client, p, err := s.pools.PublicClient(ctx, c, clientID)
	if err != nil {
		return nil, err
	}
	f := &SignUpForm{
		Allowed:  p.AdminCreateUserConfig == nil || !cognito.Deref(p.AdminCreateUserConfig.AllowAdminCreateUserOnly),
		Password: passwordRules(p),
	}
	for _, a := range p.UsernameAttributes {
		f.UsernameAttributes = append(f.UsernameAttributes, string(a))
	}
	add := func(name string, required bool) {
		if name == "sub" || slices.Contains(f.UsernameAttributes, name) || !client.MayWrite(name) ||
			slices.ContainsFunc(f.Fields, func(x SignUpField) bool { return x.Name == name }) {
			return
		}
		f.Fields = append(f.Fields, SignUpField{Name: name, Required: required})
	}
	for _, a := range p.SchemaAttributes {
		if cognito.Deref(a.Required) {
			add(cognito.Deref(a.Name), true)
		}
	}
	for _, a := range p.AutoVerifiedAttributes {
		add(string(a), false)
	}
	if f.TermsOfUse, f.PrivacyPolicy, err = s.pools.ClientTermsLinks(ctx, cognito.Deref(p.Id), clientID, lang); err != nil {
		return nil, err
	}
	return f, nil
}

// HostedPasswordRules returns the password policy of an app client's pool,
// for the pages that set a password.
func (s *Service) HostedPasswordRules(ctx context.Context, c cognito.Caller, clientID string) (PasswordRules, error) {
	_, p, err := s.pools.PublicClient(ctx, c, clientID)
	if err != nil {
		return PasswordRules{}, err
	}
	return passwordRules(p), nil
}

// hostedSecretHash returns the SECRET_HASH of username for an app client
// with a secret (nil for one without), made with its newest secret.
func (s *Service) hostedSecretHash(ctx context.Context, c cognito.Caller, clientID, username string) (*string, error) {
	client, _, err := s.pools.PublicClient(ctx, c, clientID)
	if err != nil {
		return nil, err
	}
	return client.SecretHash(username), nil
}

// HostedSignUp is SignUp from the sign-up page.
func (s *Service) HostedSignUp(ctx context.Context, c cognito.Caller, clientID, username, password string, attrs map[string]string) (*idp.SignUpResponse, error) {
	hash, err := s.hostedSecretHash(ctx, c, clientID, username)
	if err != nil {
		return nil, err
	}
	in := &idp.SignUpRequest{ClientId: &clientID, SecretHash: hash, Username: &username, Password: &password}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		in.UserAttributes = append(in.UserAttributes, idp.AttributeType{Name: cognito.Ptr(n), Value: cognito.Ptr(attrs[n])})
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return s.SignUp(ctx, c, in)
}

// HostedConfirmSignUp is ConfirmSignUp from the confirmation page and the
// /confirmUser link.
func (s *Service) HostedConfirmSignUp(ctx context.Context, c cognito.Caller, clientID, username, code string) error {
	hash, err := s.hostedSecretHash(ctx, c, clientID, username)
	if err != nil {
		return err
	}
	in := &idp.ConfirmSignUpRequest{ClientId: &clientID, SecretHash: hash, Username: &username, ConfirmationCode: &code}
	if err := in.Validate(); err != nil {
		return err
	}
	_, err = s.ConfirmSignUp(ctx, c, in)
	return err
}

// HostedResendConfirmationCode is ResendConfirmationCode from the
// confirmation page.
func (s *Service) HostedResendConfirmationCode(ctx context.Context, c cognito.Caller, clientID, username string) (*idp.CodeDeliveryDetailsType, error) {
	hash, err := s.hostedSecretHash(ctx, c, clientID, username)
	if err != nil {
		return nil, err
	}
	in := &idp.ResendConfirmationCodeRequest{ClientId: &clientID, SecretHash: hash, Username: &username}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	out, err := s.ResendConfirmationCode(ctx, c, in)
	if err != nil {
		return nil, err
	}
	return out.CodeDeliveryDetails, nil
}

// HostedForgotPassword is ForgotPassword from the forgot-password page.
func (s *Service) HostedForgotPassword(ctx context.Context, c cognito.Caller, clientID, username string) (*idp.CodeDeliveryDetailsType, error) {
	hash, err := s.hostedSecretHash(ctx, c, clientID, username)
	if err != nil {
		return nil, err
	}
	in := &idp.ForgotPasswordRequest{ClientId: &clientID, SecretHash: hash, Username: &username}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	out, err := s.ForgotPassword(ctx, c, in)
	if err != nil {
		return nil, err
	}
	return out.CodeDeliveryDetails, nil
}

// HostedConfirmForgotPassword is ConfirmForgotPassword from the reset page.
func (s *Service) HostedConfirmForgotPassword(ctx context.Context, c cognito.Caller, clientID, username, code, password string) error {
	hash, err := s.hostedSecretHash(ctx, c, clientID, username)
	if err != nil {
		return err
	}
	in := &idp.ConfirmForgotPasswordRequest{ClientId: &clientID, SecretHash: hash, Username: &username, ConfirmationCode: &code, Password: &password}
	if err := in.Validate(); err != nil {
		return err
	}
	_, err = s.ConfirmForgotPassword(ctx, c, in)
	return err
}
