package sdk

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

var poolIDPattern = regexp.MustCompile(`^us-east-1_[0-9A-Za-z]{9}$`)

// wantAPIError fails unless err is a service error with code and, when
// msg is not empty, exactly that message.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	if msg != "" && ae.ErrorMessage() != msg {
		t.Fatalf("message = %q, want %q", ae.ErrorMessage(), msg)
	}
}

func createPool(t testing.TB, c *cip.Client, in *cip.CreateUserPoolInput) *types.UserPoolType {
	t.Helper()
	out, err := c.CreateUserPool(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	return out.UserPool
}

func TestUserPoolDefaults(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		created := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("defaults")})
		id := aws.ToString(created.Id)
		if !poolIDPattern.MatchString(id) {
			t.Fatalf("pool ID %q does not look like a Cognito pool ID", id)
		}
		if got, want := aws.ToString(created.Arn), "arn:aws:cognito-idp:us-east-1:"+accountID+":userpool/"+id; got != want {
			t.Errorf("Arn = %s, want %s", got, want)
		}
		out, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: created.Id})
		if err != nil {
			t.Fatal(err)
		}
		p := out.UserPool
		if !p.CreationDate.Equal(*created.CreationDate) || p.LastModifiedDate == nil {
			t.Errorf("dates: created %v described %v", created.CreationDate, p.CreationDate)
		}
		if diff := cmp.Diff(&types.PasswordPolicyType{
			MinimumLength: aws.Int32(8), RequireUppercase: true, RequireLowercase: true, RequireNumbers: true,
			RequireSymbols: true, TemporaryPasswordValidityDays: 7,
		}, p.Policies.PasswordPolicy, cmpOpts); diff != "" {
			t.Errorf("password policy (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]types.AuthFactorType{types.AuthFactorTypePassword}, p.Policies.SignInPolicy.AllowedFirstAuthFactors); diff != "" {
			t.Errorf("sign-in policy (-want +got):\n%s", diff)
		}
		checks := []struct {
			name      string
			got, want any
		}{
			{"Name", aws.ToString(p.Name), "defaults"},
			{"MfaConfiguration", p.MfaConfiguration, types.UserPoolMfaTypeOff},
			{"DeletionProtection", p.DeletionProtection, types.DeletionProtectionTypeInactive},
			{"UserPoolTier", p.UserPoolTier, types.UserPoolTierTypeEssentials},
			{"EstimatedNumberOfUsers", p.EstimatedNumberOfUsers, int32(0)},
			{"EmailSendingAccount", p.EmailConfiguration.EmailSendingAccount, types.EmailSendingAccountTypeCognitoDefault},
			{"DefaultEmailOption", p.VerificationMessageTemplate.DefaultEmailOption, types.DefaultEmailOptionTypeConfirmWithCode},
			{"AllowAdminCreateUserOnly", p.AdminCreateUserConfig.AllowAdminCreateUserOnly, false},
			{"UnusedAccountValidityDays", p.AdminCreateUserConfig.UnusedAccountValidityDays, int32(7)},
			{"schema size", len(p.SchemaAttributes), 21},
			{"LambdaConfig present", p.LambdaConfig != nil, true},
			{"AliasAttributes", len(p.AliasAttributes), 0},
		}
		for _, ch := range checks {
			if diff := cmp.Diff(ch.want, ch.got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", ch.name, diff)
			}
		}
		sub := p.SchemaAttributes[0]
		if aws.ToString(sub.Name) != "sub" || aws.ToBool(sub.Mutable) || !aws.ToBool(sub.Required) ||
			aws.ToString(sub.StringAttributeConstraints.MinLength) != "1" || aws.ToString(sub.StringAttributeConstraints.MaxLength) != "2048" {
			t.Errorf("sub attribute = %+v", sub)
		}
	})
}

