package userpool

import "github.com/cognate-dev/cognate/internal/storage"

// Item kinds this package stores. Each kind's Data is the JSON of the
// matching record type.
const (
	kindClient         = "client"          // ID is the client ID
	kindResourceServer = "resource_server" // ID is "<pool>/<identifier>"
	kindDomain         = "domain"          // ID is the domain name
	kindUICustomize    = "ui_customization"

	// Kinds other packages store inside a pool, named here so that
	// DeleteUserPool removes them too.
	kindUser         = "user"          // internal/directory
	kindGroup        = "group"         // internal/directory
	kindGroupMember  = "group_member"  // internal/directory
	kindAuthEvent    = "auth_event"    // internal/directory
	kindSigningKey   = "signing_key"   // internal/tokens
	kindRefreshToken = "refresh_token" // internal/authflow
	kindTokenFamily  = "token_family"  // internal/authflow
	kindAuthSession  = "auth_session"  // internal/authflow
)

// Every kind this package writes is declared to the store (see
// storage.Replication): the directory and the pool configuration replicate
// to every region; recorded authentication events stay in the region that
// records them, out of the change log (ARCHITECTURE.md: they are
// AdminListUserAuthEvents' one source). The kinds of other
// packages that DeleteUserPool purges are declared as their packages
// declare them, so that this package runs without those packages.
func init() {
	for _, k := range []string{
		kindUser, kindClient, kindGroup, kindGroupMember, kindResourceServer,
		kindDomain, kindUICustomize, kindBranding, kindTerms,
		kindSigningKey, kindRefreshToken, kindTokenFamily,
	} {
		storage.DeclareKind(k, storage.Replicated)
	}
	storage.DeclareKind(kindAuthEvent, storage.Local)
	storage.DeclareKind(kindAuthSession, storage.Local)
}

// poolItemKinds lists every item kind that lives inside a pool, so that
// DeleteUserPool removes them all. A new kind must be added here.
var poolItemKinds = []string{
	kindUser, kindClient, kindGroup, kindGroupMember, kindResourceServer,
	kindDomain, kindUICustomize, kindAuthEvent, kindBranding, kindTerms,
	kindSigningKey, kindRefreshToken, kindTokenFamily, kindAuthSession,
}
