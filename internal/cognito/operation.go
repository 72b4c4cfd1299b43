package cognito

// Auth says how an operation is authorized.
type Auth int

const (
	// AuthIAM operations need an AWS Signature Version 4 made with a
	// configured access key.
	AuthIAM Auth = iota
	// AuthPublic operations are unsigned; they name a client or pool.
	AuthPublic
	// AuthAccessToken operations are unsigned and carry a user's access token.
	AuthAccessToken
)

func (a Auth) String() string {
	switch a {
	case AuthIAM:
		return "iam"
	case AuthPublic:
		return "public"
	case AuthAccessToken:
		return "access-token"
	}
	return "unknown"
}

// Input is a decoded request body that checks the model's constraints.
type Input interface {
	// Validate returns an InvalidParameterException that lists every
	// constraint the input breaks, or nil.
	Validate() error
}

// Operation describes one operation of a service model.
type Operation struct {
	// Service is the X-Amz-Target prefix, e.g. AWSCognitoIdentityProviderService.
	Service string
	// Name is the operation name, e.g. CreateUserPool.
	Name string
	// Auth says how the operation is authorized.
	Auth Auth
	// NewInput returns a pointer to a zero input structure.
	NewInput func() Input
	// Errors lists the exception names the model declares for it.
	Errors []string
}

// Empty is the output of operations whose model declares none; it is sent
// as an empty JSON object.
type Empty struct{}
