package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/geoip/geoiptest"
)

// TestGeoIPDatabase starts cognate with threat_protection.geoip_database:
// a database it can read (written by the test) serves; one it cannot
// (missing, or not a database) refuses the start and names the key.
func TestGeoIPDatabase(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "city.mmdb")
	if err := geoiptest.Write(good, []geoiptest.Place{{Network: "192.0.2.0/24", City: "Paris", Country: "France", CountryCode: "FR", Latitude: 48.86, Longitude: 2.35}}); err != nil {
		t.Fatal(err)
	}
	notDB := filepath.Join(dir, "not.mmdb")
	if err := os.WriteFile(notDB, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	config := func(path string) string {
		file := filepath.Join(t.TempDir(), "cognate.yaml")
		if err := os.WriteFile(file, []byte("threat_protection:\n  geoip_database: "+path+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	for _, bad := range []string{filepath.Join(dir, "missing.mmdb"), notDB} {
		code, _, stderr := runCmd(t, nil, "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--config", config(bad))
		if code != 1 || !strings.Contains(stderr, "threat_protection.geoip_database") {
			t.Errorf("serve with %s: exit %d, stderr %s; want 1 naming the key", bad, code, stderr)
		}
	}
	s := startServe(t, nil, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--config", config(good))
	if code, _ := get(t, s.url+"/ready"); code != 200 {
		t.Errorf("ready with a readable database: %d", code)
	}
	if code := s.shutdown(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
}