var cmpOpts = cmp.Options{cmp.FilterPath(func(p cmp.Path) bool {
	return p.Last().String() == ".noSmithyDocumentSerde"
}, cmp.Ignore())}

func TestCreateUserPoolSettings(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		p := createPool(t, c, &cip.CreateUserPoolInput{
			PoolName:               aws.String("settings"),
			AliasAttributes:        []types.AliasAttributeType{types.AliasAttributeTypeEmail, types.AliasAttributeTypePreferredUsername},
			AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
			MfaConfiguration:       types.UserPoolMfaTypeOptional,
			DeletionProtection:     types.DeletionProtectionTypeActive,
			UsernameConfiguration:  &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
			Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
				MinimumLength: aws.Int32(12), RequireNumbers: true, TemporaryPasswordValidityDays: 3,
			}},
			Schema: []types.SchemaAttributeType{
				{Name: aws.String("email"), AttributeDataType: types.AttributeDataTypeString, Required: aws.Bool(true), Mutable: aws.Bool(true)},
				{Name: aws.String("tenant"), AttributeDataType: types.AttributeDataTypeString, Mutable: aws.Bool(false),
					StringAttributeConstraints: &types.StringAttributeConstraintsType{MinLength: aws.String("1"), MaxLength: aws.String("64")}},
				{Name: aws.String("level"), AttributeDataType: types.AttributeDataTypeNumber,
					NumberAttributeConstraints: &types.NumberAttributeConstraintsType{MinValue: aws.String("0"), MaxValue: aws.String("10")}},
				{Name: aws.String("secret"), AttributeDataType: types.AttributeDataTypeString, DeveloperOnlyAttribute: aws.Bool(true)},
			},
			EmailVerificationSubject: aws.String("Your code"),
			EmailVerificationMessage: aws.String("Code: {####}"),
			UserPoolTags:             map[string]string{"team": "identity"},
		})
		out, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: p.Id})
		if err != nil {
			t.Fatal(err)
		}
		d := out.UserPool
		byName := map[string]types.SchemaAttributeType{}
		var names []string
		for _, a := range d.SchemaAttributes {
			byName[aws.ToString(a.Name)] = a
			names = append(names, aws.ToString(a.Name))
		}
		for _, n := range []string{"custom:tenant", "custom:level", "dev:custom:secret"} {
			if !slices.Contains(names, n) {
				t.Errorf("schema lacks %s: %v", n, names)
			}
		}
		if !aws.ToBool(byName["email"].Required) {
			t.Error("email is not required")
		}
		if aws.ToBool(byName["custom:tenant"].Mutable) || aws.ToString(byName["custom:tenant"].StringAttributeConstraints.MaxLength) != "64" {
			t.Errorf("custom:tenant = %+v", byName["custom:tenant"])
		}
		if aws.ToString(byName["custom:level"].NumberAttributeConstraints.MaxValue) != "10" {
			t.Errorf("custom:level = %+v", byName["custom:level"])
		}
		if diff := cmp.Diff(&types.PasswordPolicyType{MinimumLength: aws.Int32(12), RequireNumbers: true, TemporaryPasswordValidityDays: 3},
			d.Policies.PasswordPolicy, cmpOpts); diff != "" {
			t.Errorf("password policy (-want +got):\n%s", diff)
		}
		if d.MfaConfiguration != types.UserPoolMfaTypeOptional || d.DeletionProtection != types.DeletionProtectionTypeActive {
			t.Errorf("mfa %s, deletion protection %s", d.MfaConfiguration, d.DeletionProtection)
		}
		if aws.ToString(d.VerificationMessageTemplate.EmailMessage) != "Code: {####}" || aws.ToString(d.EmailVerificationMessage) != "Code: {####}" {
			t.Errorf("verification message not mirrored: %+v / %v", d.VerificationMessageTemplate, aws.ToString(d.EmailVerificationMessage))
		}
		if d.UsernameConfiguration == nil || aws.ToBool(d.UsernameConfiguration.CaseSensitive) {
			t.Errorf("UsernameConfiguration = %+v", d.UsernameConfiguration)
		}
		if diff := cmp.Diff(map[string]string{"team": "identity"}, d.UserPoolTags); diff != "" {
			t.Errorf("tags (-want +got):\n%s", diff)
		}
		if d.AdminCreateUserConfig.UnusedAccountValidityDays != 3 {
			t.Errorf("UnusedAccountValidityDays = %d, want the temporary password validity 3", d.AdminCreateUserConfig.UnusedAccountValidityDays)
		}
	})
}

