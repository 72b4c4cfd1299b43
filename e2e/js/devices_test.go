package js

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/proc"
)

// TestAmazonCognitoIdentityJSDevices runs devices.js: the library
// remembers a device, and its second sign-in goes through the device's SRP
// (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER) with the verifier and secret
// the library made itself.
func TestAmazonCognitoIdentityJSDevices(t *testing.T) {
	node := requireTool(t, "node")
	installLibrary(t)
	bin, err := proc.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := proc.Start(bin, []string{"COGNATE_ACCESS_KEY_ID=" + keyID, "COGNATE_SECRET_ACCESS_KEY=" + secret},
		"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })

	ctx := context.Background()
	c := cip.New(cip.Options{
		BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
	})
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String("js-devices"),
		DeviceConfiguration: &types.DeviceConfigurationType{
			ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	poolID := pool.UserPool.Id
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: poolID, ClientName: aws.String("browser"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: poolID, Username: aws.String("ida"), MessageAction: types.MessageActionTypeSuppress,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: poolID, Username: aws.String("ida"), Password: aws.String("Correct-Horse-1"), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}

	run := exec.Command(node, "devices.js")
	run.Env = append(os.Environ(),
		"COGNATE_ENDPOINT="+srv.URL, "POOL_ID="+aws.ToString(poolID),
		"CLIENT_ID="+aws.ToString(client.UserPoolClient.ClientId),
		"USERNAME=ida", "PASSWORD=Correct-Horse-1")
	var stderr bytes.Buffer
	run.Stderr = &stderr
	out, err := run.Output()
	steps := map[string]map[string]any{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		name, _ := line["step"].(string)
		steps[name] = line
		order = append(order, name)
	}
	if err != nil {
		t.Fatalf("devices.js: %v\nsteps: %s\nstdout:\n%s\nstderr:\n%s\ncognate log:\n%s", err, strings.Join(order, ", "), out, stderr.String(), srv.Stderr.String())
	}
	t.Logf("devices.js reported:\n%s", out)
	want := []string{"authenticateUser", "getDevice", "authenticateUser(remembered device)", "refreshSession",
		"listDevices", "forgetDevice", "refreshSession(forgotten device)", "done"}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Fatalf("steps = %v, want %v", order, want)
	}
	key, _ := steps["authenticateUser"]["deviceKey"].(string)
	if !strings.HasPrefix(key, "us-east-1_") {
		t.Fatalf("device key %q", key)
	}
	checks := []struct {
		step, field string
		want        any
	}{
		{"authenticateUser", "userConfirmationNecessary", true},
		{"authenticateUser", "accessDeviceKey", key},
		{"getDevice", "deviceKey", key},
		{"getDevice", "remembered", "remembered"},
		{"authenticateUser(remembered device)", "deviceKey", key},
		{"authenticateUser(remembered device)", "accessDeviceKey", key},
		{"refreshSession", "accessDeviceKey", key},
		{"forgetDevice", "cleared", true},
		{"refreshSession(forgotten device)", "error", "NotAuthorizedException: Refresh Token has been revoked"},
	}
	for _, ch := range checks {
		if got := steps[ch.step][ch.field]; got != ch.want {
			t.Errorf("%s.%s = %v, want %v", ch.step, ch.field, got, ch.want)
		}
	}
	if keys, _ := steps["listDevices"]["keys"].([]any); len(keys) != 1 || keys[0] != key {
		t.Errorf("listDevices = %v, want only %s: the second sign-in must not have made a device of its own", keys, key)
	}
}

// TestAmazonCognitoIdentityJSDevicesSkipMFA runs devices_mfa.js: in a pool
// where MFA is OPTIONAL and a remembered device signs in without it, the
// library's sign-in on a device the pool knows but does not remember
// answers the TOTP code and then proves the device (DEVICE_SRP_AUTH with
// the code's Session, as the library sends it), and its sign-in on a
// remembered device goes through DEVICE_SRP_AUTH and gets tokens without
// the code.
func TestAmazonCognitoIdentityJSDevicesSkipMFA(t *testing.T) {
	node := requireTool(t, "node")
	installLibrary(t)
	bin, err := proc.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := proc.Start(bin, []string{"COGNATE_ACCESS_KEY_ID=" + keyID, "COGNATE_SECRET_ACCESS_KEY=" + secret},
		"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	ctx := context.Background()
	c := cip.New(cip.Options{
		BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
	})
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String("js-devices-mfa"),
		DeviceConfiguration: &types.DeviceConfigurationType{
			ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	poolID := pool.UserPool.Id
	if _, err := c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: poolID, MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: poolID, ClientName: aws.String("browser"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: poolID, Username: aws.String("max"), MessageAction: types.MessageActionTypeSuppress,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: poolID, Username: aws.String("max"), Password: aws.String("Correct-Horse-1"), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}
	run := exec.Command(node, "devices_mfa.js")
	run.Env = append(os.Environ(),
		"COGNATE_ENDPOINT="+srv.URL, "POOL_ID="+aws.ToString(poolID),
		"CLIENT_ID="+aws.ToString(client.UserPoolClient.ClientId),
		"USERNAME=max", "PASSWORD=Correct-Horse-1")
	var stderr bytes.Buffer
	run.Stderr = &stderr
	out, err := run.Output()
	steps := map[string]map[string]any{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		name, _ := line["step"].(string)
		steps[name] = line
		order = append(order, name)
	}
	if err != nil {
		t.Fatalf("devices_mfa.js: %v\nsteps: %s\nstdout:\n%s\nstderr:\n%s\ncognate log:\n%s", err, strings.Join(order, ", "), out, stderr.String(), srv.Stderr.String())
	}
	t.Logf("devices_mfa.js reported:\n%s", out)
	want := []string{"authenticateUser", "softwareToken", "authenticateUser(second browser)", "sendMFACode",
		"authenticateUser(known device)", "sendMFACode(known device)", "setDeviceStatusRemembered",
		"authenticateUser(remembered device)", "done"}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Fatalf("steps = %v, want %v", order, want)
	}
	firstKey, _ := steps["authenticateUser"]["deviceKey"].(string)
	secondKey, _ := steps["sendMFACode"]["deviceKey"].(string)
	if firstKey == "" || secondKey == "" || firstKey == secondKey {
		t.Fatalf("device keys %q and %q, want two devices", firstKey, secondKey)
	}
	checks := []struct {
		step, field string
		want        any
	}{
		{"authenticateUser(second browser)", "name", "SOFTWARE_TOKEN_MFA"},
		{"authenticateUser(known device)", "name", "SOFTWARE_TOKEN_MFA"},
		{"sendMFACode(known device)", "challenges", "PASSWORD_VERIFIER,SOFTWARE_TOKEN_MFA,DEVICE_SRP_AUTH,DEVICE_PASSWORD_VERIFIER"},
		{"sendMFACode(known device)", "deviceSRPWithCodeSession", true},
		{"sendMFACode(known device)", "deviceKey", secondKey},
		{"sendMFACode(known device)", "accessDeviceKey", secondKey},
		{"authenticateUser(remembered device)", "challenges", "PASSWORD_VERIFIER,DEVICE_SRP_AUTH,DEVICE_PASSWORD_VERIFIER"},
		{"authenticateUser(remembered device)", "kind", "tokens"},
		{"authenticateUser(remembered device)", "deviceKey", secondKey},
		{"authenticateUser(remembered device)", "accessDeviceKey", secondKey},
	}
	for _, ch := range checks {
		if got := steps[ch.step][ch.field]; got != ch.want {
			t.Errorf("%s.%s = %v, want %v", ch.step, ch.field, got, ch.want)
		}
	}
}
