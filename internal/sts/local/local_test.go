package local

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/sts"
)

func TestMatchPattern(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"arn:aws:iam::123456789012:role/*", "arn:aws:iam::123456789012:role/Reader", true},
		{"arn:aws:iam::123456789012:role/*", "arn:aws:iam::210987654321:role/Reader", false},
		{"arn:aws:iam::*:role/App*", "arn:aws:iam::123456789012:role/AppReader", true},
		{"arn:aws:iam::*:role/App*", "arn:aws:iam::123456789012:role/Reader", false},
		{"arn:aws:iam::123456789012:role/Reader", "arn:aws:iam::123456789012:role/Reader", true},
		{"arn:aws:iam::123456789012:role/Reader", "arn:aws:iam::123456789012:role/ReaderX", false},
		{"*Reader*Writer", "arn:ReaderAndWriter", true},
		{"*Reader*Writer", "arn:WriterAndReader", false},
		{"a*a", "a", false},
	}
	for _, tc := range cases {
		if got := matchPattern(tc.pattern, tc.s); got != tc.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	s := &Service{maxSession: 2 * time.Hour}
	ok := AssumeRoleInput{RoleARN: "arn:aws:iam::123456789012:role/Reader", RoleSessionName: "alice", WebIdentityToken: "a.b.c"}
	cases := []struct {
		name string
		mod  func(*AssumeRoleInput)
		want string // a part of the message; "" for no error
	}{
		{"valid", func(*AssumeRoleInput) {}, ""},
		{"path in the role", func(in *AssumeRoleInput) { in.RoleARN = "arn:aws:iam::123456789012:role/team/a/Reader" }, ""},
		{"short role", func(in *AssumeRoleInput) { in.RoleARN = "arn:aws:iam::1" }, "at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"user, not role", func(in *AssumeRoleInput) { in.RoleARN = "arn:aws:iam::123456789012:user/alice" }, "Request ARN is invalid"},
		{"session name", func(in *AssumeRoleInput) { in.RoleSessionName = "a b" }, "roleSessionName"},
		{"two violations", func(in *AssumeRoleInput) { in.RoleSessionName, in.WebIdentityToken = "a", "" }, "2 validation errors detected"},
		{"short duration", func(in *AssumeRoleInput) { in.DurationSeconds = 899 }, "greater than or equal to 900"},
		{"beyond the role's maximum", func(in *AssumeRoleInput) { in.DurationSeconds = 3 * 3600 }, "exceeds the MaxSessionDuration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := ok
			tc.mod(&in)
			err := s.validate(in)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var se *sts.Error
			if !errors.As(err, &se) || se.Code != sts.CodeValidationError || !strings.Contains(se.Message, tc.want) {
				t.Errorf("got %v, want ValidationError with %q", err, tc.want)
			}
		})
	}
}

func TestCheckTags(t *testing.T) {
	many := map[string]string{}
	for i := range 51 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	if _, err := checkTags(many); err == nil {
		t.Error("51 tags accepted")
	}
	if _, err := checkTags(map[string]string{"": "v"}); err == nil {
		t.Error("an empty key accepted")
	}
	if pct, err := checkTags(map[string]string{"team": "blue"}); err != nil || pct < 0 || pct > 100 {
		t.Errorf("one tag: %d%%, %v", pct, err)
	}
}

func TestIdentityPoolTrust(t *testing.T) {
	const guest, auth = "arn:aws:iam::123456789012:role/Guest", "arn:aws:iam::123456789012:role/Auth"
	trust := IdentityPoolTrust(func(_ context.Context, pool string) (string, error) {
		switch pool {
		case "us-east-1:pool":
			return guest, nil
		case "us-east-1:broken":
			return "", errors.New("store down")
		}
		return "", nil
	})
	cases := []struct {
		name    string
		amr     []string
		pool    string
		role    string
		want    bool
		wantErr bool
	}{
		{"authenticated, any role", []string{"authenticated", "cognito-idp.us-east-1.amazonaws.com/p"}, "us-east-1:pool", auth, true, false},
		{"unauthenticated, the guest role", []string{"unauthenticated"}, "us-east-1:pool", guest, true, false},
		{"unauthenticated, the authenticated role", []string{"unauthenticated"}, "us-east-1:pool", auth, false, false},
		{"unauthenticated, a pool without a guest role", []string{"unauthenticated"}, "us-east-1:gone", guest, false, false},
		{"neither", nil, "us-east-1:pool", guest, false, false},
		{"the lookup fails", []string{"unauthenticated"}, "us-east-1:broken", guest, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := trust(context.Background(), Token{AMR: tc.amr, Audience: tc.pool}, tc.role)
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("got %v, %v; want %v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
