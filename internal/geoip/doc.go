// Package geoip locates client addresses in a MaxMind-format database
// (GeoLite2-City, GeoIP2-City, or any database with their city, country
// and location records), for threat protection's impossible-travel
// signal and the {city} and {country} of its notification emails.
//
// The database is a file the operator configures
// (threat_protection.geoip_database); cognate ships none. The file is
// read through github.com/oschwald/maxminddb-golang/v2, memory-mapped,
// and never written.
//
// It is a leaf: it imports no cognate package (deps_test.go).
package geoip
