#!/usr/bin/env bash
# Runs the README's "Quick start with the AWS CLI" against a running cognate
# and checks what each command answers, so that the README is checked by a
# command. It exits non-zero at the first command that fails or answers
# something other than the README promises.
#
#   export AWS_ACCESS_KEY_ID=AKIA...   # the access key on cognate's start-up screen
#   export AWS_SECRET_ACCESS_KEY="$(sed -n 's/.*"secret_access_key": *"\(.*\)".*/\1/p' cognate-data/admin-credentials.json)"
#   ./scripts/quickstart-cli.sh http://localhost:9229
#
# The key pair is cognate's admin key pair: generated on first start into
# <data_dir>/admin-credentials.json (the screen shows the secret on that
# start only), or the one configured. AWS_DEFAULT_REGION
# defaults to us-east-1. The server must deliver messages to the development
# outbox (the default: no mail or SMS sender configured), which the script
# reads the confirmation code from. It needs the AWS CLI (v1 or v2), curl and
# grep. Every run makes a new pool, so it can run again against the same
# server.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 <cognate URL, e.g. http://localhost:9229>" >&2
  exit 2
fi
URL=${1%/}
: "${AWS_ACCESS_KEY_ID:?set AWS_ACCESS_KEY_ID to cognate's admin access key}"
: "${AWS_SECRET_ACCESS_KEY:?set AWS_SECRET_ACCESS_KEY to cognate's admin secret (in <data_dir>/admin-credentials.json)}"
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
command -v aws >/dev/null || { echo "the AWS CLI (aws) is not installed" >&2; exit 2; }

cidp() { aws cognito-idp --endpoint-url "$URL" "$@"; }

step() { printf '== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
# expect NAME GOT WANT fails unless GOT equals WANT.
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }
# outbox_code RECIPIENT prints the newest 6-digit code the pool's messages
# to RECIPIENT carry (the outbox answers newest first).
outbox_code() {
  local code="" i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    messages=$(curl -fsS "$URL/_cognate/messages?to=$1")
    code=$(printf '%s' "$messages" | grep -oE "\"pool\":\"$POOL\"[^}]*code is [0-9]{6}" | sed -n '1s/.*\([0-9]\{6\}\)$/\1/p' || true)
    [ -n "$code" ] && break
    sleep 0.2
  done
  [ -n "$code" ] || fail "no code for $1 from pool $POOL in the outbox at $URL/_cognate/messages"
  printf '%s\n' "$code"
}

step "create-user-pool"
POOL=$(cidp create-user-pool --pool-name my-app \
  --policies 'PasswordPolicy={MinimumLength=10,RequireNumbers=true}' \
  --alias-attributes email --auto-verified-attributes email \
  --query UserPool.Id --output text)
case $POOL in "${AWS_DEFAULT_REGION}_"*) ;; *) fail "pool ID '$POOL' does not start with ${AWS_DEFAULT_REGION}_" ;; esac
echo "pool $POOL"

step "list-user-pools"
expect "list-user-pools" "$(cidp list-user-pools --max-results 60 --query "UserPools[?Id=='$POOL'].Id" --output text)" "$POOL"

step "describe-user-pool"
expect "describe-user-pool MinimumLength" \
  "$(cidp describe-user-pool --user-pool-id "$POOL" --query UserPool.Policies.PasswordPolicy.MinimumLength --output text)" 10
ARN=$(cidp describe-user-pool --user-pool-id "$POOL" --query UserPool.Arn --output text)

step "create-user-pool-client (with a secret)"
SECRET=$(cidp create-user-pool-client --user-pool-id "$POOL" --client-name web --generate-secret \
  --explicit-auth-flows ALLOW_USER_SRP_AUTH ALLOW_REFRESH_TOKEN_AUTH \
  --query UserPoolClient.ClientSecret --output text)
[ -n "$SECRET" ] && [ "$SECRET" != None ] || fail "create-user-pool-client --generate-secret returned no secret"

step "admin-create-user"
expect "admin-create-user UserStatus" "$(cidp admin-create-user --user-pool-id "$POOL" --username alice \
  --user-attributes Name=email,Value=alice@example.com Name=email_verified,Value=true \
  --temporary-password 'Welcome-to-cognate-1' --desired-delivery-mediums EMAIL \
  --query User.UserStatus --output text)" FORCE_CHANGE_PASSWORD

step "the invitation in the outbox"
MESSAGES=$(curl -fsS "$URL/_cognate/messages?to=alice@example.com")
case $MESSAGES in *"\"pool\":\"$POOL\""*) ;; *) fail "no invitation to alice@example.com from $POOL in the outbox" ;; esac
case $MESSAGES in *"Welcome-to-cognate-1"*) ;; *) fail "the invitation to alice@example.com does not carry the temporary password" ;; esac

step "list-users --filter"
expect "list-users" "$(cidp list-users --user-pool-id "$POOL" --filter 'email ^= "alice"' \
  --query 'Users[].Username' --output text)" alice

