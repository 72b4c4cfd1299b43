package geoip_test

import (
	"math"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/geoip"
	"github.com/cognate-dev/cognate/internal/geoip/geoiptest"
)

// TestLookup writes a database with mmdbwriter and reads it back: the
// places of its networks, nothing for an address it does not hold, and
// IPv4 addresses written as IPv6.
func TestLookup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "city.mmdb")
	if err := geoiptest.Write(path, []geoiptest.Place{
		{Network: "192.0.2.0/24", City: "Paris", Country: "France", CountryCode: "FR", Latitude: 48.8566, Longitude: 2.3522},
		{Network: "2001:db8::/32", City: "Sydney", Country: "Australia", CountryCode: "AU", Latitude: -33.8688, Longitude: 151.2093},
	}); err != nil {
		t.Fatal(err)
	}
	db, err := geoip.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	paris := geoip.Location{City: "Paris", Country: "France", Latitude: 48.8566, Longitude: 2.3522, HasCoordinates: true}
	sydney := geoip.Location{City: "Sydney", Country: "Australia", Latitude: -33.8688, Longitude: 151.2093, HasCoordinates: true}
	cases := []struct {
		name   string
		addr   string
		want   geoip.Location
		wantOK bool
	}{
		{"IPv4", "192.0.2.77", paris, true},
		{"IPv4 in IPv6 form", "::ffff:192.0.2.1", paris, true},
		{"IPv6", "2001:db8::1", sydney, true},
		{"not in the database", "198.51.100.1", geoip.Location{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := db.Lookup(netip.MustParseAddr(tc.addr))
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("location (-want +got):\n%s", d)
			}
		})
	}
	// Paris to Sydney is about 16,960 km.
	if d := geoip.DistanceKm(paris, sydney); math.Abs(d-16960) > 50 {
		t.Errorf("DistanceKm(Paris, Sydney) = %.0f, want about 16960", d)
	}
	if d := geoip.DistanceKm(paris, paris); d != 0 {
		t.Errorf("DistanceKm(Paris, Paris) = %v", d)
	}
}

// TestOpenMissingFile: a database that cannot be read is an error, which
// refuses the start of a server configured with it.
func TestOpenMissingFile(t *testing.T) {
	if _, err := geoip.Open(filepath.Join(t.TempDir(), "none.mmdb")); err == nil {
		t.Fatal("Open of a missing file succeeded")
	}
}
