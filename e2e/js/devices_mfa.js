// devices_mfa.js signs in on devices through amazon-cognito-identity-js in
// a pool where MFA is OPTIONAL and a remembered device signs in without it
// (DeviceConfiguration ChallengeRequiredOnNewDevice, and devices remembered
// on the user's prompt). In one browser (storage) the user signs in and
// sets up a software token (associateSoftwareToken, verifySoftwareToken,
// setUserMfaPreference). In a second browser it signs in answering
// totpRequired (sendMFACode), and the library confirms that browser's
// device, which stays not remembered. The next sign-in there, on a device
// the pool knows but does not remember, answers totpRequired again and
// then proves the device (DEVICE_SRP_AUTH, which the library answers with
// the Session it sent the code with, and DEVICE_PASSWORD_VERIFIER); then
// the user remembers the device (setDeviceStatusRemembered), and the
// sign-in after goes through DEVICE_SRP_AUTH and gets tokens without MFA.
// The library's requests are recorded, so the steps say which challenges
// each sign-in answered. The codes are computed as an authenticator app
// does (RFC 6238). It prints one JSON line per step and exits non-zero on
// the first unexpected result. devices_test.go starts cognate and runs it.
//
// Environment: COGNATE_ENDPOINT, POOL_ID, CLIENT_ID, USERNAME, PASSWORD.
'use strict';

const crypto = require('crypto');
const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require('amazon-cognito-identity-js');

