// Package cognito is the leaf vocabulary of cognate: Cognito exception names
// as typed errors, the operation table types shared by both services,
// identifiers such as pool IDs and ARNs, and the caller's identity (Caller,
// AccessGrant) that the edges establish and every engine takes.
//
// It imports only the standard library. The subpackages idp and identity hold
// the wire types, enums, constraint checks and operation tables generated from
// AWS's published service models (see internal/cognito/gen); they import only
// this package.
package cognito
