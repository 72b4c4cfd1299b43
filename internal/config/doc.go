// Package config is cognate's configuration: one Config struct, loaded by
// Load in fixed steps and checked by Validate.
//
// Load reads, lowest precedence first: the defaults, a YAML file (JSON
// parses too), the environment, and command-line flags. Its steps are
// decode (unknown and repeated keys are errors naming the key path and
// line; deprecated keys are renamed through the deprecation table, with a
// warning), environment, flags, defaults (every field still zero gets its
// default) and Validate. Validate never changes the Config and reports
// every problem at once, each prefixed with its key path, as
// ValidationErrors.
//
//	key                      environment                   default
//	listen                   COGNATE_LISTEN                localhost:9229
//	pprof_listen             COGNATE_PPROF_LISTEN          off (a loopback host:port serving /debug/pprof/)
//	data_dir                 COGNATE_DATA_DIR              ./cognate-data
//	database                 COGNATE_DATABASE_URL          sqlite (or postgres://…)
//	sqlite.synchronous       COGNATE_SQLITE_SYNCHRONOUS    FULL (NORMAL, EXTRA)
//	region                   COGNATE_REGION                us-east-1
//	regions                  COGNATE_REGIONS (a,b,…)       empty: any valid region
//	account_id               COGNATE_ACCOUNT_ID            000000000000
//	admin.access_key_id      COGNATE_ACCESS_KEY_ID         generated into data_dir
//	admin.secret_access_key  COGNATE_SECRET_ACCESS_KEY     generated into data_dir
//	accept_any_signature     COGNATE_ACCEPT_ANY_SIGNATURE  false
//	max_body_bytes           COGNATE_MAX_BODY_BYTES        1048576 (1 KiB to 64 MiB)
//	shutdown_timeout         COGNATE_SHUTDOWN_TIMEOUT      30s
//	log.level                COGNATE_LOG_LEVEL             info (debug, warn, error)
//	log.format               COGNATE_LOG_FORMAT            json (text)
//	messaging.smtp.host      COGNATE_SMTP_HOST             off (any smtp key turns SMTP on)
//	messaging.smtp.port      COGNATE_SMTP_PORT             587, 465 or 25 by tls
//	messaging.smtp.username  COGNATE_SMTP_USERNAME         none (no AUTH)
//	messaging.smtp.password  COGNATE_SMTP_PASSWORD         none (a Secret)
//	messaging.smtp.from      COGNATE_SMTP_FROM             required with SMTP
//	messaging.smtp.tls       COGNATE_SMTP_TLS              starttls (tls, none)
//	messaging.smtp.timeout   COGNATE_SMTP_TIMEOUT          10s
//	messaging.ses.region     COGNATE_SES_REGION            off (required with SES)
//	messaging.ses.endpoint   COGNATE_SES_ENDPOINT          AWS's
//	messaging.sns.region     COGNATE_SNS_REGION            off (required with SNS)
//	messaging.sns.endpoint   COGNATE_SNS_ENDPOINT          AWS's
//	messaging.sms_webhook.url     COGNATE_SMS_WEBHOOK_URL     off (https, or http to localhost)
//	messaging.sms_webhook.secret  COGNATE_SMS_WEBHOOK_SECRET  required with the webhook (16+)
//	messaging.outbox.listen       COGNATE_OUTBOX_LISTEN       off (a loopback host:port serving the outbox)
//	messaging.outbox.unsafe_serve_to_anyone  COGNATE_OUTBOX_UNSAFE_SERVE_TO_ANYONE  false
//	cors.allowed_origins     COGNATE_CORS_ALLOWED_ORIGINS (a,b,…)  empty: any origin
//	change_log.retention            COGNATE_CHANGE_LOG_RETENTION            168h (1m to 87600h)
//	change_log.compaction_interval  COGNATE_CHANGE_LOG_COMPACTION_INTERVAL  1h (1m to 24h)
//	sts.mode                  COGNATE_STS_MODE                  local (aws, endpoint)
//	sts.endpoint              COGNATE_STS_ENDPOINT              required with endpoint
//	sts.region                COGNATE_STS_REGION                region
//	sts.max_session_duration  COGNATE_STS_MAX_SESSION_DURATION  12h (15m to 12h)
//	sts.trusted_issuers       (file only)                       none besides the identity issuer
//
// The admin secret, the SMTP password and the SMS webhook secret are
// Secrets, which print, log and marshal as "REDACTED"; Config.String,
// Config.LogValue and Config.Redacted hide them and any password in the
// database URL. The messaging blocks are off until one of their keys is
// set, and appear in String and LogValue only then. LoadOrCreateAdminCredentials
// generates the admin key pair on first start when none is configured.
//
// The file is decoded by walking the parsed YAML tree instead of with
// yaml.Decoder.KnownFields: the deprecation step renames keys in that
// tree, which Node.Decode cannot then check strictly, and walking lets each
// problem name its full key path and every problem be reported in one run.
//
// Imports: from cognate only leaves: internal/ratelimit, to check the quota
// categories rate_limits names, and internal/cognito should it need
// Cognito's vocabulary; deps_test.go enforces this.
package config
