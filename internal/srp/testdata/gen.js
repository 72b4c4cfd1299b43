// gen.js writes vectors.json: Cognito SRP exchanges in which the client side
// is computed by amazon-cognito-identity-js itself (the version pinned in
// package.json), so that srp_test.go can check cognate's server against the
// library that Amplify and most browser apps sign in with.
//
//   cd internal/srp/testdata && npm install && node gen.js > vectors.json
//
// For each case the script fixes the server's values (salt, verifier, the
// private exponent b, SECRET_BLOCK) and the client's random values (a, the
// clock), then runs CognitoUser.authenticateUser with the USER_SRP_AUTH flow
// against a stub in place of the HTTP client: the stub answers InitiateAuth
// with a PASSWORD_VERIFIER challenge and records the RespondToAuthChallenge
// request. SRP_A, TIMESTAMP and PASSWORD_CLAIM_SIGNATURE in the vectors are
// therefore exactly what the library sends. The verifier and B are computed
// here with the library's own BigInteger and hash helpers, and the script
// checks that the server's S, (A * v^u)^b, equals the client's.
//
// Every value is derived from SHA-256 of fixed labels, so the output is the
// same on every run.
'use strict';

const crypto = require('crypto');
const lib = require('amazon-cognito-identity-js');
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger').default;
const libVersion = require('amazon-cognito-identity-js/package.json').version;

const { AuthenticationHelper, CognitoUser, CognitoUserPool } = lib;

// det returns n bytes derived from label.
function det(label, n) {
	const out = [];
	for (let i = 0; Buffer.concat(out).length < n; i++) {
		out.push(crypto.createHash('sha256').update(`${label}/${i}`).digest());
	}
	return Buffer.concat(out).subarray(0, n);
}

function big(buf) {
	return new BigInteger(buf.toString('hex'), 16);
}

// The client's random a is fixed by replacing the helper's generator;
// helpers made only for their constants get a fixed placeholder.
let fixedSmallA = null;
AuthenticationHelper.prototype.generateRandomSmallA = function () {
	return fixedSmallA === null ? big(det('placeholder a', 128)) : fixedSmallA;
};

// withClock runs fn with new Date() and Date.now() returning ms.
function withClock(ms, fn) {
	const RealDate = Date;
	global.Date = class extends RealDate {
		constructor(...args) {
			if (args.length === 0) super(ms);
			else super(...args);
		}
		static now() {
			return ms;
		}
	};
	try {
		return fn();
	} finally {
		global.Date = RealDate;
	}
}

function memoryStorage() {
	const m = new Map();
	return {
		setItem: (k, v) => m.set(k, String(v)),
		getItem: k => (m.has(k) ? m.get(k) : null),
		removeItem: k => m.delete(k),
		clear: () => m.clear(),
	};
}

// signIn runs the library's USER_SRP_AUTH sign-in against a stub that
// answers with challenge and returns what the library sent.
function signIn(c, password, challenge) {
	const pool = new CognitoUserPool({ UserPoolId: c.poolId, ClientId: 'vectorclient' });
	const sent = {};
	pool.client.request = (op, params, callback) => {
		if (op === 'InitiateAuth') {
			sent.initiate = params;
			callback(null, {
				ChallengeName: 'PASSWORD_VERIFIER',
				ChallengeParameters: challenge,
				Session: 'session',
			});
		} else if (op === 'RespondToAuthChallenge') {
			sent.respond = params;
			callback(new Error('vector recorded'), null);
		} else {
			throw new Error(`unexpected operation ${op}`);
		}
	};
	const user = new CognitoUser({ Username: c.loginName, Pool: pool, Storage: memoryStorage() });
	user.setAuthenticationFlowType('USER_SRP_AUTH');
	let failure = null;
	withClock(c.time, () => {
		user.authenticateUser(new lib.AuthenticationDetails({ Username: c.loginName, Password: password }), {
			onSuccess: () => {
				failure = new Error('unexpected success');
			},
			onFailure: err => {
				failure = err;
			},
		});
	});
	if (!failure || failure.message !== 'vector recorded' || !sent.respond) {
		throw new Error(`sign-in did not reach RespondToAuthChallenge: ${failure && failure.stack}`);
	}
	if (sent.initiate.AuthFlow !== 'USER_SRP_AUTH' || sent.respond.ChallengeName !== 'PASSWORD_VERIFIER') {
		throw new Error('unexpected requests');
	}
	return { initiate: sent.initiate.AuthParameters, respond: sent.respond.ChallengeResponses };
}

function modPow(base, e, m) {
	let out;
	base.modPow(e, m, (err, r) => {
		if (err) throw err;
		out = r;
	});
	return out;
}

