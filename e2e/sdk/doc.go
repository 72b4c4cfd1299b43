// Package sdk holds cognate's black-box tests through the AWS SDK for Go v2:
// a real listening cognate (httptest) on SQLite and on PostgreSQL, driven by
// the cognitoidentityprovider and cognitoidentity clients with BaseEndpoint
// and static credentials. Failures are asserted as the SDK's typed
// exceptions, which proves the error mapping from the client's side.
package sdk