func TestCreateUserPoolRules(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		c := e.client("us-east-1")
		cases := []struct {
			name string
			in   *cip.CreateUserPoolInput
			code string
			msg  string
		}{
			{"username and alias attributes", &cip.CreateUserPoolInput{PoolName: aws.String("x"),
				UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
				AliasAttributes:    []types.AliasAttributeType{types.AliasAttributeTypePhoneNumber}},
				"InvalidParameterException", "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool."},
			{"required custom attribute", &cip.CreateUserPoolInput{PoolName: aws.String("x"),
				Schema: []types.SchemaAttributeType{{Name: aws.String("c"), AttributeDataType: types.AttributeDataTypeString, Required: aws.Bool(true)}}},
				"InvalidParameterException", "Required custom attributes are not supported currently."},
			{"pool name pattern", &cip.CreateUserPoolInput{PoolName: aws.String("bad/name")},
				"InvalidParameterException", `1 validation error detected: Value 'bad/name' at 'poolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w\s+=,.@-]+`},
			{"password too short", &cip.CreateUserPoolInput{PoolName: aws.String("x"),
				Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(5)}}},
				"InvalidParameterException", ""},
			{"verification message without code", &cip.CreateUserPoolInput{PoolName: aws.String("x"), EmailVerificationMessage: aws.String("no code")},
				"InvalidParameterException", ""},
			{"history on lite", &cip.CreateUserPoolInput{PoolName: aws.String("x"), UserPoolTier: types.UserPoolTierTypeLite,
				Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{PasswordHistorySize: aws.Int32(3)}}},
				"FeatureUnavailableInTierException", ""},
			{"standard attribute type change", &cip.CreateUserPoolInput{PoolName: aws.String("x"),
				Schema: []types.SchemaAttributeType{{Name: aws.String("email"), AttributeDataType: types.AttributeDataTypeNumber}}},
				"InvalidParameterException", "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute email"},
			{"developer-only standard attribute", &cip.CreateUserPoolInput{PoolName: aws.String("x"),
				Schema: []types.SchemaAttributeType{{Name: aws.String("phone_number"), DeveloperOnlyAttribute: aws.Bool(true)}}},
				"InvalidParameterException", "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute phone_number"},
			{"custom attribute without a type", &cip.CreateUserPoolInput{PoolName: aws.String("x"),
				Schema: []types.SchemaAttributeType{{Name: aws.String("plan")}}},
				"InvalidParameterException", "Invalid AttributeDataType input, consider using the provided AttributeDataType enum."},
			{"string constraints not numbers", &cip.CreateUserPoolInput{PoolName: aws.String("x"),
				Schema: []types.SchemaAttributeType{{Name: aws.String("plan"), AttributeDataType: types.AttributeDataTypeString,
					StringAttributeConstraints: &types.StringAttributeConstraintsType{MaxLength: aws.String("many")}}}},
				"InvalidParameterException", "Invalid StringAttributeConstraints for schema attribute custom:plan"},
			{"string longer than 2048", &cip.CreateUserPoolInput{PoolName: aws.String("x"),
				Schema: []types.SchemaAttributeType{{Name: aws.String("name"), AttributeDataType: types.AttributeDataTypeString,
					StringAttributeConstraints: &types.StringAttributeConstraintsType{MaxLength: aws.String("4096")}}}},
				"InvalidParameterException", "user.name: String attributes cannot have a length of more than 2048"},
			{"string max below min", &cip.CreateUserPoolInput{PoolName: aws.String("x"),
				Schema: []types.SchemaAttributeType{{Name: aws.String("plan"), AttributeDataType: types.AttributeDataTypeString,
					StringAttributeConstraints: &types.StringAttributeConstraintsType{MinLength: aws.String("5"), MaxLength: aws.String("4")}}}},
				"InvalidParameterException", "user.custom:plan: Max length cannot be less than min length."},
			{"number constraints not numbers", &cip.CreateUserPoolInput{PoolName: aws.String("x"),
				Schema: []types.SchemaAttributeType{{Name: aws.String("level"), AttributeDataType: types.AttributeDataTypeNumber,
					NumberAttributeConstraints: &types.NumberAttributeConstraintsType{MinValue: aws.String("low")}}}},
				"InvalidParameterException", "Invalid NumberAttributeConstraints for schema attribute custom:level"},
			{"number max below min", &cip.CreateUserPoolInput{PoolName: aws.String("x"),
				Schema: []types.SchemaAttributeType{{Name: aws.String("level"), AttributeDataType: types.AttributeDataTypeNumber,
					NumberAttributeConstraints: &types.NumberAttributeConstraintsType{MinValue: aws.String("3"), MaxValue: aws.String("2")}}}},
				"InvalidParameterException", "user.custom:level: Max value cannot be less than min value."},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.CreateUserPool(context.Background(), tc.in)
				wantAPIError(t, err, tc.code, tc.msg)
				var ipe *types.InvalidParameterException
				if tc.code == "InvalidParameterException" && !errors.As(err, &ipe) {
					t.Errorf("error is not *types.InvalidParameterException: %T", err)
				}
			})
		}
		// No failed create left a pool behind.
		out, err := c.ListUserPools(context.Background(), &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.UserPools) != 0 {
			t.Errorf("failed creates left %d pools", len(out.UserPools))
		}
	})
}

