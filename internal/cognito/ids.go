package cognito

import (
	"crypto/rand"
	"fmt"
	"strings"
)

// ValidRegion reports whether name looks like an AWS region name, such as
// us-east-1 or us-gov-west-1: it matches ^[a-z]{2}(-[a-z]+)+-[0-9]+$. It is
// written out rather than matched with a regular expression because every
// signed request checks its region twice; ids_test.go holds it to the
// expression.
func ValidRegion(name string) bool {
	if len(name) < 2 || !isLowerASCII(name[0]) || !isLowerASCII(name[1]) {
		return false
	}
	words, digits := 0, false // words: the -[a-z]+ parts seen; digits: in the last part
	for i := 2; i < len(name); {
		if name[i] != '-' {
			return false
		}
		j := i + 1
		for j < len(name) && isLowerASCII(name[j]) {
			j++
		}
		if j > i+1 {
			if digits {
				return false // a word after the digits
			}
			words++
			i = j
			continue
		}
		for j < len(name) && name[j] >= '0' && name[j] <= '9' {
			j++
		}
		if j == i+1 || digits || j != len(name) {
			return false // an empty part, a second number, or more after it
		}
		digits = true
		i = j
	}
	return words > 0 && digits
}

func isLowerASCII(b byte) bool { return b >= 'a' && b <= 'z' }

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
