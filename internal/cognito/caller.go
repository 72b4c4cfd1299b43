package cognito

// Caller is who makes a request, as the edge established it. The edges
// build it (from the SigV4 signature, the pool ID or an access token) and
// every engine takes it, so it lives in the vocabulary they share.
type Caller struct {
	// Region is the region the request addresses: the region of its SigV4
	// signing scope, or for unsigned requests the region of the pool ID.
	Region string
	// AccessKeyID is the signing key of an IAM-authorized request.
	AccessKeyID string
	// Access is the verified access token of an operation authorized by
	// one (GetUser, ChangePassword, …); nil otherwise.
	Access *AccessGrant
}

// AccessGrant is what a verified, unrevoked access token establishes about
// its caller. The edge obtains it from the sign-in engine before calling an
// access-token operation.
type AccessGrant struct {
	PoolID, ClientID string
	// Sub and Username identify the signed-in user.
	Sub, Username string
	// Scopes are the token's scopes; self-service operations need
	// aws.cognito.signin.user.admin.
	Scopes []string
	// JTI and OriginJTI identify the token and its refresh-token family.
	JTI, OriginJTI string
	// Principal is what authenticating the token read of its pool and
	// user (the directory's NewPrincipal), which the operation the token
	// authorizes uses instead of reading them a second time; nil makes it
	// read the store.
	Principal Principal
}

// Principal is what the engine that authenticated an access token read of
// the token's pool and user, carried with the grant to the operation the
// token authorizes. Only the engine that made it looks inside; PrincipalOf
// names the pool and the user it holds, so that it is never taken for
// another grant's.
type Principal interface {
	PrincipalOf() (poolID, sub string)
}