step "create-group, admin-add-user-to-group"
cidp create-group --user-pool-id "$POOL" --group-name admins >/dev/null
cidp admin-add-user-to-group --user-pool-id "$POOL" --username alice --group-name admins
expect "admin-list-groups-for-user" "$(cidp admin-list-groups-for-user --user-pool-id "$POOL" --username alice \
  --query 'Groups[].GroupName' --output text)" admins

step "tag-resource"
cidp tag-resource --resource-arn "$ARN" --tags env=dev
expect "list-tags-for-resource" "$(cidp list-tags-for-resource --resource-arn "$ARN" --query Tags.env --output text)" dev

# Signing a user up and in, as an application does.
step "create-user-pool-client (no secret, password, SRP and refresh flows)"
CLIENT=$(cidp create-user-pool-client --user-pool-id "$POOL" --client-name cli \
  --explicit-auth-flows ALLOW_USER_PASSWORD_AUTH ALLOW_USER_SRP_AUTH ALLOW_REFRESH_TOKEN_AUTH \
  --query UserPoolClient.ClientId --output text)

step "initiate-auth with the temporary password: NEW_PASSWORD_REQUIRED"
read -r CHALLENGE SESSION < <(cidp initiate-auth --client-id "$CLIENT" --auth-flow USER_PASSWORD_AUTH \
  --auth-parameters USERNAME=alice,PASSWORD=Welcome-to-cognate-1 \
  --query '[ChallengeName,Session]' --output text)
expect "initiate-auth ChallengeName" "${CHALLENGE:-}" NEW_PASSWORD_REQUIRED
[ -n "${SESSION:-}" ] && [ "$SESSION" != None ] || fail "initiate-auth returned no Session"

step "respond-to-auth-challenge NEW_PASSWORD_REQUIRED"
FIRST=$(cidp respond-to-auth-challenge --client-id "$CLIENT" --challenge-name NEW_PASSWORD_REQUIRED \
  --session "$SESSION" --challenge-responses USERNAME=alice,NEW_PASSWORD=Alice-chose-this-2 \
  --query AuthenticationResult.AccessToken --output text)
[ -n "$FIRST" ] && [ "$FIRST" != None ] || fail "respond-to-auth-challenge returned no access token"
expect "admin-get-user UserStatus" "$(cidp admin-get-user --user-pool-id "$POOL" --username alice \
  --query UserStatus --output text)" CONFIRMED
expect "get-user with alice's first token" "$(cidp get-user --access-token "$FIRST" --query Username --output text)" alice

step "initiate-auth with alice's new password"
[ "$(cidp initiate-auth --client-id "$CLIENT" --auth-flow USER_PASSWORD_AUTH \
  --auth-parameters USERNAME=alice,PASSWORD=Alice-chose-this-2 \
  --query 'AuthenticationResult.AccessToken' --output text)" != None ] || fail "alice cannot sign in with her new password"

step "sign-up"
expect "sign-up UserConfirmed" "$(cidp sign-up --client-id "$CLIENT" --username bob --password 'Correct-horse-9' \
  --user-attributes Name=email,Value=bob@example.com --query UserConfirmed --output text)" False

step "the confirmation code in the outbox"
CODE=$(outbox_code bob@example.com)

step "confirm-sign-up"
cidp confirm-sign-up --client-id "$CLIENT" --username bob --confirmation-code "$CODE"

step "initiate-auth USER_PASSWORD_AUTH"
read -r ACCESS REFRESH < <(cidp initiate-auth --client-id "$CLIENT" --auth-flow USER_PASSWORD_AUTH \
  --auth-parameters USERNAME=bob,PASSWORD=Correct-horse-9 \
  --query 'AuthenticationResult.[AccessToken,RefreshToken]' --output text)
[ -n "${ACCESS:-}" ] && [ "$ACCESS" != None ] || fail "initiate-auth returned no access token"
[ -n "${REFRESH:-}" ] && [ "$REFRESH" != None ] || fail "initiate-auth returned no refresh token"

step "get-user"
expect "get-user Username" "$(cidp get-user --access-token "$ACCESS" --query Username --output text)" bob
expect "get-user email_verified" "$(cidp get-user --access-token "$ACCESS" \
  --query "UserAttributes[?Name=='email_verified'].Value" --output text)" true

step "initiate-auth REFRESH_TOKEN_AUTH"
NEW_ACCESS=$(cidp initiate-auth --client-id "$CLIENT" --auth-flow REFRESH_TOKEN_AUTH \
  --auth-parameters "REFRESH_TOKEN=$REFRESH" --query AuthenticationResult.AccessToken --output text)
[ -n "$NEW_ACCESS" ] && [ "$NEW_ACCESS" != None ] || fail "REFRESH_TOKEN_AUTH returned no access token"
expect "get-user with the refreshed token" "$(cidp get-user --access-token "$NEW_ACCESS" --query Username --output text)" bob

echo "quick start OK against $URL (pool $POOL)"
