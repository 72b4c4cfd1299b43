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
	CustomEmailSender           = "CustomEmailSender"
	CustomSMSSender             = "CustomSMSSender"
	InboundFederation           = "InboundFederation"
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

// CustomMessageEvent is the CustomMessage event as Cognito sends it:
// aws-lambda-go's CognitoEventUserPoolsCustomMessage, whose request lacks
// linkParameter and cannot leave usernameParameter null, and whose
// response Cognito sends with null members. Functions decode it into
// aws-lambda-go's type unchanged; the answer is read back into that type.
type CustomMessageEvent struct {
	events.CognitoEventUserPoolsHeader
	Request  CustomMessageRequest  `json:"request"`
	Response CustomMessageResponse `json:"response"`
}

// CustomMessageRequest is aws-lambda-go's request with linkParameter, and
// usernameParameter null but in CustomMessage_AdminCreateUser.
type CustomMessageRequest struct {
	events.CognitoEventUserPoolsCustomMessageRequest
	// UsernameParameter shadows the embedded member so that it can be
	// null.
	UsernameParameter *string `json:"usernameParameter"`
	LinkParameter     string  `json:"linkParameter"`
}

// CustomMessageResponse is the response as Cognito sends it: every member
// null, for the function to fill.
type CustomMessageResponse struct {
	SMSMessage   *string `json:"smsMessage"`
	EmailMessage *string `json:"emailMessage"`
	EmailSubject *string `json:"emailSubject"`
}

// The request types of the custom sender events (LambdaVersion V1_0).
const (
	CustomEmailSenderRequestV1 = "customEmailSenderRequestV1"
	CustomSMSSenderRequestV1   = "customSMSSenderRequestV1"
)

// CustomSenderEvent is the event of CustomEmailSender and CustomSMSSender,
// as Cognito documents it (aws-lambda-go has no type for it): the header
// and a request whose code is the message's code or temporary password
// encrypted in the AWS Encryption SDK's format under the pool's KMSKeyID
// (EncryptCode), in base64; null when the message carries none. Cognito
// reads nothing of the answer.
type CustomSenderEvent struct {
	events.CognitoEventUserPoolsHeader
	Request CustomSenderRequest `json:"request"`
}

// CustomSenderRequest is the request of a custom sender event.
type CustomSenderRequest struct {
	// Type is CustomEmailSenderRequestV1 or CustomSMSSenderRequestV1.
	Type           string            `json:"type"`
	Code           *string           `json:"code"`
	ClientMetadata map[string]string `json:"clientMetadata"`
	UserAttributes map[string]string `json:"userAttributes"`
}
