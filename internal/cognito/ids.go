package cognito

import (
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"
)

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)

// ValidRegion reports whether name looks like an AWS region name, such as
// us-east-1 or us-gov-west-1.
func ValidRegion(name string) bool { return regionPattern.MatchString(name) }

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomString returns n characters drawn uniformly from alphabet with
// crypto/rand.
func RandomString(n int, alphabet string) string {
	out := make([]byte, n)
	buf := make([]byte, 1)
	limit := 256 - 256%len(alphabet)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(fmt.Sprintf("crypto/rand: %v", err))
		}
		if int(buf[0]) >= limit {
			continue
		}
		out[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(out)
}

// NewUserPoolID returns a fresh pool ID, <region>_<9 alphanumerics>.
func NewUserPoolID(region string) string {
	return region + "_" + RandomString(9, idAlphabet)
}

// RegionOfPoolID returns the region part of a pool ID, or "" when the ID
// has no valid region prefix.
func RegionOfPoolID(id string) string {
	region, _, ok := strings.Cut(id, "_")
	if !ok || !ValidRegion(region) {
		return ""
	}
	return region
}

// UserPoolARN returns the ARN of a user pool.
func UserPoolARN(region, account, poolID string) string {
	return fmt.Sprintf("arn:aws:cognito-idp:%s:%s:userpool/%s", region, account, poolID)
}

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// ParseARN splits an ARN into its parts.
func ParseARN(s string) (ARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ARN{}, false
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, true
}
