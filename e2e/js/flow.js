// flow.js runs one user's life through amazon-cognito-identity-js against a
// live cognate: sign-up, confirmation with the code the server delivered,
// USER_SRP_AUTH sign-in, a refresh, a password change, a sign-in with the new
// password, and a global sign-out after which the old access token is
// refused. It prints one JSON line per step and exits non-zero on the first
// unexpected result. js_test.go starts cognate and runs it.
//
// Environment: COGNATE_ENDPOINT (e.g. http://127.0.0.1:9229), POOL_ID,
// CLIENT_ID, USERNAME, EMAIL, PASSWORD, NEW_PASSWORD.
'use strict';

const {
	CognitoUserPool, CognitoUser, AuthenticationDetails, CognitoUserAttribute,
} = require('amazon-cognito-identity-js');

const env = (name) => {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set`);
	return v;
};

const endpoint = env('COGNATE_ENDPOINT');
const pool = new CognitoUserPool({ UserPoolId: env('POOL_ID'), ClientId: env('CLIENT_ID'), endpoint });
const username = env('USERNAME');
const email = env('EMAIL');
const password = env('PASSWORD');
const newPassword = env('NEW_PASSWORD');

const step = (name, detail) => console.log(JSON.stringify({ step: name, ...detail }));

function promisify(fn) {
	return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
}

async function deliveredCode() {
	for (let i = 0; i < 50; i++) {
		const res = await fetch(`${endpoint}/_cognate/messages?to=${encodeURIComponent(email)}`);
		const body = await res.json();
		for (const m of body.messages || []) {
			const match = /\b(\d{6})\b/.exec(m.body);
			if (match && m.purpose !== 'invitation') return match[1];
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error('no code was delivered');
}

function signIn(user, pw) {
	const details = new AuthenticationDetails({ Username: username, Password: pw });
	return new Promise((resolve, reject) => user.authenticateUser(details, {
		onSuccess: resolve,
		onFailure: reject,
		newPasswordRequired: () => reject(new Error('unexpected NEW_PASSWORD_REQUIRED')),
	}));
}

async function main() {
	const attrs = [new CognitoUserAttribute({ Name: 'email', Value: email })];
	const signUp = await promisify((cb) => pool.signUp(username, password, attrs, null, cb));
	step('signUp', { userConfirmed: signUp.userConfirmed, userSub: signUp.userSub, medium: signUp.codeDeliveryDetails && signUp.codeDeliveryDetails.DeliveryMedium });
	if (signUp.userConfirmed) throw new Error('a new user is confirmed before its code');

	const user = new CognitoUser({ Username: username, Pool: pool });
	const code = await deliveredCode();
	const confirmed = await promisify((cb) => user.confirmRegistration(code, true, cb));
	step('confirmRegistration', { result: confirmed });

	const session = await signIn(user, password);
	const access = session.getAccessToken();
	if (access.payload.username !== username && access.payload.username !== signUp.userSub) {
		throw new Error(`access token username ${access.payload.username}`);
	}
	step('authenticateUser', { tokenUse: access.payload.token_use, sub: access.payload.sub, idEmail: session.getIdToken().payload.email });

	const refreshed = await promisify((cb) => user.refreshSession(session.getRefreshToken(), cb));
	step('refreshSession', { sameSub: refreshed.getAccessToken().payload.sub === access.payload.sub, newToken: refreshed.getAccessToken().getJwtToken() !== access.getJwtToken() });

	const attributes = await promisify((cb) => user.getUserAttributes(cb));
	step('getUserAttributes', { email: (attributes.find((a) => a.getName() === 'email') || {}).Value });

	const changed = await promisify((cb) => user.changePassword(password, newPassword, cb));
	step('changePassword', { result: changed });

	const again = await signIn(new CognitoUser({ Username: username, Pool: pool }), newPassword);
	step('authenticateUser(new password)', { tokenUse: again.getAccessToken().payload.token_use });

	let oldRefused = false;
	try {
		await signIn(new CognitoUser({ Username: username, Pool: pool }), password);
	} catch (err) {
		oldRefused = err.code === 'NotAuthorizedException';
	}
	if (!oldRefused) throw new Error('the old password still signs in');
	step('authenticateUser(old password)', { refused: true });

	const oldAccess = user.getSignInUserSession().getAccessToken().getJwtToken();
	await new Promise((resolve, reject) => user.globalSignOut({ onSuccess: resolve, onFailure: reject }));
	step('globalSignOut', {});

	// The library forgets its session on sign-out; ask the server directly
	// with the token it held.
	let revoked = '';
	try {
		await promisify((cb) => pool.client.request('GetUser', { AccessToken: oldAccess }, cb));
	} catch (err) {
		revoked = `${err.code}: ${err.message}`;
	}
	if (revoked !== 'NotAuthorizedException: Access Token has been revoked') {
		throw new Error(`after global sign-out the old access token got: ${revoked || 'success'}`);
	}
	step('getUserAttributes(after sign-out)', { error: revoked });
}

main().then(() => step('done', {}), (err) => {
	console.log(JSON.stringify({ step: 'failed', error: `${err.code || ''} ${err.message || err}` }));
	process.exit(1);
});
