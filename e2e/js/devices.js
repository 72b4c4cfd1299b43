// devices.js remembers a device through amazon-cognito-identity-js against a
// live cognate: a USER_SRP_AUTH sign-in whose tokens carry NewDeviceMetadata,
// which the library confirms (ConfirmDevice with the verifier it makes of a
// random device secret); the device set remembered; a second sign-in, which
// the library answers with DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER; a
// refresh on the device; the device listed and read; and the device
// forgotten, after which the refresh token of its session is refused. It
// prints one JSON line per step and exits non-zero on the first unexpected
// result. js_devices_test.go starts cognate and runs it.
//
// Environment: COGNATE_ENDPOINT, POOL_ID, CLIENT_ID, USERNAME, PASSWORD.
'use strict';

const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require('amazon-cognito-identity-js');

const env = (name) => {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set`);
	return v;
};

const endpoint = env('COGNATE_ENDPOINT');
const pool = new CognitoUserPool({ UserPoolId: env('POOL_ID'), ClientId: env('CLIENT_ID'), endpoint });
const username = env('USERNAME');
const password = env('PASSWORD');

const step = (name, detail) => console.log(JSON.stringify({ step: name, ...detail }));

function promisify(fn) {
	return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
}

function callbacks(resolve, reject) {
	return { onSuccess: resolve, onFailure: reject };
}

// signIn resolves with the session and, for a sign-in that confirmed a new
// device, the library's userConfirmationNecessary.
function signIn(user) {
	const details = new AuthenticationDetails({ Username: username, Password: password });
	return new Promise((resolve, reject) => user.authenticateUser(details, {
		onSuccess: (session, userConfirmationNecessary) => resolve({ session, userConfirmationNecessary }),
		onFailure: reject,
		mfaRequired: () => reject(new Error('unexpected SMS_MFA')),
		totpRequired: () => reject(new Error('unexpected SOFTWARE_TOKEN_MFA')),
		newPasswordRequired: () => reject(new Error('unexpected NEW_PASSWORD_REQUIRED')),
	}));
}

async function main() {
	const user = new CognitoUser({ Username: username, Pool: pool });
	const first = await signIn(user);
	const deviceKey = user.deviceKey;
	step('authenticateUser', {
		deviceKey, userConfirmationNecessary: first.userConfirmationNecessary === true,
		accessDeviceKey: first.session.getAccessToken().payload.device_key,
	});
	if (!deviceKey) throw new Error('the library confirmed no device');

	await new Promise((resolve, reject) => user.setDeviceStatusRemembered(callbacks(resolve, reject)));
	const got = await new Promise((resolve, reject) => user.getDevice(callbacks(resolve, reject)));
	const attrs = Object.fromEntries(got.Device.DeviceAttributes.map((a) => [a.Name, a.Value]));
	step('getDevice', { deviceKey: got.Device.DeviceKey, remembered: attrs['dev:device_remembered_status'], name: attrs.device_name || '' });

	// A second user object, as a new page load makes, finds the device in
	// the library's storage and signs in with it.
	const again = new CognitoUser({ Username: username, Pool: pool });
	const second = await signIn(again);
	step('authenticateUser(remembered device)', {
		deviceKey: again.deviceKey, accessDeviceKey: second.session.getAccessToken().payload.device_key,
	});

	const refreshed = await promisify((cb) => again.refreshSession(second.session.getRefreshToken(), cb));
	step('refreshSession', { accessDeviceKey: refreshed.getAccessToken().payload.device_key });

	const listed = await new Promise((resolve, reject) => again.listDevices(10, null, callbacks(resolve, reject)));
	step('listDevices', { keys: listed.Devices.map((d) => d.DeviceKey) });

	await new Promise((resolve, reject) => again.forgetDevice(callbacks(resolve, reject)));
	step('forgetDevice', { cleared: again.deviceKey === null });
	try {
		await promisify((cb) => again.refreshSession(second.session.getRefreshToken(), cb));
		throw new Error('a refresh token of a forgotten device still works');
	} catch (err) {
		step('refreshSession(forgotten device)', { error: `${err.code}: ${err.message}` });
	}
	step('done', {});
}

main().catch((err) => {
	console.error(err && err.stack ? err.stack : err);
	process.exit(1);
});
