// Package bench is cognate's load generator, behind `cognate bench`. It
// drives any Cognito-compatible endpoint through the AWS SDK for Go v2 and
// reports, per scenario and concurrency, throughput, p50/p95/p99 latency
// and errors, as a table or as JSON.
//
// Before the scenarios, Run measures on the same machine the work that
// bounds each one (argon2id at the server's parameters, the SRP server
// step, RS256 signing and verification; see bounds.go) and reports every
// scenario's rate as a ratio to its bound: absolute rates drift on shared
// machines, ratios measured in one run much less. The terms of a
// scenario's bound are measured again right before and right after each
// of its timed windows (around.go), and its ratios taken against those, so
// that the machine's drift over a long run does not move them. Given the server's
// process ID (Linux), it also reads the server's CPU time and its own over
// each timed window from /proc (cpu.go), and rates the server's CPU per
// iteration against the bound's CPU per operation: a ratio the load
// generator's CPU on the same cores does not cap.
//
// Run creates its own user pool and app client on the target (named
// cognate-bench-…), brings it to the requested number of users through the
// API, and deletes it at the end. LoadUsers is the bulk path for a local
// server's store: it writes synthetic users (one shared password hash) in
// transactions of 1,000, for pools of a million users that the API would
// take hours to fill. It is test data only, and must run against a store
// no server is writing to.
//
// Every loop is bounded in count and in time.
//
// It may import internal/cognito, internal/storage, internal/userpool (for
// the bulk loader), internal/password (for the argon2id bound and the
// loaded users' shared hash) and internal/srp (for the SRP bound and the
// sealed verifiers of loaded users), internal/srp/srpclient (the client
// side of SRP, written apart from the server's), and the AWS SDK. No engine, edge or
// storage package imports bench: only
// cmd/cognate does (deps_test.go checks both directions).
package bench
