// Package authflow is the sign-in engine: each sign-in is a flow that
// StartSignIn starts and every AnswerChallenge advances with the opaque
// Session it was handed, until the flow issues tokens or fails. Flow state
// handed to the client (Session, SECRET_BLOCK) is sealed by the server,
// expires, and advances a flow once. It also refreshes and revokes tokens
// (REFRESH_TOKEN_AUTH, RefreshTokens, RevokeToken, GlobalSignOut,
// AdminUserGlobalSignOut) and authenticates the access tokens of the
// self-service operations for the API edge (AuthenticateAccessToken).
//
// Its entry points take and return domain types (signin.go: SignIn,
// Answer, Step, Tokens, Refresh, Revocation), not the JSON API's wire
// structs: the API edge maps InitiateAuth, AdminInitiateAuth,
// RespondToAuthChallenge, AdminRespondToAuthChallenge,
// GetTokensFromRefreshToken, RevokeToken and the sign-outs onto them
// (internal/api, operations_auth.go), and the hosted UI calls the same
// methods. Errors are Cognito exceptions (internal/cognito), which the
// edges map to the wire once.
//
// Cognito's SRP variant, which USER_SRP_AUTH and the PASSWORD_VERIFIER
// challenge use, is the leaf internal/srp (docs/srp.md); the user pool
// makes and seals the verifiers, the engine opens them.
//
// # Flow states
//
// A flow's state between two calls (session.go: flowState) names the
// challenge the next call answers. It travels sealed with AES-GCM, bound to
// its purpose: in the Session, or for PASSWORD_VERIFIER in the SECRET_BLOCK
// (Cognito hands out no Session with that challenge; clients echo the
// block). Opening a state writes nothing. A marker item, created in the
// transaction that acts on the answer (the store refuses a second one with
// the same ID, so of two answers at once one commits), makes every state
// single-use: a second answer gets "Invalid session for the user, session
// can only be used once.", a late one "Invalid session for the user,
// session is expired." (the client's AuthSessionValidity, 3 to 15
// minutes).
//
//	start (call, AuthFlow)              state / answer                        next call (ChallengeName, responses)        then
//	----------------------------------  ------------------------------------  ------------------------------------------  -------------------------
//	InitiateAuth USER_PASSWORD_AUTH,    password checked at once              -                                           tokens | NEW_PASSWORD_REQUIRED
//	AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH / ADMIN_NO_SRP_AUTH
//	USER_SRP_AUTH (USERNAME, SRP_A)     PASSWORD_VERIFIER (SECRET_BLOCK)      PASSWORD_VERIFIER (PASSWORD_CLAIM_SIGNATURE,  tokens | NEW_PASSWORD_REQUIRED
//	                                                                          PASSWORD_CLAIM_SECRET_BLOCK, TIMESTAMP)
//	USER_AUTH (USERNAME)                SELECT_CHALLENGE (Session,            SELECT_CHALLENGE ANSWER=PASSWORD, or        tokens | NEW_PASSWORD_REQUIRED
//	                                    AvailableChallenges)                  PASSWORD (PASSWORD)
//	                                                                          SELECT_CHALLENGE ANSWER=PASSWORD_SRP, or    PASSWORD_VERIFIER
//	                                                                          PASSWORD_SRP (SRP_A)
//	USER_AUTH SELECT_CHALLENGE          EMAIL_OTP / SMS_OTP (Session; a       EMAIL_OTP (EMAIL_OTP_CODE),                 tokens
//	ANSWER=EMAIL_OTP / SMS_OTP, or      code sent; CODE_DELIVERY_*)           SMS_OTP (SMS_OTP_CODE)
//	PREFERRED_CHALLENGE= the same
//	USER_AUTH SELECT_CHALLENGE          WEB_AUTHN (Session;                   WEB_AUTHN (CREDENTIAL)                      tokens
//	ANSWER=WEB_AUTHN, or PREFERRED_     CREDENTIAL_REQUEST_OPTIONS)
//	CHALLENGE=WEB_AUTHN
//	USER_AUTH PREFERRED_CHALLENGE=      as USER_PASSWORD_AUTH                 -                                           tokens | NEW_PASSWORD_REQUIRED
//	PASSWORD (PASSWORD)
//	USER_AUTH PREFERRED_CHALLENGE=      PASSWORD_VERIFIER (SECRET_BLOCK)      as USER_SRP_AUTH                            tokens | NEW_PASSWORD_REQUIRED
//	PASSWORD_SRP (SRP_A)
//	(after a right password, user in    NEW_PASSWORD_REQUIRED (Session;       NEW_PASSWORD_REQUIRED (NEW_PASSWORD,        tokens
//	FORCE_CHANGE_PASSWORD)              userAttributes, requiredAttributes)   userAttributes.<name>)
//	(after a right password given with  DEVICE_SRP_AUTH (Session)             DEVICE_SRP_AUTH (USERNAME, DEVICE_KEY,      DEVICE_PASSWORD_VERIFIER
//	the DEVICE_KEY of one of the                                              SRP_A)
//	user's devices, user CONFIRMED)     DEVICE_PASSWORD_VERIFIER              DEVICE_PASSWORD_VERIFIER (the proof, as     tokens (device_key)
//	                                    (SECRET_BLOCK)                        PASSWORD_VERIFIER's, DEVICE_KEY)
//	REFRESH_TOKEN_AUTH / REFRESH_TOKEN  -                                     -                                           tokens (no refresh token)
//	(after a right first factor, pool   SMS_MFA / EMAIL_OTP (Session; the     SMS_MFA_CODE / EMAIL_OTP_CODE               tokens | DEVICE_SRP_AUTH
//	MFA ON or OPTIONAL: mfa.go)         code's MAC; CODE_DELIVERY_*)
//	                                    SOFTWARE_TOKEN_MFA (Session)          SOFTWARE_TOKEN_MFA_CODE                     tokens | DEVICE_SRP_AUTH
//	                                    SELECT_MFA_TYPE (Session;             ANSWER                                      the chosen one
//	                                    MFAS_CAN_CHOOSE)
//	                                    MFA_SETUP (Session; MFAS_CAN_SETUP)   AssociateSoftwareToken, VerifySoftwareToken tokens
//	                                                                          (Session), then MFA_SETUP (USERNAME)
//	CUSTOM_AUTH (USERNAME)              CUSTOM_CHALLENGE (Session; the        CUSTOM_CHALLENGE (USERNAME, ANSWER)         what DefineAuthChallenge
//	                                    public parameters)                                                                says: CUSTOM_CHALLENGE |
//	                                                                                                                      afterFirstFactor | fail
//	CUSTOM_AUTH (USERNAME,              PASSWORD_VERIFIER (SECRET_BLOCK,      as USER_SRP_AUTH                            as above, the history
//	CHALLENGE_NAME=SRP_A, SRP_A)        the history), when Define says so                                                 with PASSWORD_VERIFIER
//
// Where a right password leads (dispatch.go: next) depends on the
// user's status: CONFIRMED gets tokens; FORCE_CHANGE_PASSWORD the
// NEW_PASSWORD_REQUIRED challenge (or, once the temporary password has
// expired, NotAuthorizedException); UNCONFIRMED UserNotConfirmedException
// (which a client that does not hide whether users exist gets before the
// password is checked: at InitiateAuth for SRP, as Cognito answers);
// RESET_REQUIRED PasswordResetRequiredException. For a confirmed user
// (after the password, after the device, and after NEW_PASSWORD_REQUIRED),
// afterFirstFactor (mfa.go) is the one place that decides whether a second
// factor comes (decideMFA, from the pool's MFA configuration and the
// user's factors; call.rememberedDevice skips it for a remembered device).
// A custom sign-in (challenge_custom.go) reaches it when its
// DefineAuthChallenge answers issueTokens; its history, private challenge
// parameters and metadata travel sealed in the Session.
// A right password given with the DEVICE_KEY of one of the user's
// devices leads to DEVICE_SRP_AUTH (device.go, challenge_device.go;
// docs/devices.md) in Cognito's order: at once for a device that skips MFA
// or when no second factor is due, and otherwise after the second factor,
// whose right code opens DEVICE_SRP_AUTH (flowState.DeviceToProve,
// MFADone). That DEVICE_SRP_AUTH also takes the code's used Session (a
// continuer: the marker of the code's state names the state its right
// answer opened), which is what amazon-cognito-identity-js sends.
//
// An MFA answer is not a password: its code is compared first (a MAC or a
// TOTP check, no store call); a wrong one is counted against its Session's
// bound (three codes, in a transaction serialized on the Session's
// counter) and toward a lockout of MFA codes of its own (lockout.go:
// mfaLockoutID), which a right password does not take back; a right one
// signs in with the Session used up (and a TOTP code's step recorded, so
// that it is accepted once) in the transaction that issues the tokens,
// which first reads the Session's count and the lockouts and refuses a
// Session answered three times or a user locked out (takeRightAnswer).
// So a right code costs one transaction, and no Session takes more than
// three answers.
//
// With replication on (Options.Region), both failure counters are shared
// with the other regions through a replicated companion of each, its
// share (lockout_share.go): a failure, once known, is written into this
// region's slot of the share in a transaction of its own; every attempt
// reads the share with the counter and counts the other regions' slots
// too; a right secret takes every region's count back in the share, in
// the transaction that takes its own back, when the share counts any.
// Without replication nothing of it runs, and the costs above hold.
//
// # The dispatcher and the table of challenges
//
// One place, dispatch.go, runs the phases every step shares, in this
// order; a challenge is a small type (challenge_*.go) that fills in only
// its own part, and owns its part of the flow state. dexidp/dex's
// server/grants (a handler that runs numbered shared phases around a
// hook per grant) is the model.
//
//  1. Client: the pool and app client, the client allows the flow, and
//     SECRET_HASH (made with any of the user's names).
//  2. Session: the sealed state an answer carries (the Session, or the
//     SECRET_BLOCK) opens for this pool and client, has not expired and
//     waits for this challenge; USERNAME names its user. It is used up
//     once, in the transaction that acts on the answer (phase 3, or the
//     challenge's own for answers that check no secret).
//  3. Lockout and the user-existence shadow (Service.authenticate, for
//     answers that carry a secret): a user that does not exist, or a
//     state no secret can pass, gets the wrong-password answer after a
//     check of the same cost and a transaction like the lockout's; a
//     disabled or unconfirmed user is told so first unless the client
//     hides whether users exist; otherwise, for a password, one
//     transaction uses the state up and counts the attempt, or refuses it
//     while the user is locked out. An SRP proof is checked first, in
//     phase 5, and the lockout decided after, in the transaction that
//     acts on the answer (see below).
//  4. Pre-authentication (hooks.go): a hook point with a fixed contract,
//     which the PreAuthentication trigger fills (triggers.go).
//  5. The challenge's own check: a factor (a password hash or an SRP
//     proof) for the secret challenges; a wrong secret is recorded as a
//     failed sign-in.
//  6. The next step (Service.next), from the user, pool and client:
//     tokens, NEW_PASSWORD_REQUIRED, or the exception for the user's
//     status. For a confirmed user, afterFirstFactor first checks a
//     password sent in the clear against the breached-password list
//     (compromised credentials at SIGN_IN; a block puts the user in
//     RESET_REQUIRED), then weighs threat protection's account-takeover
//     risk (risk.go; nothing for a pool whose threat protection is off),
//     which may block the sign-in or ask for a second factor, then
//     decides the second factor. A risk whose action notifies records
//     its event with a feedback token's MAC and emails the user once the
//     write has committed (risk_notify.go): with the tokens, or when the
//     next challenge (a second factor, a device's SRP) opens, whose
//     states carry the risk to the last answer's event; a device's proof
//     is not assessed again.
//  7. Post-authentication and pre-token-generation hook points (the
//     PostAuthentication and PreTokenGeneration triggers), the token
//     family and tokens, and the sign-in event (Service.finish, signIn,
//     mint). A trigger that fails ends the step before the family is
//     created: nothing of the sign-in is written.
//
// A passwordless first factor (challenge_passwordless.go,
// challenge_web_authn.go) is offered only where it cannot go around a
// second factor: not where a password would lead to one (a pool that
// requires MFA, a user with a second factor on), except a passkey of a
// user that turned passkey MFA on where the pool counts passkeys as MFA;
// it ends in tokens. Where the client hides whether users exist, every
// name is offered the pool's choices, and a choice the name cannot answer
// opens a stand-in state (Fake) that no answer passes. Passkeys themselves
// (registration, listing, deletion, the relying party) are passkey.go.
//
// The table (dispatch.go: starters, challenges):
//
//	type                          starts (AuthFlow)                          answers (ChallengeName)    state it owns
//	----------------------------  -----------------------------------------  -------------------------  ----------------------------
//	passwordChallenge             USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_   PASSWORD                   none
//	                              AUTH, ADMIN_NO_SRP_AUTH; USER_AUTH with
//	                              PREFERRED_CHALLENGE=PASSWORD
//	passwordVerifierChallenge     USER_SRP_AUTH; USER_AUTH with              PASSWORD_VERIFIER          b, B, A (SECRET_BLOCK)
//	                              PREFERRED_CHALLENGE=PASSWORD_SRP
//	passwordSRPChallenge          -                                          PASSWORD_SRP               none (opens PASSWORD_VERIFIER)
//	selectChallenge               USER_AUTH                                  SELECT_CHALLENGE (ANSWER)  the user or its stand-in
//	newPasswordRequiredChallenge  - (opened by next)                         NEW_PASSWORD_REQUIRED      the user
//	deviceSRPChallenge            - (opened by next)                         DEVICE_SRP_AUTH            the user, the device
//	devicePasswordVerifier-       -                                          DEVICE_PASSWORD_VERIFIER   b, B, A, the device
//	Challenge                                                                                           (SECRET_BLOCK)
//	smsMFAChallenge               - (opened by afterFirstFactor)             SMS_MFA                    the user, the code's MAC
//	emailOTPChallenge             - (opened by afterFirstFactor, or as a     EMAIL_OTP                  the user, the code's MAC
//	                              first factor by openPasswordless)
//	smsOTPChallenge               - (opened by openPasswordless)             SMS_OTP                    the user, the code's MAC
//	webAuthnChallenge             - (opened by openPasswordless)             WEB_AUTHN                  the user, the challenge
//	softwareTokenMFAChallenge     - (opened by afterFirstFactor)             SOFTWARE_TOKEN_MFA         the user
//	selectMFATypeChallenge        - (opened by afterFirstFactor)             SELECT_MFA_TYPE (ANSWER)   the user, the factors offered
//	mfaSetupChallenge             - (opened by afterFirstFactor)             MFA_SETUP                  the user, verified or not
//	customChallenge               CUSTOM_AUTH                                CUSTOM_CHALLENGE           the user, the history, the
//	                                                                                                    private parameters
//
// REFRESH_TOKEN_AUTH is not a challenge: it runs refresh.go on its own.
// dispatch_test.go runs the shared phases (use-once, lockout, existence
// shadow, hooks) once for every challenge in the table, and fails for a
// challenge added without a case.
//
// # Passwords, lockout and existence
//
// Every password check first counts the attempt on a per-user counter in
// one transaction that locks it (lockout.go), so that however many
// attempts run at once, on however many servers share the store, at most
// five compute a hash before the lockout (after the n-th failure in a row,
// n >= 5, 2^(n-5) seconds, at most 15 minutes) holds. When the password
// answers a flow state (a Session), that transaction also uses the state
// up. A right password takes the count back in the transaction that acts
// on it: the one that creates the token family, or opens
// NEW_PASSWORD_REQUIRED; other answers to a right password take it back
// on their own. So a password sign-in writes in two transactions, the
// count being the only write before the password is known to be right:
// USER_PASSWORD_AUTH counts the attempt, then creates the family and
// refresh token, clears the count and records the sign-in event (where
// the pool records them) in one transaction. If the last fails, the
// attempt stays counted as a failure.
//
// An SRP proof costs what the fair queue lets it (password.Hasher.Run),
// not an argon2id hash, so it is checked before anything is written
// (factor.checkFirst), and the lockout is decided after, in one
// transaction serialized on the user's counter (passwordAttempt.settle):
// it uses the SECRET_BLOCK up and reads the counter; a user locked out
// gets "Password attempts exceeded" whatever the proof (nothing else is
// written); a wrong proof is counted like a wrong password
// (beginPasswordAttempt); a right one deletes the count at the version
// read (a wrong one counted meanwhile makes the delete conflict, and the
// transaction runs again and sees it; SQLite has one writer at a time)
// and, in the same transaction, creates the token family, refresh token
// and sign-in event. So USER_SRP_AUTH's InitiateAuth writes nothing and
// its answer one transaction, and a burst of parallel guesses learns the
// result of at most five before the lockout refuses the rest, a right
// guess among them included. A block seen used is refused by a read
// before the proof is checked; the marker in the transaction decides the
// races that read misses. TestSignInBudget holds every flow
// to its store calls, transactions, writes and change-log rows.
//
// With PreventUserExistenceErrors, a user that does not exist gets exactly
// the wrong-password answer, after a dummy hash of the same cost, and
// USER_SRP_AUTH answers with a stable fake salt and a fresh SRP_B.
//
// # Remembered devices
//
// In a pool with a DeviceConfiguration, a sign-in that ends in tokens
// and was not made on a known device hands out NewDeviceMetadata; the
// device key and group key are kept with the token family (issue.go), so
// that only ConfirmDevice with an access token of that sign-in confirms
// the device, with the verifier the client made of the device's secret
// (sealed at rest by srp.Verifiers.SealDevice). Device records (kind
// device, replicated) are the user's; deleting the user deletes them, and
// forgetting one deletes the token families signed in on it, in one
// transaction. Every family carries its device key, which its access
// tokens carry as device_key, and a refresh of a family whose device is
// confirmed must name it (DEVICE_KEY).
//
// # Tokens and revocation
//
// A sign-in opens a token family (issue.go) whose ID is the origin_jti of
// every token minted in it; the refresh token is 256 random bits stored
// only as its SHA-256. Revoking deletes the family, so its refresh tokens
// ("Refresh Token has been revoked") and AuthenticateAccessToken its access
// tokens ("Access Token has been revoked") are refused from the next
// request on. REFRESH_TOKEN_AUTH reads the refresh token, the user and the
// family, and writes only when it rotates the token or finds it reused.
//
// Expired flow markers, refresh tokens and families are swept by the
// requests that create new ones, but rarely (sweep.go): at most one sweep
// of a kind at a time per server, at most one a second unless the last
// found a full batch, each one index scan and, when anything has expired,
// one transaction for the batch.
//
// It may import internal/cognito (and its generated wire packages),
// internal/storage, internal/tokens, internal/messaging, internal/triggers,
// internal/userpool, internal/federation, internal/seal, internal/srp,
// internal/mfa (TOTP, MFA codes, sealed TOTP secrets) and
// internal/password (whose Hasher, shared with userpool, verifies passwords
// and schedules the SRP computations; it brings internal/ratelimit); never
// an edge (api, oidc, admin) or a storage backend.
package authflow
