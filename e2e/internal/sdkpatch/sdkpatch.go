// Package sdkpatch adds to the AWS SDK for Go v2's requests the members of
// Cognito's newer API model that the SDK release in go.mod does not have
// yet, for the end-to-end suites that call cognate through the SDK
// (e2e/sdk, e2e/js). It imports nothing of cognate, so a black-box suite
// may use it.
package sdkpatch

import (
	"bytes"
	"context"
	"encoding/json"
	"io"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// WithHashingAlgorithm adds PasswordHashingAlgorithm, a member of the
// model of August 2026, to a CreateUserImportJob request: it is added to
// the serialized body before the request is signed.
func WithHashingAlgorithm(alg string) func(*cip.Options) {
	return func(o *cip.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Build.Add(middleware.BuildMiddlewareFunc("PasswordHashingAlgorithm", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				req := in.Request.(*smithyhttp.Request)
				raw, err := io.ReadAll(req.GetStream())
				if err != nil {
					return middleware.BuildOutput{}, middleware.Metadata{}, err
				}
				var body map[string]any
				if err := json.Unmarshal(raw, &body); err != nil {
					return middleware.BuildOutput{}, middleware.Metadata{}, err
				}
				body["PasswordHashingAlgorithm"] = alg
				raw, _ = json.Marshal(body)
				if in.Request, err = req.SetStream(bytes.NewReader(raw)); err != nil {
					return middleware.BuildOutput{}, middleware.Metadata{}, err
				}
				in.Request.(*smithyhttp.Request).ContentLength = int64(len(raw))
				return next.HandleBuild(ctx, in)
			}), middleware.After)
		})
	}
}
