// Package js runs amazon-cognito-identity-js, the client library Amplify and
// most browser apps sign in with, against a live cognate process: npm
// installs the pinned library, Node runs flow.js, and the test checks every
// step it reports.
package js