func TestDescribeMissingPool(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		c := e.client("us-east-1")
		_, err := c.DescribeUserPool(context.Background(), &cip.DescribeUserPoolInput{UserPoolId: aws.String("us-east-1_AAAAAAAAA")})
		var rnf *types.ResourceNotFoundException
		if !errors.As(err, &rnf) {
			t.Fatalf("error = %v, want ResourceNotFoundException", err)
		}
		wantAPIError(t, err, "ResourceNotFoundException", "User pool us-east-1_AAAAAAAAA does not exist.")
	})
}

func TestRegionsAreSeparate(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		east, west := e.client("us-east-1"), e.client("eu-west-1")
		p := createPool(t, east, &cip.CreateUserPoolInput{PoolName: aws.String("east")})
		w := createPool(t, west, &cip.CreateUserPoolInput{PoolName: aws.String("west")})
		if !regexp.MustCompile(`^eu-west-1_`).MatchString(aws.ToString(w.Id)) ||
			aws.ToString(w.Arn) != "arn:aws:cognito-idp:eu-west-1:"+accountID+":userpool/"+aws.ToString(w.Id) {
			t.Errorf("west pool id %s arn %s", aws.ToString(w.Id), aws.ToString(w.Arn))
		}
		_, err := west.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: p.Id})
		wantAPIError(t, err, "ResourceNotFoundException", fmt.Sprintf("User pool %s does not exist.", aws.ToString(p.Id)))
		out, err := west.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.UserPools) != 1 || aws.ToString(out.UserPools[0].Id) != aws.ToString(w.Id) {
			t.Errorf("west lists %+v", out.UserPools)
		}
	})
}

