package js

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestAmazonCognitoIdentityJSDevices runs devices.js: the library
// remembers a device, and its second sign-in goes through the device's SRP
// (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER) with the verifier and secret
// the library made itself.
func TestAmazonCognitoIdentityJSDevices(t *testing.T) {
	node := requireTool(t, "node")
	installLibrary(t)
	srv, c := startCognate(t, nil)
	ctx := context.Background()
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
	client := browserClient(t, c, poolID)
	createUser(t, c, poolID, "ida", "Correct-Horse-1")

	steps, order := runScript(t, node, srv, "devices.js",
		"COGNATE_ENDPOINT="+srv.URL, "POOL_ID="+aws.ToString(poolID),
		"CLIENT_ID="+client,
		"USERNAME=ida", "PASSWORD=Correct-Horse-1")
	want := []string{"authenticateUser", "getDevice", "authenticateUser(remembered device)", "refreshSession",
		"listDevices", "forgetDevice", "refreshSession(forgotten device)", "done"}
	wantSteps(t, order, want)
	key, _ := steps["authenticateUser"]["deviceKey"].(string)
	if !strings.HasPrefix(key, "us-east-1_") {
		t.Fatalf("device key %q", key)
	}
	checkSteps(t, steps, []stepCheck{
		{"authenticateUser", "userConfirmationNecessary", true},
		{"authenticateUser", "accessDeviceKey", key},
		{"getDevice", "deviceKey", key},
		{"getDevice", "remembered", "remembered"},
		{"authenticateUser(remembered device)", "deviceKey", key},
		{"authenticateUser(remembered device)", "accessDeviceKey", key},
		{"refreshSession", "accessDeviceKey", key},
		{"forgetDevice", "cleared", true},
		{"refreshSession(forgotten device)", "error", "NotAuthorizedException: Refresh Token has been revoked"},
	})
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
	srv, c := startCognate(t, nil)
	ctx := context.Background()
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
	client := browserClient(t, c, poolID)
	createUser(t, c, poolID, "max", "Correct-Horse-1")
	steps, order := runScript(t, node, srv, "devices_mfa.js",
		"COGNATE_ENDPOINT="+srv.URL, "POOL_ID="+aws.ToString(poolID),
		"CLIENT_ID="+client,
		"USERNAME=max", "PASSWORD=Correct-Horse-1")
	want := []string{"authenticateUser", "softwareToken", "authenticateUser(second browser)", "sendMFACode",
		"authenticateUser(known device)", "sendMFACode(known device)", "setDeviceStatusRemembered",
		"authenticateUser(remembered device)", "done"}
	wantSteps(t, order, want)
	firstKey, _ := steps["authenticateUser"]["deviceKey"].(string)
	secondKey, _ := steps["sendMFACode"]["deviceKey"].(string)
	if firstKey == "" || secondKey == "" || firstKey == secondKey {
		t.Fatalf("device keys %q and %q, want two devices", firstKey, secondKey)
	}
	checkSteps(t, steps, []stepCheck{
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
	})
}
