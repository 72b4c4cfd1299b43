// mfa.js signs users in with a TOTP second factor through
// amazon-cognito-identity-js against a live cognate. In a pool where MFA is
// OPTIONAL: a user signs in, associates a software token with its access
// token (associateSoftwareToken), verifies it (verifySoftwareToken), makes
// it its preferred factor (setUserMfaPreference), and signs in again
// answering totpRequired (sendMFACode). In a pool where MFA is ON: a new
// user's sign-in gets mfaSetup, and associateSoftwareToken and
// verifySoftwareToken with the flow's Session finish it. The codes are
// computed here as an authenticator app does (RFC 6238: HMAC-SHA1, 30-second
// steps, 6 digits); each is accepted once, so the sign-in answers with the
// code of the next step, within the one step of drift the server allows.
// It prints one JSON line per step and exits non-zero on the first
// unexpected result. mfa_test.go starts cognate and runs it.
//
// Environment: COGNATE_ENDPOINT, POOL_ID, CLIENT_ID (MFA OPTIONAL),
// ON_POOL_ID, ON_CLIENT_ID (MFA ON), USERNAME, PASSWORD.
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

function base32(s) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const c of s.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
	const out = [];
	for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
	return Buffer.from(out);
}

// totp is the code of secret for the time step of ms (milliseconds).
function totp(secret, ms) {
	const counter = Buffer.alloc(8);
	counter.writeBigUInt64BE(BigInt(Math.floor(ms / 30000)));
	const h = crypto.createHmac('sha1', base32(secret)).update(counter).digest();
	const o = h[h.length - 1] & 0xf;
	const n = (((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) % 1000000;
	return String(n).padStart(6, '0');
}

function authenticate(user, handlers) {
	const details = new AuthenticationDetails({ Username: username, Password: password });
	return new Promise((resolve, reject) => user.authenticateUser(details, {
		onSuccess: (session) => resolve({ kind: 'tokens', session }),
		onFailure: reject,
		totpRequired: (name) => resolve({ kind: 'totpRequired', name }),
		mfaSetup: (name, params) => resolve({ kind: 'mfaSetup', name, params }),
		mfaRequired: (name) => resolve({ kind: 'mfaRequired', name }),
		selectMFAType: (name) => resolve({ kind: 'selectMFAType', name }),
		newPasswordRequired: () => reject(new Error('unexpected NEW_PASSWORD_REQUIRED')),
		...handlers,
	}));
}

const associate = (user) => new Promise((resolve, reject) => user.associateSoftwareToken({ associateSecretCode: resolve, onFailure: reject }));
const verify = (user, code) => new Promise((resolve, reject) => user.verifySoftwareToken(code, 'js-authenticator', { onSuccess: resolve, onFailure: reject }));

async function main() {
	const pool = new CognitoUserPool({ UserPoolId: env('POOL_ID'), ClientId: env('CLIENT_ID'), endpoint });
	const user = new CognitoUser({ Username: username, Pool: pool });
	const first = await authenticate(user);
	if (first.kind !== 'tokens') throw new Error(`first sign-in: ${first.kind}`);
	step('authenticateUser', { kind: first.kind });

	const secret = await associate(user);
	step('associateSoftwareToken', { secretLength: secret.length });
	const verified = await verify(user, totp(secret, Date.now()));
	step('verifySoftwareToken', { status: verified && verified.Status });

	const pref = await new Promise((resolve, reject) => user.setUserMfaPreference(null, { PreferredMfa: true, Enabled: true }, (err, res) => (err ? reject(err) : resolve(res))));
	step('setUserMfaPreference', { result: pref });

	const again = new CognitoUser({ Username: username, Pool: pool });
	const challenged = await authenticate(again);
	step('authenticateUser(mfa)', { kind: challenged.kind, name: challenged.name });
	if (challenged.kind !== 'totpRequired') throw new Error(`second sign-in: ${challenged.kind}`);
	let wrong = '';
	try {
		await new Promise((resolve, reject) => again.sendMFACode('000000', { onSuccess: resolve, onFailure: reject }, 'SOFTWARE_TOKEN_MFA'));
	} catch (err) {
		wrong = err.code;
	}
	step('sendMFACode(wrong)', { error: wrong });
	const session = await new Promise((resolve, reject) => again.sendMFACode(totp(secret, Date.now() + 30000), { onSuccess: resolve, onFailure: reject }, 'SOFTWARE_TOKEN_MFA'));
	step('sendMFACode', { tokenUse: session.getAccessToken().payload.token_use, sameSub: session.getAccessToken().payload.sub === first.session.getAccessToken().payload.sub });

	// MFA ON: the first sign-in sets the token up with the flow's Session.
	const onPool = new CognitoUserPool({ UserPoolId: env('ON_POOL_ID'), ClientId: env('ON_CLIENT_ID'), endpoint });
	const newcomer = new CognitoUser({ Username: username, Pool: onPool });
	const setup = await authenticate(newcomer);
	step('authenticateUser(on)', { kind: setup.kind, name: setup.name, canSetup: setup.params && setup.params.MFAS_CAN_SETUP });
	if (setup.kind !== 'mfaSetup') throw new Error(`sign-in in an ON pool: ${setup.kind}`);
	const onSecret = await associate(newcomer);
	const onSession = await verify(newcomer, totp(onSecret, Date.now()));
	step('verifySoftwareToken(session)', { tokenUse: onSession.getAccessToken().payload.token_use });
}

main().then(() => step('done', {}), (err) => {
	console.log(JSON.stringify({ step: 'failed', error: `${err.code || ''} ${err.message || err}` }));
	process.exit(1);
});
