// Package fn is the handler of the tests' trigger function. It answers
// each Cognito event as a function written for Cognito would, and records
// every event it receives so that a test can compare it field by field
// with the aws-lambda-go type.
//
// What it does is chosen by the event's userName, so one function serves
// every case:
//
//	deny…       returns an error ("Denied by the test function")
//	refreshdeny… returns an error at TokenGeneration_RefreshTokens only
//	slow…       sleeps FN_SLOW (a Go duration, default 2s), then answers
//	string…     answers a JSON string, not an event
//	wrongtype…  answers an event whose response has the wrong types
//	huge…       answers an event of more than 6 MB
//	auto…       at PreSignUp, answers autoConfirmUser and autoVerifyEmail
//	nocode…     at CustomMessage, answers texts without the code
//	            placeholder
//	link…       at CustomMessage, puts the link placeholder in the email
//	plain…      at CustomMessage, answers the event as it came (no texts)
//	anything    answers the event with its response filled in (see
//	            respond)
//
// A name of the form "<trigger>.<case>" (define, create, verify, migrate,
// presignup, inbound, postconfirm, postauth)
// runs the case above at that trigger only and answers every other event
// as "anything" does: "create.deny1" signs in through DefineAuthChallenge
// and fails at CreateAuthChallenge.
//
// The custom-authentication functions: DefineAuthChallenge asks for
// PASSWORD_VERIFIER after SRP_A, issues tokens after a right
// CUSTOM_CHALLENGE, fails after three wrong ones and asks for a
// CUSTOM_CHALLENGE otherwise; CreateAuthChallenge's private answer is
// Answer (beside PrivateMark, which no client ever needs), its public
// parameters a question and the round, its metadata "round-<n>";
// VerifyAuthChallengeResponse compares.
//
// InboundFederation maps the ID token's email and given_name "Inbound"
// (userAttributesToMap), except for a user whose name starts with "keep",
// for whom it answers the event as it came (an empty userAttributesToMap:
// the mapped attributes stay).
//
// UserMigration knows every user whose password is LegacyPassword (and at
// ForgotPassword, every user): it answers an email address
// (<name>@example.com, verified) and given_name "Migrated", CONFIRMED and
// SUPPRESS; a name starting with "migreset" is RESET_REQUIRED, one with
// "migwelcome" asks for the welcome message by EMAIL, one with
// "migforce" sets forceAliasCreation, one with "migbadstatus" answers a
// finalUserStatus that does not exist, one with "migsms" sets
// enableSMSMFA ("migsmsphone" with a phone number, "migsms" else
// without). Another
// password is refused with an error ("Bad password").
package fn

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// scopes are the trigger prefixes of user names, by the triggerSource
// prefix they name.
var scopes = map[string]string{
	"define": "DefineAuthChallenge_", "create": "CreateAuthChallenge_", "verify": "VerifyAuthChallengeResponse_",
	"migrate":   "UserMigration_",
	"presignup": "PreSignUp_", "inbound": "InboundFederation_", "postconfirm": "PostConfirmation_", "postauth": "PostAuthentication_",
}

// Answer is the right answer of every custom challenge; PrivateMark is a
// private challenge parameter no answer of cognate may contain.
const (
	Answer      = "open-sesame"
	PrivateMark = "private-parameter-never-sent"
	// LegacyPassword is the password UserMigration takes.
	LegacyPassword = "Legacy-Horse-7"
)

// RecordEnv names the file every event is appended to, one JSON line each;
// unset records nothing.
const RecordEnv = "FN_RECORD"

// recordMu serializes appends when several handlers share a process (the
// webhook tests).
var recordMu sync.Mutex

// Handle is the function.
func Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var h events.CognitoEventUserPoolsHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, err
	}
	if err := record(raw); err != nil {
		return nil, err
	}
	name := h.UserName
	if trig, rest, ok := strings.Cut(name, "."); ok && scopes[trig] != "" {
		name = rest
		if !strings.HasPrefix(h.TriggerSource, scopes[trig]) {
			name = ""
		}
	}
	switch {
	case strings.HasPrefix(name, "refreshdeny") && h.TriggerSource == "TokenGeneration_RefreshTokens":
		return nil, errors.New("No refresh for you")
	case strings.HasPrefix(name, "deny"):
		return nil, errors.New("Denied by the test function")
	case strings.HasPrefix(name, "slow"):
		d, err := time.ParseDuration(os.Getenv("FN_SLOW"))
		if err != nil {
			d = 2 * time.Second
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	case strings.HasPrefix(name, "string"):
		return "not an event", nil
	case strings.HasPrefix(name, "wrongtype"):
		return map[string]any{"version": h.Version, "response": map[string]any{"claimsOverrideDetails": 42, "claimsAndScopeOverrideDetails": 42}, "request": 7}, nil
	case strings.HasPrefix(name, "huge"):
		return map[string]any{"version": h.Version, "response": map[string]any{}, "pad": strings.Repeat("x", 6<<20+1)}, nil
	}
	return respond(h, raw)
}

