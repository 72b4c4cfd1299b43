// Package idp holds the generated wire types of the Amazon Cognito user
// pools service (cognito-idp, X-Amz-Target prefix
// AWSCognitoIdentityProviderService): one struct per structure shape, one
// string type per enum, Validate methods that check the model's constraints
// and report them the way AWS does, and the operation table.
//
// Everything but this file is written by internal/cognito/gen from the
// published service model; run go generate in internal/cognito to refresh
// it. The package imports only the standard library and internal/cognito.
package idp