func TestUpdateUserPool(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		p := createPool(t, c, &cip.CreateUserPoolInput{
			PoolName:         aws.String("before"),
			MfaConfiguration: types.UserPoolMfaTypeOptional,
			AliasAttributes:  []types.AliasAttributeType{types.AliasAttributeTypeEmail},
			UserPoolTags:     map[string]string{"k": "v"},
		})
		_, err := c.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{
			UserPoolId: p.Id,
			Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
				MinimumLength: aws.Int32(10), RequireLowercase: true,
			}},
			DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: p.Id})
		if err != nil {
			t.Fatal(err)
		}
		d := out.UserPool
		if aws.ToString(d.Name) != "before" || len(d.AliasAttributes) != 1 || d.UserPoolTags["k"] != "v" {
			t.Errorf("kept members changed: name %s aliases %v tags %v", aws.ToString(d.Name), d.AliasAttributes, d.UserPoolTags)
		}
		if d.MfaConfiguration != types.UserPoolMfaTypeOff {
			t.Errorf("MfaConfiguration = %s, want OFF (a member left out returns to its default)", d.MfaConfiguration)
		}
		if aws.ToInt32(d.Policies.PasswordPolicy.MinimumLength) != 10 || d.Policies.PasswordPolicy.RequireUppercase {
			t.Errorf("password policy = %+v", d.Policies.PasswordPolicy)
		}
		if d.DeviceConfiguration == nil || !d.DeviceConfiguration.ChallengeRequiredOnNewDevice {
			t.Errorf("device configuration = %+v", d.DeviceConfiguration)
		}
		if !d.LastModifiedDate.After(*d.CreationDate) && !d.LastModifiedDate.Equal(*d.CreationDate) {
			t.Errorf("LastModifiedDate %v before CreationDate %v", d.LastModifiedDate, d.CreationDate)
		}
		_, err = c.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: p.Id, PoolName: aws.String("after")})
		if err != nil {
			t.Fatal(err)
		}
		out, _ = c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: p.Id})
		if aws.ToString(out.UserPool.Name) != "after" {
			t.Errorf("Name = %s, want after", aws.ToString(out.UserPool.Name))
		}
		_, err = c.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String("us-east-1_ZZZZZZZZZ")})
		var rnf *types.ResourceNotFoundException
		if !errors.As(err, &rnf) {
			t.Errorf("update of a missing pool: %v", err)
		}
	})
}

func TestDeleteUserPool(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		p := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("protected"), DeletionProtection: types.DeletionProtectionTypeActive})
		_, err := c.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: p.Id})
		wantAPIError(t, err, "InvalidParameterException", "The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.")
		if _, err := c.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: p.Id, DeletionProtection: types.DeletionProtectionTypeInactive}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: p.Id}); err != nil {
			t.Fatal(err)
		}
		_, err = c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: p.Id})
		wantAPIError(t, err, "ResourceNotFoundException", "")
		_, err = c.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: p.Id})
		wantAPIError(t, err, "ResourceNotFoundException", "")
	})
}

func TestListUserPoolsPagination(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		var want []string
		for i := range 5 {
			p := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String(fmt.Sprintf("pool-%d", i))})
			want = append(want, aws.ToString(p.Id))
		}
		slices.Sort(want)
		var got []string
		pages := 0
		pg := cip.NewListUserPoolsPaginator(c, &cip.ListUserPoolsInput{MaxResults: aws.Int32(2)})
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, p := range out.UserPools {
				got = append(got, aws.ToString(p.Id))
				if p.CreationDate == nil || p.LambdaConfig == nil {
					t.Errorf("description lacks members: %+v", p)
				}
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("listed pools (-want +got):\n%s", diff)
		}
		if pages != 3 {
			t.Errorf("pages = %d, want 3", pages)
		}
		first, err := c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(2)})
		if err != nil {
			t.Fatal(err)
		}
		tampered := aws.ToString(first.NextToken) + "x"
		_, err = c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(2), NextToken: &tampered})
		wantAPIError(t, err, "InvalidParameterException", "")
		_, err = e.client("eu-west-1").ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(2), NextToken: first.NextToken})
		wantAPIError(t, err, "InvalidParameterException", "")
		_, err = c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(61)})
		wantAPIError(t, err, "InvalidParameterException", "1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60")
	})
}