const env = (name) => {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set`);
	return v;
};

const endpoint = env('COGNATE_ENDPOINT');
const username = env('USERNAME');
const password = env('PASSWORD');
const step = (name, detail) => console.log(JSON.stringify({ step: name, ...detail }));

// browserStorage is one browser's local storage.
function browserStorage() {
	const m = new Map();
	return {
		setItem: (k, v) => m.set(k, String(v)), getItem: (k) => (m.has(k) ? m.get(k) : null),
		removeItem: (k) => m.delete(k), clear: () => m.clear(),
	};
}

function base32(s) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const c of s.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
	const out = [];
	for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
	return Buffer.from(out);
}

function totp(secret, ms) {
	const counter = Buffer.alloc(8);
	counter.writeBigUInt64BE(BigInt(Math.floor(ms / 30000)));
	const h = crypto.createHmac('sha1', base32(secret)).update(counter).digest();
	const o = h[h.length - 1] & 0xf;
	const n = (((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) % 1000000;
	return String(n).padStart(6, '0');
}

function authenticate(user) {
	const details = new AuthenticationDetails({ Username: username, Password: password });
	return new Promise((resolve, reject) => user.authenticateUser(details, {
		onSuccess: (session, userConfirmationNecessary) => resolve({ kind: 'tokens', session, userConfirmationNecessary }),
		onFailure: reject,
		totpRequired: (name) => resolve({ kind: 'totpRequired', name }),
		mfaSetup: (name) => resolve({ kind: 'mfaSetup', name }),
		mfaRequired: (name) => resolve({ kind: 'mfaRequired', name }),
		selectMFAType: (name) => resolve({ kind: 'selectMFAType', name }),
		newPasswordRequired: () => reject(new Error('unexpected NEW_PASSWORD_REQUIRED')),
	}));
}

const sendCode = (user, code) => new Promise((resolve, reject) => user.sendMFACode(code, {
	onSuccess: (session, userConfirmationNecessary) => resolve({ session, userConfirmationNecessary }), onFailure: reject,
}, 'SOFTWARE_TOKEN_MFA'));
const callbacks = (resolve, reject) => ({ onSuccess: resolve, onFailure: reject });

// recorded makes user record the challenges its requests answer, and the
// Session each was sent with.
function recorded(user) {
	const calls = [];
	const request = user.client.request.bind(user.client);
	user.client.request = (op, params, cb) => {
		if (op === 'RespondToAuthChallenge') calls.push({ challenge: params.ChallengeName, session: params.Session || null });
		return request(op, params, cb);
	};
	return calls;
}

// codeAt waits, when the current TOTP step is about to end, for the next
// one, so that the codes of the step before and after it stay in the
// window of one step of drift while the script runs; it returns the time.
async function codeAt() {
	const into = Date.now() % 30000;
	if (into > 15000) await new Promise((r) => setTimeout(r, 30000 - into + 100));
	return Date.now();
}

async function main() {
	const first = browserStorage();
	const second = browserStorage();
	const poolIn = (storage) => new CognitoUserPool({ UserPoolId: env('POOL_ID'), ClientId: env('CLIENT_ID'), endpoint, Storage: storage });
	const now = await codeAt();

	// First browser: no MFA yet; its device is confirmed, not remembered.
	const a = new CognitoUser({ Username: username, Pool: poolIn(first), Storage: first });
	const signedIn = await authenticate(a);
	if (signedIn.kind !== 'tokens') throw new Error(`first sign-in: ${signedIn.kind}`);
	step('authenticateUser', { deviceKey: a.deviceKey, userConfirmationNecessary: signedIn.userConfirmationNecessary === true });
	const secret = await new Promise((resolve, reject) => a.associateSoftwareToken({ associateSecretCode: resolve, onFailure: reject }));
	await new Promise((resolve, reject) => a.verifySoftwareToken(totp(secret, now - 30000), 'js-authenticator', callbacks(resolve, reject)));
	await new Promise((resolve, reject) => a.setUserMfaPreference(null, { PreferredMfa: true, Enabled: true }, (err, res) => (err ? reject(err) : resolve(res))));
	step('softwareToken', { ok: true });

	// Second browser: TOTP, and a new device the library confirms.
	const b = new CognitoUser({ Username: username, Pool: poolIn(second), Storage: second });
	const challenged = await authenticate(b);
	step('authenticateUser(second browser)', { kind: challenged.kind, name: challenged.name });
	if (challenged.kind !== 'totpRequired') throw new Error(`second browser: ${challenged.kind}`);
	const answered = await sendCode(b, totp(secret, now));
	step('sendMFACode', { deviceKey: b.deviceKey, userConfirmationNecessary: answered.userConfirmationNecessary === true });

	// The device is known, not remembered: TOTP, then the device's SRP.
	const known = new CognitoUser({ Username: username, Pool: poolIn(second), Storage: second });
	const knownCalls = recorded(known);
	const knownSignIn = await authenticate(known);
	step('authenticateUser(known device)', { kind: knownSignIn.kind, name: knownSignIn.name });
	if (knownSignIn.kind !== 'totpRequired') throw new Error(`known device: ${knownSignIn.kind}`);
	const knownDone = await sendCode(known, totp(secret, now + 30000));
	const mfaCall = knownCalls.find((c) => c.challenge === 'SOFTWARE_TOKEN_MFA');
	const deviceCall = knownCalls.find((c) => c.challenge === 'DEVICE_SRP_AUTH');
	step('sendMFACode(known device)', {
		challenges: knownCalls.map((c) => c.challenge).join(','), deviceKey: known.deviceKey,
		accessDeviceKey: knownDone.session.getAccessToken().payload.device_key,
		deviceSRPWithCodeSession: !!(mfaCall && deviceCall && deviceCall.session === mfaCall.session),
	});
	await new Promise((resolve, reject) => known.setDeviceStatusRemembered(callbacks(resolve, reject)));
	step('setDeviceStatusRemembered', {});

	// The remembered device skips MFA.
	const b2 = new CognitoUser({ Username: username, Pool: poolIn(second), Storage: second });
	const rememberedCalls = recorded(b2);
	const remembered = await authenticate(b2);
	step('authenticateUser(remembered device)', {
		kind: remembered.kind, deviceKey: b2.deviceKey, challenges: rememberedCalls.map((c) => c.challenge).join(','),
		accessDeviceKey: remembered.session && remembered.session.getAccessToken().payload.device_key,
	});
}

main().then(() => step('done', {}), (err) => {
	console.log(JSON.stringify({ step: 'failed', error: `${err.code || ''} ${err.message || err}` }));
	process.exit(1);
});
