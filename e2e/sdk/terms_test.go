package sdk

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
)

func TestTerms(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("terms")})
		cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String("web")})
		if err != nil {
			t.Fatal(err)
		}
		client := cl.UserPoolClient.ClientId
		newTerms := func(name string, links map[string]string) *cip.CreateTermsInput {
			return &cip.CreateTermsInput{
				UserPoolId: pool.Id, ClientId: client, TermsName: aws.String(name),
				TermsSource: types.TermsSourceTypeLink, Enforcement: types.TermsEnforcementTypeNone, Links: links,
			}
		}
		links := map[string]string{"cognito:default": "https://example.com/terms", "cognito:spanish": "https://example.com/es/terms"}
		created, err := c.CreateTerms(ctx, newTerms("terms-of-use", links))
		if err != nil {
			t.Fatal(err)
		}
		tou := created.Terms
		if aws.ToString(tou.ClientId) != aws.ToString(client) || aws.ToString(tou.TermsName) != "terms-of-use" ||
			tou.TermsSource != types.TermsSourceTypeLink || tou.Enforcement != types.TermsEnforcementTypeNone ||
			tou.CreationDate == nil || tou.LastModifiedDate == nil || !cmp.Equal(links, tou.Links) {
			t.Errorf("created = %+v", tou)
		}
		d, err := c.DescribeTerms(ctx, &cip.DescribeTermsInput{UserPoolId: pool.Id, TermsId: tou.TermsId})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tou, d.Terms, cmpOpts); diff != "" {
			t.Errorf("described (-created +described):\n%s", diff)
		}

		// One document of each name per client.
		_, err = c.CreateTerms(ctx, newTerms("terms-of-use", links))
		wantAPIError(t, err, "TermsExistsException", "")
		pp, err := c.CreateTerms(ctx, newTerms("privacy-policy", map[string]string{"cognito:default": "https://example.com/privacy"}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.UpdateTerms(ctx, &cip.UpdateTermsInput{UserPoolId: pool.Id, TermsId: pp.Terms.TermsId, TermsName: aws.String("terms-of-use")})
		wantAPIError(t, err, "TermsExistsException", "")

		// Bad requests.
		for _, tc := range []struct {
			name string
			in   *cip.CreateTermsInput
			code string
		}{
			{"other name", newTerms("eula", links), "InvalidParameterException"},
			{"no links", newTerms("privacy-policy", nil), "InvalidParameterException"},
			{"unknown language", newTerms("privacy-policy", map[string]string{"cognito:klingon": "https://example.com"}), "InvalidParameterException"},
			{"script link", newTerms("privacy-policy", map[string]string{"cognito:default": "javascript:alert(1)"}), "InvalidParameterException"},
			{"plain http link", newTerms("privacy-policy", map[string]string{"cognito:default": "http://example.com/terms"}), "InvalidParameterException"},
			{"unknown client", func() *cip.CreateTermsInput {
				in := newTerms("privacy-policy", links)
				in.ClientId = aws.String("nosuchclient0000000000000a")
				return in
			}(), "ResourceNotFoundException"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.CreateTerms(ctx, tc.in)
				wantAPIError(t, err, tc.code, "")
			})
		}

		// Update keeps what it leaves out and replaces the links it gets.
		newLinks := map[string]string{"cognito:default": "https://example.com/terms-v2"}
		up, err := c.UpdateTerms(ctx, &cip.UpdateTermsInput{UserPoolId: pool.Id, TermsId: tou.TermsId, Links: newLinks})
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(newLinks, up.Terms.Links) || aws.ToString(up.Terms.TermsName) != "terms-of-use" {
			t.Errorf("updated = %+v", up.Terms)
		}

		// List, a page at a time.
		var names []string
		var token *string
		for range 3 {
			page, err := c.ListTerms(ctx, &cip.ListTermsInput{UserPoolId: pool.Id, MaxResults: aws.Int32(1), NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page.Terms {
				names = append(names, aws.ToString(d.TermsName))
				if d.TermsId == nil || d.Enforcement != types.TermsEnforcementTypeNone || d.CreationDate == nil {
					t.Errorf("listed %+v", d)
				}
			}
			if token = page.NextToken; token == nil {
				break
			}
		}
		if len(names) != 2 || token != nil {
			t.Errorf("listed %v (next %v), want both documents", names, token)
		}

		// Another pool sees none of them.
		other := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("terms-other")})
		_, err = c.DescribeTerms(ctx, &cip.DescribeTermsInput{UserPoolId: other.Id, TermsId: tou.TermsId})
		wantAPIError(t, err, "ResourceNotFoundException", "")
		list, err := c.ListTerms(ctx, &cip.ListTermsInput{UserPoolId: other.Id})
		if err != nil || list.Terms == nil || len(list.Terms) != 0 {
			t.Errorf("other pool's list = %v, %v", list, err)
		}

		// Delete; deleting the client deletes the rest.
		if _, err := c.DeleteTerms(ctx, &cip.DeleteTermsInput{UserPoolId: pool.Id, TermsId: tou.TermsId}); err != nil {
			t.Fatal(err)
		}
		_, err = c.DescribeTerms(ctx, &cip.DescribeTermsInput{UserPoolId: pool.Id, TermsId: tou.TermsId})
		wantAPIError(t, err, "ResourceNotFoundException", "")
		_, err = c.DeleteTerms(ctx, &cip.DeleteTermsInput{UserPoolId: pool.Id, TermsId: tou.TermsId})
		wantAPIError(t, err, "ResourceNotFoundException", "")
		if _, err := c.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: pool.Id, ClientId: client}); err != nil {
			t.Fatal(err)
		}
		_, err = c.DescribeTerms(ctx, &cip.DescribeTermsInput{UserPoolId: pool.Id, TermsId: pp.Terms.TermsId})
		wantAPIError(t, err, "ResourceNotFoundException", "")
	})
}