func record(raw json.RawMessage) error {
	path := os.Getenv(RecordEnv)
	if path == "" {
		return nil
	}
	recordMu.Lock()
	defer recordMu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	line := append([]byte(nil), raw...)
	_, err = f.Write(append(line, '\n'))
	return err
}

// respond answers the event as a function written for it would: the
// event itself, with the response the tests check for.
func respond(h events.CognitoEventUserPoolsHeader, raw json.RawMessage) (any, error) {
	switch {
	case strings.HasPrefix(h.TriggerSource, "TokenGeneration_") && h.Version == "1":
		var ev events.CognitoEventUserPoolsPreTokenGen
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		ev.Response.ClaimsOverrideDetails = events.ClaimsOverrideDetails{
			ClaimsToAddOrOverride: map[string]string{"tier": "gold", "family_name": "Overridden", "sub": "not-allowed", "cognito:username": "not-allowed"},
			ClaimsToSuppress:      []string{"given_name"},
			GroupOverrideDetails: events.GroupConfiguration{
				GroupsToOverride:   []string{"from-trigger"},
				IAMRolesToOverride: []string{"arn:aws:iam::123456789012:role/from-trigger"},
				PreferredRole:      ptr("arn:aws:iam::123456789012:role/from-trigger"),
			},
		}
		return ev, nil
	case strings.HasPrefix(h.TriggerSource, "TokenGeneration_"):
		var ev events.CognitoEventUserPoolsPreTokenGenV2_0
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		ev.Response.ClaimsAndScopeOverrideDetails = events.ClaimsAndScopeOverrideDetailsV2_0{
			IDTokenGeneration: events.IDTokenGenerationV2_0{
				ClaimsToAddOrOverride: map[string]any{"tier": "gold", "limits": map[string]any{"orders": 3.0}, "tags": []any{"a", "b"}, "iss": "not-allowed"},
				ClaimsToSuppress:      []string{"given_name"},
			},
			AccessTokenGeneration: events.AccessTokenGenerationV2_0{
				ClaimsToAddOrOverride: map[string]any{"tier": "gold", "client_id": "not-allowed"},
				ScopesToAdd:           []string{"orders/read"},
				ScopesToSuppress:      []string{"aws.cognito.signin.user.admin"},
			},
		}
		return ev, nil
	}
	switch h.TriggerSource {
	case "DefineAuthChallenge_Authentication":
		var ev events.CognitoEventUserPoolsDefineAuthChallenge
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		ev.Response = define(ev.Request.Session)
		return ev, nil
	case "CreateAuthChallenge_Authentication":
		var ev events.CognitoEventUserPoolsCreateAuthChallenge
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		n := strconv.Itoa(len(ev.Request.Session))
		ev.Response = events.CognitoEventUserPoolsCreateAuthChallengeResponse{
			PublicChallengeParameters:  map[string]string{"question": "What opens the door?", "round": n},
			PrivateChallengeParameters: map[string]string{"answer": Answer, "mark": PrivateMark},
			ChallengeMetadata:          "round-" + n,
		}
		return ev, nil
	case "UserMigration_Authentication", "UserMigration_ForgotPassword":
		var ev events.CognitoEventUserPoolsMigrateUser
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		if h.TriggerSource == "UserMigration_Authentication" && ev.Password != LegacyPassword {
			return nil, errors.New("Bad password")
		}
		name := h.UserName
		if _, rest, ok := strings.Cut(name, "."); ok {
			name = rest
		}
		email := name + "@example.com"
		if strings.Contains(h.UserName, "@") {
			email = h.UserName
		}
		r := events.CognitoEventUserPoolsMigrateUserResponse{
			UserAttributes:  map[string]string{"email": email, "email_verified": "true", "given_name": "Migrated"},
			FinalUserStatus: "CONFIRMED", MessageAction: "SUPPRESS",
		}
		switch {
		case strings.HasPrefix(name, "migreset"):
			r.FinalUserStatus = "RESET_REQUIRED"
		case strings.HasPrefix(name, "migwelcome"):
			r.MessageAction, r.DesiredDeliveryMediums = "", []string{"EMAIL"}
		case strings.HasPrefix(name, "migforce"):
			r.ForceAliasCreation = true
		case strings.HasPrefix(name, "migbadstatus"):
			r.FinalUserStatus = "ENABLED"
		case strings.HasPrefix(name, "migsmsphone"):
			r.UserAttributes["phone_number"], r.UserAttributes["phone_number_verified"] = "+15555550177", "true"
		}
		ev.CognitoEventUserPoolsMigrateUserResponse = r
		if strings.HasPrefix(name, "migsms") {
			// enableSMSMFA, which aws-lambda-go's type lacks.
			return withMember(ev, "response", "enableSMSMFA", true)
		}
		return ev, nil
	case "InboundFederation_ExternalProvider":
		var ev events.CognitoEventUserPoolsInboundFederation
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(h.UserName, "keep") {
			ev.Response.UserAttributesToMap = map[string]string{"email": ev.Request.Attributes.IDToken["email"], "given_name": "Inbound"}
		}
		return ev, nil
	case "VerifyAuthChallengeResponse_Authentication":
		var ev events.CognitoEventUserPoolsVerifyAuthChallenge
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		got, _ := ev.Request.ChallengeAnswer.(string)
		ev.Response.AnswerCorrect = got != "" && got == ev.Request.PrivateChallengeParameters["answer"]
		return ev, nil
	}
	if strings.HasPrefix(h.TriggerSource, "PreSignUp_") && strings.HasPrefix(h.UserName, "auto") {
		var ev events.CognitoEventUserPoolsPreSignup
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		ev.Response = events.CognitoEventUserPoolsPreSignupResponse{AutoConfirmUser: true, AutoVerifyEmail: true}
		return ev, nil
	}
	if strings.HasPrefix(h.TriggerSource, "CustomMessage_") && !strings.HasPrefix(h.UserName, "plain") {
		return customMessage(h, raw)
	}
	// Every other event is answered as it came: the functions of
	// PreAuthentication and PostAuthentication return it unchanged.
	return raw, nil
}