func TestAddCustomAttributes(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		p := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("custom")})
		_, err := c.AddCustomAttributes(ctx, &cip.AddCustomAttributesInput{UserPoolId: p.Id, CustomAttributes: []types.SchemaAttributeType{
			{Name: aws.String("plan"), AttributeDataType: types.AttributeDataTypeString},
		}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.AddCustomAttributes(ctx, &cip.AddCustomAttributesInput{UserPoolId: p.Id, CustomAttributes: []types.SchemaAttributeType{
			{Name: aws.String("plan"), AttributeDataType: types.AttributeDataTypeString},
		}})
		wantAPIError(t, err, "InvalidParameterException", "custom:plan: Existing attribute already has name custom:plan.")
		// A developer-only attribute of the same name is the same attribute.
		_, err = c.AddCustomAttributes(ctx, &cip.AddCustomAttributesInput{UserPoolId: p.Id, CustomAttributes: []types.SchemaAttributeType{
			{Name: aws.String("plan"), AttributeDataType: types.AttributeDataTypeString, DeveloperOnlyAttribute: aws.Bool(true)},
		}})
		wantAPIError(t, err, "InvalidParameterException", "custom:plan: Existing attribute already has name custom:plan.")
		if _, err := c.AddCustomAttributes(ctx, &cip.AddCustomAttributesInput{UserPoolId: p.Id, CustomAttributes: []types.SchemaAttributeType{
			{Name: aws.String("x"), AttributeDataType: types.AttributeDataTypeNumber, DeveloperOnlyAttribute: aws.Bool(true)},
		}}); err != nil {
			t.Fatal(err)
		}
		_, err = c.AddCustomAttributes(ctx, &cip.AddCustomAttributesInput{UserPoolId: p.Id, CustomAttributes: []types.SchemaAttributeType{
			{Name: aws.String("x"), AttributeDataType: types.AttributeDataTypeNumber},
		}})
		wantAPIError(t, err, "InvalidParameterException", "custom:x: Existing attribute already has name dev:custom:x.")
		_, err = c.AddCustomAttributes(ctx, &cip.AddCustomAttributesInput{UserPoolId: p.Id, CustomAttributes: []types.SchemaAttributeType{
			{Name: aws.String("untyped")},
		}})
		wantAPIError(t, err, "InvalidParameterException", "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.")
		_, err = c.AddCustomAttributes(ctx, &cip.AddCustomAttributesInput{UserPoolId: p.Id, CustomAttributes: []types.SchemaAttributeType{
			{Name: aws.String("must"), AttributeDataType: types.AttributeDataTypeString, Required: aws.Bool(true)},
		}})
		wantAPIError(t, err, "InvalidParameterException", "Required custom attributes are not supported currently.")
		out, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: p.Id})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range out.UserPool.SchemaAttributes {
			if aws.ToString(a.Name) == "custom:plan" {
				n++
			}
		}
		if n != 1 || len(out.UserPool.SchemaAttributes) != 23 {
			t.Errorf("custom:plan appears %d times in %d attributes", n, len(out.UserPool.SchemaAttributes))
		}
		_, err = c.AddCustomAttributes(ctx, &cip.AddCustomAttributesInput{UserPoolId: aws.String("us-east-1_ZZZZZZZZZ"),
			CustomAttributes: []types.SchemaAttributeType{{Name: aws.String("a")}}})
		wantAPIError(t, err, "ResourceNotFoundException", "User pool us-east-1_ZZZZZZZZZ does not exist.")
	})
}

