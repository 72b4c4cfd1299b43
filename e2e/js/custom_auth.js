// custom_auth.js signs a user in through CUSTOM_AUTH with
// amazon-cognito-identity-js against a live cognate whose pool has
// DefineAuthChallenge, CreateAuthChallenge and VerifyAuthChallengeResponse
// functions: initiateAuth with the customChallenge callback (a wrong answer,
// then the right one), then the SRP-then-custom variant (authenticateUser
// with authenticationFlowType CUSTOM_AUTH and a password: PASSWORD_VERIFIER,
// then the custom challenge), then that variant with a wrong password, and
// last a USER_SRP_AUTH sign-in of a user UserMigration created. It
// prints one JSON line per step and exits non-zero on the first unexpected
// result. custom_auth_test.go starts cognate and the functions and runs it.
//
// Environment: COGNATE_ENDPOINT, POOL_ID, CLIENT_ID, USERNAME, PASSWORD,
// ANSWER (the answer the functions take), MIGRATED_USER and
// MIGRATED_PASSWORD.
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
const answer = env('ANSWER');

const step = (name, detail) => console.log(JSON.stringify({ step: name, ...detail }));

// customCallbacks answers each custom challenge with answers[i] (the last
// one once they run out) and keeps the ChallengeParameters it was given.
function customCallbacks(user, answers, seen, resolve, reject) {
	return {
		onSuccess: resolve,
		onFailure: reject,
		customChallenge(params) {
			seen.push(params);
			user.sendCustomChallengeAnswer(answers[Math.min(seen.length - 1, answers.length - 1)], this, { step: String(seen.length) });
		},
		newPasswordRequired: () => reject(new Error('unexpected NEW_PASSWORD_REQUIRED')),
		totpRequired: () => reject(new Error('unexpected SOFTWARE_TOKEN_MFA')),
		mfaRequired: () => reject(new Error('unexpected SMS_MFA')),
	};
}

function summary(session, seen) {
	const id = session.getIdToken().decodePayload();
	return {
		tokenUse: session.getAccessToken().decodePayload().token_use,
		sub: id.sub,
		user: id['cognito:username'],
		challenges: seen,
	};
}

async function main() {
	const custom = new CognitoUser({ Username: username, Pool: pool });
	custom.setAuthenticationFlowType('CUSTOM_AUTH');
	const seen = [];
	const session = await new Promise((resolve, reject) => custom.initiateAuth(
		new AuthenticationDetails({ Username: username, ClientMetadata: { source: 'js' } }),
		customCallbacks(custom, ['not-the-answer', answer], seen, resolve, reject)));
	step('initiateAuth', summary(session, seen));

	const srp = new CognitoUser({ Username: username, Pool: pool });
	srp.setAuthenticationFlowType('CUSTOM_AUTH');
	const seenSRP = [];
	const srpSession = await new Promise((resolve, reject) => srp.authenticateUser(
		new AuthenticationDetails({ Username: username, Password: password }),
		customCallbacks(srp, [answer], seenSRP, resolve, reject)));
	step('authenticateUser(SRP then custom)', summary(srpSession, seenSRP));

	const wrong = new CognitoUser({ Username: username, Pool: pool });
	wrong.setAuthenticationFlowType('CUSTOM_AUTH');
	const seenWrong = [];
	try {
		await new Promise((resolve, reject) => wrong.authenticateUser(
			new AuthenticationDetails({ Username: username, Password: 'Wrong-Horse-9' }),
			customCallbacks(wrong, [answer], seenWrong, resolve, reject)));
		throw new Error('a wrong password signed in');
	} catch (err) {
		if (err.message === 'a wrong password signed in') throw err;
		step('authenticateUser(wrong password)', { error: `${err.code}: ${err.message}`, challenges: seenWrong.length });
	}
	// A user UserMigration created at a USER_PASSWORD_AUTH sign-in signs in
	// with SRP: the migration made its verifier.
	const migrated = new CognitoUser({ Username: env('MIGRATED_USER'), Pool: pool });
	const migratedSession = await new Promise((resolve, reject) => migrated.authenticateUser(
		new AuthenticationDetails({ Username: env('MIGRATED_USER'), Password: env('MIGRATED_PASSWORD') }),
		{ onSuccess: resolve, onFailure: reject }));
	step('authenticateUser(migrated user, SRP)', summary(migratedSession, []));
	step('done', {});
}

main().catch((err) => {
	console.error(err && err.stack ? err.stack : err);
	process.exit(1);
});
