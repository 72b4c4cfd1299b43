// Package js runs amazon-cognito-identity-js, the client library Amplify and
// most browser apps sign in with, against a live cognate process: npm
// installs the pinned library, Node runs flow.js, and the test checks every
// step it reports. identitypool.js does the same for the three steps of a
// Cognito application with the AWS SDK for JavaScript v3: a user-pool
// sign-in, the fromCognitoIdentityPool credential provider, and
// GetCallerIdentity signed with the credentials it got from cognate's STS.
package js