// makeVector builds one case. pickA and pickB choose among candidate
// exponents so that a case can require, say, an odd-length SRP_A.
function makeVector(c) {
	const helper = new AuthenticationHelper('unused');
	const N = helper.N;
	const g = helper.g;
	const k = helper.k;
	const poolName = c.poolId.split('_')[1];

	// Server: the user's verifier, made the way the client derives x.
	const salt = Buffer.from(c.saltHex, 'hex');
	const saltBI = new BigInteger(c.saltHex, 16);
	const x = new BigInteger(
		helper.hexHash(helper.padHex(saltBI) + helper.hash(`${poolName}${c.userId}:${c.password}`)),
		16
	);
	const v = modPow(g, x, N);

	// Server: b and B = (k*v + g^b) mod N.
	let b;
	let B;
	for (let i = 0; ; i++) {
		const bBytes = det(`${c.name}/b/${i}`, 48);
		b = big(bBytes);
		B = k.multiply(v).add(modPow(g, b, N)).mod(N);
		if (!c.pickB || c.pickB(B.toString(16))) break;
	}

	// Client: a and A = g^a mod N.
	let a;
	let A;
	for (let i = 0; ; i++) {
		a = big(det(`${c.name}/a/${i}`, 128));
		A = modPow(g, a, N);
		if (!c.pickA || c.pickA(A.toString(16))) break;
	}
	fixedSmallA = a;

	const secretBlock = det(`${c.name}/secret-block`, c.secretBlockLen);
	const challenge = {
		SALT: c.saltHex,
		SRP_B: B.toString(16),
		SECRET_BLOCK: secretBlock.toString('base64'),
		USER_ID_FOR_SRP: c.userId,
		USERNAME: c.userId,
	};
	const good = signIn(c, c.password, challenge);
	const wrong = signIn(c, c.wrongPassword, challenge);

	// Intermediate values, from a helper holding the same a.
	const h = new AuthenticationHelper(poolName);
	let hkdf;
	h.getPasswordAuthenticationKey(c.userId, c.password, B, saltBI, (err, key) => {
		if (err) throw err;
		hkdf = key;
	});
	const u = h.UValue;
	let clientS;
	h.calculateS(x, B, (err, s) => {
		if (err) throw err;
		clientS = s;
	});
	const serverS = modPow(A.multiply(modPow(v, u, N)).mod(N), b, N);
	if (!serverS.equals(clientS)) throw new Error(`${c.name}: server S differs from client S`);
	if (good.initiate.SRP_A !== A.toString(16)) throw new Error(`${c.name}: SRP_A differs`);
	if (good.respond.USERNAME !== c.userId) throw new Error(`${c.name}: response USERNAME is not USER_ID_FOR_SRP`);
	fixedSmallA = null;

	return {
		name: c.name,
		pool_id: c.poolId,
		pool_name: poolName,
		login_name: c.loginName,
		user_id_for_srp: c.userId,
		password: c.password,
		wrong_password: c.wrongPassword,
		salt: c.saltHex,
		x: x.toString(16),
		verifier: v.toString(16),
		a: a.toString(16),
		srp_a: good.initiate.SRP_A,
		b: b.toString(16).padStart(96, '0'),
		srp_b: challenge.SRP_B,
		u: u.toString(16),
		s: clientS.toString(16),
		hkdf_key: Buffer.from(hkdf).toString('hex'),
		secret_block: challenge.SECRET_BLOCK,
		time_unix_ms: c.time,
		timestamp: good.respond.TIMESTAMP,
		signature: good.respond.PASSWORD_CLAIM_SIGNATURE,
		wrong_password_timestamp: wrong.respond.TIMESTAMP,
		wrong_password_signature: wrong.respond.PASSWORD_CLAIM_SIGNATURE,
	};
}

const hex = (label, n) => det(label, n).toString('hex');

