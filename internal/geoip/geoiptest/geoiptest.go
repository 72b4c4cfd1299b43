// Package geoiptest writes small MaxMind-format City databases for tests,
// with github.com/maxmind/mmdbwriter, so that no third-party database
// file is committed. Only tests import it.
package geoiptest

import (
	"fmt"
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Place is one network of a generated database and where it is.
type Place struct {
	// Network is a CIDR block ("192.0.2.0/24").
	Network string
	// City, Country (English names) and CountryCode (ISO 3166).
	City, Country, CountryCode string
	Latitude, Longitude        float64
}

// Write writes a GeoLite2-City-shaped database of places to path. The
// documentation and private ranges tests use are included (mmdbwriter
// leaves reserved networks out unless told).
func Write(path string, places []Place) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "GeoLite2-City", RecordSize: 28, IncludeReservedNetworks: true,
		Description: map[string]string{"en": "cognate test database"},
	})
	if err != nil {
		return err
	}
	for _, p := range places {
		_, network, err := net.ParseCIDR(p.Network)
		if err != nil {
			return fmt.Errorf("place %q: %w", p.Network, err)
		}
		rec := mmdbtype.Map{
			"city": mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(p.City)}},
			"country": mmdbtype.Map{
				"iso_code": mmdbtype.String(p.CountryCode),
				"names":    mmdbtype.Map{"en": mmdbtype.String(p.Country)},
			},
			"location": mmdbtype.Map{"latitude": mmdbtype.Float64(p.Latitude), "longitude": mmdbtype.Float64(p.Longitude)},
		}
		if err := tree.Insert(network, rec); err != nil {
			return fmt.Errorf("place %q: %w", p.Network, err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
