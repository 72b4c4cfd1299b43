// Package ratelimit holds cognate's request-rate limits.
//
// The protective limits (Guard, behind the small Protection interface) are
// token buckets per client address and per user, on by default, that the
// API edge (and, later, the hosted UI) asks before the work of a request
// anyone may send; TrustedProxies finds the client address behind trusted
// proxies, and the address travels in the context (WithClientAddr).
//
// FairQueue schedules the expensive work (password hashing, SRP) between
// client addresses, so that a flood from some cannot starve the others.
//
// The quota emulation (Limiter), off by default, limits request rates the
// way Amazon Cognito's API request rate quotas do: every user-pool operation belongs to a quota
// category (UserAuthentication, UserCreation, UserRead, …), each category
// has a rate in requests per second, and a request beyond the rate is
// refused (the API edge answers TooManyRequestsException).
//
// The categories, the operations in each and the default rates come from
// the Amazon Cognito Developer Guide, "Quotas in Amazon Cognito", table
// "Amazon Cognito user pools API operation categories and request rate
// quotas"; docs/rate-limits.md lists them and says where cognate departs
// from it. Cognito enforces a quota per account and region; cognate keeps
// one token bucket per category and key, and the API edge uses the user
// pool a request addresses (and, for IAM-authorized requests, the verified
// access key) as the key, so each pool gets the whole quota. The emulation
// is off unless configured: the quotas belong to AWS's shared service and
// protect nothing of a self-hosted server.
// RespondToAuthChallenge and AdminRespondToAuthChallenge have the guide's
// special handling: their own allowance of three times the
// UserAuthentication rate, and beyond it they draw on UserAuthentication.
//
// Buckets live in the process: with N cognate nodes behind a load balancer
// the cluster admits N times each rate. A bucket that has refilled is the
// same as no bucket, so idle buckets are dropped, and the number of
// buckets is capped; keys beyond the cap share one overflow bucket per
// category. Time comes from an injected clock, so tests never sleep.
//
// A token bucket keyed by (category, key) with a cap and an injected clock
// is a few lines on the standard library; golang.org/x/time/rate would
// supply only the bucket, not the keyed map, the idle sweep or the
// overflow rule, so the package does without it.
//
// It may import only the standard library: it is a leaf that the API edge,
// the configuration and (later) the OAuth 2.0 edge share.
package ratelimit
