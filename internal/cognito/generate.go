package cognito

//go:generate go run ./gen -models gen/models
