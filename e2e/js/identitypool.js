// identitypool.js runs the three steps of a Cognito application with the
// AWS SDK for JavaScript v3 against a live cognate: a user signs in to the
// user pool with amazon-cognito-identity-js (USER_SRP_AUTH), the
// fromCognitoIdentityPool credential provider trades the ID token for
// temporary credentials through the identity pool (GetId, then
// GetCredentialsForIdentity), and the STS client calls GetCallerIdentity
// signed with those credentials. It prints one JSON line per step and
// exits non-zero on the first failure. js_test.go starts cognate and runs
// it.
//
// Environment: COGNATE_ENDPOINT, REGION, POOL_ID, CLIENT_ID,
// IDENTITY_POOL_ID, USERNAME, PASSWORD.
'use strict';

const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require('amazon-cognito-identity-js');
const { fromCognitoIdentityPool } = require('@aws-sdk/credential-providers');
const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');

const env = (name) => {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set`);
	return v;
};

const endpoint = env('COGNATE_ENDPOINT');
const region = env('REGION');
const poolId = env('POOL_ID');
const step = (name, detail) => console.log(JSON.stringify({ step: name, ...detail }));

function signIn() {
	const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: env('CLIENT_ID'), endpoint });
	const user = new CognitoUser({ Username: env('USERNAME'), Pool: pool });
	const details = new AuthenticationDetails({ Username: env('USERNAME'), Password: env('PASSWORD') });
	return new Promise((resolve, reject) => user.authenticateUser(details, {
		onSuccess: resolve,
		onFailure: reject,
		newPasswordRequired: () => reject(new Error('unexpected NEW_PASSWORD_REQUIRED')),
	}));
}

async function main() {
	const session = await signIn();
	const idToken = session.getIdToken().getJwtToken();
	step('signIn', { tokenUse: session.getIdToken().decodePayload().token_use });

	// The Logins key the SDKs and Amplify build for a user pool.
	const logins = { [`cognito-idp.${region}.amazonaws.com/${poolId}`]: idToken };
	const provider = fromCognitoIdentityPool({
		identityPoolId: env('IDENTITY_POOL_ID'),
		logins,
		clientConfig: { region, endpoint },
	});
	const creds = await provider();
	step('fromCognitoIdentityPool', {
		identityId: creds.identityId,
		accessKeyPrefix: creds.accessKeyId.slice(0, 4),
		hasSecret: creds.secretAccessKey.length > 0,
		hasSessionToken: (creds.sessionToken || '').length > 0,
		expiresInMinutes: Math.round((creds.expiration.getTime() - Date.now()) / 60000),
	});

	const sts = new STSClient({ region, endpoint, credentials: provider });
	const who = await sts.send(new GetCallerIdentityCommand({}));
	step('getCallerIdentity', { arn: who.Arn, account: who.Account, userId: who.UserId });

	// The credentials authorize nothing on the Cognito APIs.
	const { CognitoIdentityProviderClient, ListUserPoolsCommand } = require('@aws-sdk/client-cognito-identity-provider');
	const idp = new CognitoIdentityProviderClient({ region, endpoint, credentials: provider });
	try {
		await idp.send(new ListUserPoolsCommand({ MaxResults: 10 }));
		step('listUserPools', { error: '' });
	} catch (err) {
		step('listUserPools', { error: err.name });
	}
	step('done', {});
}

main().catch((err) => {
	step('error', { name: err.name, message: err.message });
	process.exit(1);
});
