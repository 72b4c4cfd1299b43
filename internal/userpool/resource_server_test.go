package userpool

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

func TestResourceServerScopes(t *testing.T) {
	scope := func(name, desc string) idp.ResourceServerScopeType {
		return idp.ResourceServerScopeType{ScopeName: cognito.Ptr(name), ScopeDescription: cognito.Ptr(desc)}
	}
	cases := []struct {
		name    string
		in      []idp.ResourceServerScopeType
		want    []idp.ResourceServerScopeType
		wantErr string
	}{
		{"none", nil, []idp.ResourceServerScopeType{}, ""},
		{"two", []idp.ResourceServerScopeType{scope("read", "Read"), scope("write", "Write")},
			[]idp.ResourceServerScopeType{scope("read", "Read"), scope("write", "Write")}, ""},
		{"duplicate", []idp.ResourceServerScopeType{scope("read", "Read"), scope("read", "Again")}, nil,
			"InvalidParameterException: Duplicate scope name read."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resourceServerScopes(tc.in)
			if e := appErrText(err); e != tc.wantErr {
				t.Fatalf("error %q, want %q", e, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("scopes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResourceServerID(t *testing.T) {
	if got, want := resourceServerID("us-east-1_abc", "https://api.example.com"), "us-east-1_abc/https://api.example.com"; got != want {
		t.Errorf("resourceServerID = %q, want %q", got, want)
	}
}
