package geoip

import (
	"fmt"
	"math"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// DB is an open MaxMind-format database. It is safe for concurrent use.
type DB struct {
	r *maxminddb.Reader
}

// Open opens the database file at path.
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open GeoIP database %q: %w", path, err)
	}
	return &DB{r: r}, nil
}

// Close releases the database.
func (d *DB) Close() error { return d.r.Close() }

// Location is where the database places an address.
type Location struct {
	// City and Country are English names ("" when the database has
	// none); Country falls back to the ISO 3166 code.
	City, Country string
	// Latitude and Longitude are in degrees; HasCoordinates says the
	// database gave them.
	Latitude, Longitude float64
	HasCoordinates      bool
}

// record is the part of a City database's record that Lookup reads.
type record struct {
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	Country struct {
		ISOCode string            `maxminddb:"iso_code"`
		Names   map[string]string `maxminddb:"names"`
	} `maxminddb:"country"`
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
}

// Lookup returns where the database places addr; ok is false when the
// database has no record for it (or none could be read).
func (d *DB) Lookup(addr netip.Addr) (loc Location, ok bool) {
	if d == nil || !addr.IsValid() {
		return Location{}, false
	}
	res := d.r.Lookup(addr.Unmap())
	if !res.Found() {
		return Location{}, false
	}
	var rec record
	if err := res.Decode(&rec); err != nil {
		return Location{}, false
	}
	loc.City = rec.City.Names["en"]
	loc.Country = rec.Country.Names["en"]
	if loc.Country == "" {
		loc.Country = rec.Country.ISOCode
	}
	if rec.Location.Latitude != nil && rec.Location.Longitude != nil {
		loc.Latitude, loc.Longitude, loc.HasCoordinates = *rec.Location.Latitude, *rec.Location.Longitude, true
	}
	return loc, true
}

// earthRadiusKm is the mean radius of the Earth.
const earthRadiusKm = 6371.0

// DistanceKm is the great-circle distance between a and b in kilometres
// (the haversine formula); both must have coordinates.
func DistanceKm(a, b Location) float64 {
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	dLat, dLon := rad(b.Latitude-a.Latitude), rad(b.Longitude-a.Longitude)
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(rad(a.Latitude))*math.Cos(rad(b.Latitude))*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(h)))
}
