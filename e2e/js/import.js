// import.js signs in, through amazon-cognito-identity-js, a user that a
// user import job brought with a password hash from another directory
// (import_test.go imports it): USER_SRP_AUTH is refused while the server
// has no SRP verifier for the user, USER_PASSWORD_AUTH checks the imported
// hash and replaces it with the pool's own, and USER_SRP_AUTH works from
// then on. It prints one JSON line per step and exits non-zero on the first
// unexpected result.
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

function signIn(flow) {
	const user = new CognitoUser({ Username: username, Pool: pool });
	user.setAuthenticationFlowType(flow);
	const details = new AuthenticationDetails({ Username: username, Password: password });
	return new Promise((resolve, reject) => user.authenticateUser(details, {
		onSuccess: resolve,
		onFailure: reject,
		newPasswordRequired: () => reject(new Error('unexpected NEW_PASSWORD_REQUIRED')),
	}));
}

async function main() {
	try {
		await signIn('USER_SRP_AUTH');
		throw new Error('SRP signed an imported user in before any password sign-in');
	} catch (err) {
		if (err.code !== 'NotAuthorizedException') throw err;
		step('srpBeforePasswordSignIn', { error: `${err.code}: ${err.message}` });
	}
	const first = await signIn('USER_PASSWORD_AUTH');
	step('userPasswordAuth', { tokenUse: first.getAccessToken().payload.token_use, username: first.getAccessToken().payload.username });
	const srp = await signIn('USER_SRP_AUTH');
	step('srpAfterPasswordSignIn', { tokenUse: srp.getAccessToken().payload.token_use, sameSub: srp.getAccessToken().payload.sub === first.getAccessToken().payload.sub });
	step('done', {});
}

main().catch((err) => {
	console.error(err && err.stack ? err.stack : err);
	process.exit(1);
});
