package oauth

import (
	"context"
	"testing"

	"golang.org/x/oauth2"
)

// TestRefreshKeepsGrantedScopes refreshes at the token endpoint, as a
// relying party on golang.org/x/oauth2 does, tokens granted with and
// without the openid scope: as Cognito documents it, an ID token comes only
// with openid, on the code grant and on every refresh of what it granted.
func TestRefreshKeepsGrantedScopes(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := newApp(t, e, "refresh-scopes", clientSpec{})
		for _, tc := range []struct {
			name   string
			scopes []string
			wantID bool
		}{
			{"without openid", []string{"aws.cognito.signin.user.admin"}, false},
			{"with openid", []string{"openid", "aws.cognito.signin.user.admin"}, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := newRP(t, a, tc.scopes...)
				verifier := oauth2.GenerateVerifier()
				back := newBrowser(t, e).signIn(t, r.config.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), username, password)
				tok, err := r.config.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
				if err != nil {
					t.Fatalf("exchange: %v", err)
				}
				if _, got := tok.Extra("id_token").(string); got != tc.wantID || tok.RefreshToken == "" {
					t.Fatalf("code grant: ID token %v, refresh token %q; want ID token %v and a refresh token", got, tok.RefreshToken, tc.wantID)
				}
				for i := range 2 {
					fresh, err := r.config.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
					if err != nil {
						t.Fatalf("refresh %d: %v", i, err)
					}
					raw, got := fresh.Extra("id_token").(string)
					if got != tc.wantID || fresh.AccessToken == "" {
						t.Fatalf("refresh %d: ID token %v, access token %v; want ID token %v and an access token", i, got, fresh.AccessToken != "", tc.wantID)
					}
					if got {
						if _, err := r.verifier.Verify(ctx, raw); err != nil {
							t.Errorf("refresh %d: ID token: %v", i, err)
						}
					}
				}
			})
		}
	})
}
