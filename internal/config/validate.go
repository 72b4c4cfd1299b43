package config

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ValidationErrors lists configuration problems, each prefixed with the
// key path it is about.
type ValidationErrors []string

// Error lists the problems one per line.
func (e ValidationErrors) Error() string { return strings.Join(e, "\n") }

// Limits that Validate enforces.
const (
	MinBodyBytes = 1 << 10
	MaxBodyBytes = 64 << 20
)

var (
	accountIDPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	accessKeyIDPattern = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
	// regionPattern matches AWS region names: a two-letter area, an
	// optional partition qualifier (gov, iso, isob, …), a direction or
	// place, and a number: us-east-1, us-gov-west-1, ap-southeast-7.
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]{0,2})?-[a-z]+-[0-9]{1,2}$`)
)

var (
	synchronousModes = []string{"FULL", "NORMAL", "EXTRA"}
	logLevels        = []string{"debug", "info", "warn", "error"}
	logFormats       = []string{"json", "text"}
)

// Validate reports every problem with c as a ValidationErrors, or nil. It
// does not change c, and it checks the values as they are: Load applies
// the defaults before it calls Validate.
func (c *Config) Validate() error {
	var p ValidationErrors
	add := func(key, format string, args ...any) {
		p = append(p, key+": "+fmt.Sprintf(format, args...))
	}

	if !validListen(c.Listen) {
		add("listen", "must be host:port")
	}
	if c.PprofListen != "" {
		switch {
		case !validListen(c.PprofListen):
			add("pprof_listen", "must be host:port")
		case !loopbackHost(c.PprofListen):
			add("pprof_listen", "must be a loopback address (localhost, 127.0.0.1 or [::1]): profiles are for the machine's own operators")
		}
	}
	if c.DataDir == "" {
		add("data_dir", "required")
	}
	if c.Backend() == "" {
		add("database", `must be "sqlite" or a postgres:// URL`)
	}
	if !slices.Contains(synchronousModes, c.SQLite.Synchronous) {
		add("sqlite.synchronous", "must be FULL, NORMAL or EXTRA, not %q", c.SQLite.Synchronous)
	}
	if !regionPattern.MatchString(c.Region) {
		add("region", "%q is not a valid region name", c.Region)
	}
	for i, r := range c.Regions {
		key := "regions[" + strconv.Itoa(i) + "]"
		switch {
		case !regionPattern.MatchString(r):
			add(key, "%q is not a valid region name", r)
		case slices.Index(c.Regions, r) < i:
			add(key, "%q is listed twice", r)
		}
	}
	if !accountIDPattern.MatchString(c.AccountID) {
		add("account_id", "must be 12 digits")
	}
	switch {
	case (c.Admin.AccessKeyID == "") != (c.Admin.SecretAccessKey == ""):
		add("admin", "access_key_id and secret_access_key must be set together")
	case c.Admin.AccessKeyID != "":
		if !accessKeyIDPattern.MatchString(c.Admin.AccessKeyID) {
			add("admin.access_key_id", "must be 16 to 128 characters of A-Z and 0-9")
		}
		if !validSecret(string(c.Admin.SecretAccessKey)) {
			add("admin.secret_access_key", "must be 16 to 128 printable characters without spaces")
		}
	}
	if c.MaxBodyBytes < MinBodyBytes || c.MaxBodyBytes > MaxBodyBytes {
		add("max_body_bytes", "must be between %d and %d", MinBodyBytes, MaxBodyBytes)
	}
	if time.Duration(c.ShutdownTimeout) <= 0 {
		add("shutdown_timeout", "must be positive")
	}
	if !slices.Contains(logLevels, c.Log.Level) {
		add("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	if !slices.Contains(logFormats, c.Log.Format) {
		add("log.format", "must be json or text, not %q", c.Log.Format)
	}
	c.Messaging.validate(add)
	c.RateLimits.validate(add)
	c.CORS.validate(add)
	c.LogDelivery.validate(add)
	c.ThreatProtection.validate(add)
	c.IdentityPools.validate(add)
	c.ChangeLog.validate(add)
	c.UserImport.validate(add)
	c.STS.validate(add)
	c.Triggers.validate(add)
	c.HostedUI.validate(add)
	c.Federation.validate(add)
	c.TLS.validate(add)
	c.validateReplication(add)
	if h := c.PasswordHashing; h.Parallelism < 1 || h.Iterations < 1 || h.MemoryKiB < 1024 || h.MemoryKiB < 8*uint32(h.Parallelism) || h.MemoryKiB > 4<<20 {
		add("password_hashing", "needs memory_kib from 1024 (and 8 per lane) to 4194304, and iterations and parallelism of at least 1")
	}
	if c.IssuerBaseURL != "" {
		u, err := url.Parse(c.IssuerBaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Path, "/") {
			add("issuer_base_url", "must be an http(s) URL without a query, fragment or trailing slash")
		}
	}
	current, _, err := c.EncryptionKeyBytes()
	if err != nil {
		add("encryption_key", "%v", err)
	}
	var previous [][]byte
	for i, s := range c.EncryptionKeysPrevious {
		key, err := decodeEncryptionKey(s)
		path := fmt.Sprintf("encryption_keys_previous[%d]", i)
		switch {
		case err != nil:
			add(path, "%v", err)
		case current != nil && bytes.Equal(key, current):
			add(path, "is encryption_key itself; list only earlier keys")
		case slices.ContainsFunc(previous, func(p []byte) bool { return bytes.Equal(p, key) }):
			add(path, "is listed twice")
		}
		previous = append(previous, key)
	}

	if len(p) == 0 {
		return nil
	}
	return p
}

// validListen reports whether s is host:port with a numeric port; the host
// may be empty (all interfaces) and port 0 picks a free port.
func validListen(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	return err == nil && n <= 65535
}

// loopbackHost reports whether the host of the host:port s is localhost
// or a loopback IP address.
func loopbackHost(s string) bool {
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validSecret accepts the base64 alphabet AWS uses and any other printable
// ASCII except the space, so that hand-made secrets work too.
func validSecret(s string) bool {
	if len(s) < 16 || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	return true
}
