package cognito

//go:generate go run ./gen -models ../../../shared/models