const crafted = [
	{
		name: 'plain',
		poolId: 'us-east-1_AbCdEfGhI',
		loginName: 'alice',
		userId: 'alice',
		password: 'Correct-Horse-1',
		saltHex: hex('plain/salt', 16),
		time: Date.UTC(2026, 10, 5, 8, 3, 9), // Thu Nov 5: a one-digit day
	},
	{
		name: 'salt with a leading zero byte',
		poolId: 'eu-west-1_Zz9',
		loginName: 'bob',
		userId: 'bob',
		password: 'p@ssw0rd!',
		saltHex: '00' + hex('zero-salt', 15),
		time: Date.UTC(2025, 0, 31, 23, 59, 59),
	},
	{
		name: 'salt with the high bit set',
		poolId: 'ap-southeast-2_Q1w2E3r4T',
		loginName: 'carol',
		userId: 'carol',
		password: 'Hunter22!',
		saltHex: 'ff' + hex('high-salt', 15),
		time: Date.UTC(2024, 1, 29, 0, 0, 0),
	},
	{
		name: 'salt with a leading zero digit',
		poolId: 'us-west-2_abc',
		loginName: 'dave',
		userId: 'dave',
		password: 'Tr0ub4dor&3',
		saltHex: '0a' + hex('nibble-salt', 15),
		time: Date.UTC(2027, 6, 10, 9, 5, 1),
	},
	{
		name: 'unicode username and password',
		poolId: 'eu-central-1_Unic0de',
		loginName: 'josé',
		userId: 'josé',
		password: 'pässwörd✓ 🔐 ß',
		saltHex: hex('unicode/salt', 16),
		time: Date.UTC(2026, 3, 1, 12, 0, 0),
	},
	{
		name: 'longest password',
		poolId: 'us-east-2_LongPw',
		loginName: 'erin',
		userId: 'erin',
		password: 'Aa1!'.repeat(64),
		saltHex: hex('long/salt', 16),
		time: Date.UTC(2026, 11, 25, 18, 30, 45),
	},
	{
		name: 'email alias signs in as the internal username',
		poolId: 'us-east-1_Alias1',
		loginName: 'frank@example.com',
		userId: '3f1c2a9e-7b4d-4e8a-9c1f-0d2b6a5e8f71',
		password: 'Alias-Pass-9',
		saltHex: hex('alias/salt', 16),
		time: Date.UTC(2026, 4, 9, 7, 8, 9),
	},
	{
		name: 'odd-length SRP_A',
		poolId: 'us-east-1_OddA',
		loginName: 'grace',
		userId: 'grace',
		password: 'Odd-A-Pass1',
		saltHex: hex('odda/salt', 16),
		time: Date.UTC(2026, 8, 1, 1, 1, 1),
		pickA: A => A.length % 2 === 1,
	},
	{
		name: 'SRP_A with the high bit set',
		poolId: 'us-east-1_HighA',
		loginName: 'heidi',
		userId: 'heidi',
		password: 'High-A-Pass1',
		saltHex: hex('higha/salt', 16),
		time: Date.UTC(2026, 8, 2, 2, 2, 2),
		pickA: A => A.length === 768 && /^[89a-f]/.test(A),
	},
	{
		name: 'odd-length SRP_B',
		poolId: 'us-east-1_OddB',
		loginName: 'ivan',
		userId: 'ivan',
		password: 'Odd-B-Pass1',
		saltHex: hex('oddb/salt', 16),
		time: Date.UTC(2026, 8, 3, 3, 3, 3),
		pickB: B => B.length % 2 === 1,
	},
	{
		name: 'SRP_B without the high bit',
		poolId: 'us-east-1_LowB',
		loginName: 'judy',
		userId: 'judy',
		password: 'Low-B-Pass1',
		saltHex: hex('lowb/salt', 16),
		time: Date.UTC(2026, 8, 4, 4, 4, 4),
		pickB: B => B.length === 768 && /^[0-7]/.test(B),
	},
];

const random = [];
for (let i = 0; i < 13; i++) {
	const r = det(`random/${i}`, 64);
	const day = 1 + (r[0] % 28);
	random.push({
		name: `random ${i}`,
		poolId: `us-east-1_R${r.subarray(1, 6).toString('hex')}`,
		loginName: `user-${r.subarray(6, 10).toString('hex')}`,
		userId: `user-${r.subarray(6, 10).toString('hex')}`,
		password: r.subarray(10, 10 + 8 + (r[30] % 24)).toString('base64'),
		saltHex: r.subarray(40, 56).toString('hex'),
		time: Date.UTC(2024 + (r[31] % 4), r[32] % 12, day, r[33] % 24, r[34] % 60, r[35] % 60),
	});
}

const vectors = [...crafted, ...random].map(c =>
	makeVector({
		secretBlockLen: 64 + (det(`${c.name}/len`, 1)[0] % 700),
		wrongPassword: c.password + 'x',
		...c,
	})
);

const h = new AuthenticationHelper('unused');
process.stdout.write(
	JSON.stringify(
		{
			comment: 'Generated by gen.js from amazon-cognito-identity-js; do not edit.',
			library: `amazon-cognito-identity-js@${libVersion}`,
			n: h.N.toString(16),
			g: h.g.toString(16),
			k: h.k.toString(16),
			vectors,
		},
		null,
		'\t'
	) + '\n'
);
