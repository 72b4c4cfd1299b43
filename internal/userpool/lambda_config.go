package userpool

import (
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// lambdaConfig checks the LambdaConfig of CreateUserPool or UpdateUserPool
// (whose ARNs the wire validation has checked against the ARN pattern) and
// returns it as DescribeUserPool shows it: PreTokenGeneration and
// PreTokenGenerationConfig name the same function, the version V1_0 when
// only PreTokenGeneration is given. AWS documents that an ARN in both
// must be the same; the messages of the refusals are cognate's.
func lambdaConfig(in *idp.LambdaConfigType, tier idp.UserPoolTierType) (*idp.LambdaConfigType, error) {
	if in == nil {
		return &idp.LambdaConfigType{}, nil
	}
	lc := *in
	arn := cognito.Deref(lc.PreTokenGeneration)
	switch c := lc.PreTokenGenerationConfig; {
	case c != nil:
		cfgARN := cognito.Deref(c.LambdaArn)
		if arn != "" && arn != cfgARN {
			return nil, cognito.InvalidParameterException("PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must be the same function.")
		}
		version := cognito.Deref(c.LambdaVersion)
		if version != "V1_0" && tier == "LITE" {
			return nil, cognito.FeatureUnavailableInTierException("Access token customization (PreTokenGenerationConfig " + string(version) + ") is not available in the LITE tier.")
		}
		lc.PreTokenGeneration = cognito.Ptr(cfgARN)
		lc.PreTokenGenerationConfig = &idp.PreTokenGenerationVersionConfigType{LambdaArn: cognito.Ptr(cfgARN), LambdaVersion: cognito.Ptr(version)}
	case arn != "":
		lc.PreTokenGenerationConfig = &idp.PreTokenGenerationVersionConfigType{
			LambdaArn: cognito.Ptr(arn), LambdaVersion: cognito.Ptr(idp.PreTokenGenerationLambdaVersionType("V1_0")),
		}
	}
	if (lc.CustomEmailSender != nil || lc.CustomSMSSender != nil) && cognito.Deref(lc.KMSKeyID) == "" {
		return nil, cognito.InvalidParameterException("KMSKeyID is required with CustomEmailSender or CustomSMSSender.")
	}
	return &lc, nil
}