func TestTags(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		p := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("tags"), UserPoolTags: map[string]string{"a": "1"}})
		if _, err := c.TagResource(ctx, &cip.TagResourceInput{ResourceArn: p.Arn, Tags: map[string]string{"b": "2", "a": "3"}}); err != nil {
			t.Fatal(err)
		}
		out, err := c.ListTagsForResource(ctx, &cip.ListTagsForResourceInput{ResourceArn: p.Arn})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{"a": "3", "b": "2"}, out.Tags); diff != "" {
			t.Errorf("tags (-want +got):\n%s", diff)
		}
		if _, err := c.UntagResource(ctx, &cip.UntagResourceInput{ResourceArn: p.Arn, TagKeys: []string{"a"}}); err != nil {
			t.Fatal(err)
		}
		out, _ = c.ListTagsForResource(ctx, &cip.ListTagsForResourceInput{ResourceArn: p.Arn})
		if diff := cmp.Diff(map[string]string{"b": "2"}, out.Tags); diff != "" {
			t.Errorf("tags after untag (-want +got):\n%s", diff)
		}
		missing := "arn:aws:cognito-idp:us-east-1:" + accountID + ":userpool/us-east-1_ZZZZZZZZZ"
		_, err = c.TagResource(ctx, &cip.TagResourceInput{ResourceArn: &missing, Tags: map[string]string{"x": "y"}})
		wantAPIError(t, err, "ResourceNotFoundException", "")
		many := map[string]string{}
		for i := range 51 {
			many[fmt.Sprintf("k%d", i)] = "v"
		}
		_, err = c.TagResource(ctx, &cip.TagResourceInput{ResourceArn: p.Arn, Tags: many})
		wantAPIError(t, err, "InvalidParameterException", "")
	})
}

func TestSignatureErrors(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		in := &cip.ListUserPoolsInput{MaxResults: aws.Int32(1)}
		_, err := e.clientWith("us-east-1", keyID, "wrong-secret").ListUserPools(ctx, in)
		wantAPIError(t, err, "InvalidSignatureException", "")
		_, err = e.clientWith("us-east-1", "AKIAUNKNOWNKEY000000", secret).ListUserPools(ctx, in)
		wantAPIError(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")
	})
}

func TestDeleteUserPoolRemovesItsContents(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		p := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("full")})
		cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: p.Id, ClientName: aws.String("app")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: p.Id, GroupName: aws.String("admins")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: p.Id, Username: aws.String("alice"), MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
		out, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: p.Id})
		if err != nil {
			t.Fatal(err)
		}
		if out.UserPool.EstimatedNumberOfUsers != 1 {
			t.Errorf("EstimatedNumberOfUsers = %d, want 1", out.UserPool.EstimatedNumberOfUsers)
		}
		if _, err := c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: p.Id, Domain: aws.String("full-" + strings.ToLower(aws.ToString(p.Id)[10:]))}); err != nil {
			t.Fatal(err)
		}
		out, _ = c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: p.Id})
		if aws.ToString(out.UserPool.Domain) == "" {
			t.Error("DescribeUserPool does not report the domain")
		}
		_, err = c.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: p.Id})
		wantAPIError(t, err, "InvalidParameterException", "User pool cannot be deleted. It has a domain configured that should be deleted first.")
		if _, err := c.DeleteUserPoolDomain(ctx, &cip.DeleteUserPoolDomainInput{UserPoolId: p.Id, Domain: out.UserPool.Domain}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: p.Id}); err != nil {
			t.Fatal(err)
		}
		_, err = c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: p.Id, ClientId: cl.UserPoolClient.ClientId})
		wantAPIError(t, err, "ResourceNotFoundException", "")
		for _, kind := range []string{"user", "client", "group"} {
			n, err := e.Store.CountItems(ctx, kind, aws.ToString(p.Id))
			if err != nil || n != 0 {
				t.Errorf("%d %s items left after deleting the pool (err %v)", n, kind, err)
			}
		}
	})
}
