package triggers

import (
	"github.com/aws/aws-lambda-go/events"
)

// The names of the triggers, as the members of LambdaConfig name them;
// Cognito's error messages start with them.
const (
	PreSignUp                   = "PreSignUp"
	CustomMessage               = "CustomMessage"
	PostConfirmation            = "PostConfirmation"
	PreAuthentication           = "PreAuthentication"
	PostAuthentication          = "PostAuthentication"
	DefineAuthChallenge         = "DefineAuthChallenge"
	CreateAuthChallenge         = "CreateAuthChallenge"
	VerifyAuthChallengeResponse = "VerifyAuthChallengeResponse"
	PreTokenGeneration          = "PreTokenGeneration"
	UserMigration               = "UserMigration"
)

// SDKVersionUnknown is the callerContext.awsSdkVersion Cognito sends when
// the request does not say which SDK made it.
const SDKVersionUnknown = "aws-sdk-unknown-unknown"

// Header is the envelope every event carries. version is "1" for every
// trigger but PreTokenGeneration V2_0 ("2") and V3_0 ("3").
func Header(version, source, region, poolID, clientID, userName string) events.CognitoEventUserPoolsHeader {
	return events.CognitoEventUserPoolsHeader{
		Version: version, TriggerSource: source, Region: region, UserPoolID: poolID, UserName: userName,
		CallerContext: events.CognitoEventUserPoolsCallerContext{AWSSDKVersion: SDKVersionUnknown, ClientID: clientID},
	}
}
