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
//
// The admin secret is a Secret, which prints, logs and marshals as
// "REDACTED"; Config.String, Config.LogValue and Config.Redacted hide it
// and any password in the database URL. LoadOrCreateAdminCredentials
// generates the admin key pair on first start when none is configured.
//
// The file is decoded by walking the parsed YAML tree instead of with
// yaml.Decoder.KnownFields: the deprecation step renames keys in that
// tree, which Node.Decode cannot then check strictly, and walking lets each
// problem name its full key path and every problem be reported in one run.
//
// Imports: nothing from cognate (it may import internal/cognito, a leaf, if
// it needs Cognito's vocabulary); deps_test.go enforces this.
package config