// customMessage answers a CustomMessage event as a function written for
// Cognito does: its own texts around the placeholders the event gives
// (the username's in an invitation, the link's in a link message; the
// Go type has no linkParameter, so it is read from the JSON).
func customMessage(h events.CognitoEventUserPoolsHeader, raw json.RawMessage) (any, error) {
	var ev events.CognitoEventUserPoolsCustomMessage
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	var link struct {
		Request struct {
			LinkParameter string `json:"linkParameter"`
		} `json:"request"`
	}
	if err := json.Unmarshal(raw, &link); err != nil {
		return nil, err
	}
	code, user := ev.Request.CodeParameter, ev.Request.UsernameParameter
	if strings.HasPrefix(h.UserName, "nocode") {
		code = "(no code)"
	}
	body := "<p>" + h.TriggerSource + ": " + code
	if user != "" {
		body += " for " + user
	}
	if strings.HasPrefix(h.UserName, "link") {
		body += " " + link.Request.LinkParameter
	}
	ev.Response.EmailSubject = "Custom " + h.TriggerSource
	ev.Response.EmailMessage = body + "</p>"
	ev.Response.SMSMessage = strings.TrimPrefix(h.TriggerSource, "CustomMessage_") + " " + code
	if user != "" {
		ev.Response.SMSMessage += " for " + user
	}
	return ev, nil
}

// define is DefineAuthChallenge's decision on the history.
func define(session []*events.CognitoEventUserPoolsChallengeResult) events.CognitoEventUserPoolsDefineAuthChallengeResponse {
	wrong := 0
	for _, r := range session {
		if r.ChallengeName == "CUSTOM_CHALLENGE" && !r.ChallengeResult {
			wrong++
		}
	}
	if n := len(session); n > 0 {
		switch last := session[n-1]; {
		case last.ChallengeName == "SRP_A":
			return events.CognitoEventUserPoolsDefineAuthChallengeResponse{ChallengeName: "PASSWORD_VERIFIER"}
		case last.ChallengeName == "CUSTOM_CHALLENGE" && last.ChallengeResult:
			return events.CognitoEventUserPoolsDefineAuthChallengeResponse{IssueTokens: true}
		}
	}
	if wrong >= 3 {
		return events.CognitoEventUserPoolsDefineAuthChallengeResponse{FailAuthentication: true}
	}
	return events.CognitoEventUserPoolsDefineAuthChallengeResponse{ChallengeName: "CUSTOM_CHALLENGE"}
}

func ptr[T any](v T) *T { return &v }

// withMember is ev as JSON with obj.key set to value.
func withMember(ev any, obj, key string, value any) (any, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	inner, _ := out[obj].(map[string]any)
	if inner == nil {
		inner = map[string]any{}
	}
	inner[key] = value
	out[obj] = inner
	return out, nil
}
