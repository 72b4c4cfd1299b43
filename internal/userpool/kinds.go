package userpool

import "github.com/cognate-dev/cognate/internal/storage"

// Item kinds this package stores. Each kind's Data is the JSON of the
// matching record type, and every item of them carries its pool, so that
// DeleteUserPool deletes them with the pool's other items, whatever
// package stores those (storage.Tx.DeletePoolItems).
const (
	kindClient         = "client"          // ID is the client ID
	kindResourceServer = "resource_server" // ID is "<pool>/<identifier>"
	kindDomain         = "domain"          // ID is the domain name
	kindUICustomize    = "ui_customization"
	// kindIdentityProvider's ID is "<pool>/<provider name>".
	kindIdentityProvider = "identity_provider"
	// kindSigningCertificate's ID is the pool ID: the pool's SAML signing
	// key and certificate (GetSigningCertificate).
	kindSigningCertificate = "saml_signing_certificate"
)

// Every kind this package writes is declared to the store (see
// storage.Replication): the pool configuration replicates to every region.
func init() {
	for _, k := range []string{kindClient, kindResourceServer, kindDomain, kindUICustomize, kindBranding, kindTerms, kindIdentityProvider, kindSigningCertificate} {
		storage.DeclareKind(k, storage.Replicated)
	}
	// Every sign-in, token request and client-authenticated call reads
	// its app client, every request to a pool's domain (the hosted UI and
	// the OAuth endpoints) the domain, and both rarely change: a store
	// that learns of every write of them may answer those reads from
	// memory (storage.DeclareCached).
	storage.DeclareCached(kindClient)
	storage.DeclareCached(kindDomain)
}
