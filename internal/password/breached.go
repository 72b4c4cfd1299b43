package password

import (
	"bufio"
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// BreachedList tells whether a password is known from breaches, for the
// compromised-credentials checks of threat protection. A password is
// looked up by its SHA-1 digest, the form in which breach corpora (Have I
// Been Pwned's Pwned Passwords among them) are published.
type BreachedList interface {
	// Breached reports whether password is on the list.
	Breached(ctx context.Context, password string) (bool, error)
}

// sha1Hex returns the upper-case hex SHA-1 of password. SHA-1 is not used
// for its strength here: it is the key the published lists are indexed by.
func sha1Hex(password string) string {
	sum := sha1.Sum([]byte(password))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// FileList is a breached-password list read from a local file: one entry a
// line, either a full SHA-1 digest (40 hex digits, optionally followed by
// ":count" as Pwned Passwords' files have it) or a prefix of 5 hex digits,
// which marks every password whose digest starts with it. Blank lines and
// lines starting with # are skipped. Nothing leaves the process.
type FileList struct {
	full     map[[sha1.Size]byte]struct{}
	prefixes map[string]struct{}
}

// LoadFileList reads path.
func LoadFileList(path string) (*FileList, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadFileList(f)
}

// ReadFileList reads a list in LoadFileList's format from r.
func ReadFileList(r io.Reader) (*FileList, error) {
	l := &FileList{full: map[[sha1.Size]byte]struct{}{}, prefixes: map[string]struct{}{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line, _, _ = strings.Cut(line, ":")
		line = strings.ToUpper(line)
		switch len(line) {
		case 2 * sha1.Size:
			var d [sha1.Size]byte
			if _, err := hex.Decode(d[:], []byte(line)); err != nil {
				return nil, fmt.Errorf("line %d: not a SHA-1 digest", n)
			}
			l.full[d] = struct{}{}
		case 5:
			if _, err := hex.DecodeString(line + "0"); err != nil {
				return nil, fmt.Errorf("line %d: not a 5-digit hex prefix", n)
			}
			l.prefixes[line] = struct{}{}
		default:
			return nil, fmt.Errorf("line %d: want a SHA-1 digest (40 hex digits) or a prefix (5 hex digits)", n)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

// Len returns how many digests and prefixes l holds.
func (l *FileList) Len() int { return len(l.full) + len(l.prefixes) }

// Breached implements BreachedList.
func (l *FileList) Breached(_ context.Context, password string) (bool, error) {
	sum := sha1.Sum([]byte(password))
	if _, ok := l.full[sum]; ok {
		return true, nil
	}
	_, ok := l.prefixes[strings.ToUpper(hex.EncodeToString(sum[:]))[:5]]
	return ok, nil
}

// RangeAPI is a breached-password list behind a k-anonymity range API, as
// Pwned Passwords serves it (GET <URL>/<first 5 hex digits of the SHA-1>,
// answered with "<remaining 35 digits>:<count>" lines). Only the 5-digit
// prefix leaves the process: the full digest is compared here, never sent.
type RangeAPI struct {
	// URL is the base the prefix is appended to, e.g.
	// https://api.pwnedpasswords.com/range.
	URL string
	// Client makes the requests; nil means one with a 5-second timeout.
	Client *http.Client
}

// maxRangeAnswer bounds how much of a range answer is read (Pwned
// Passwords' are under 40 KB, padded ones about 30 KB).
const maxRangeAnswer = 4 << 20

// Breached implements BreachedList. It asks for a padded answer (the
// Add-Padding header), so that the answer's size tells an observer
// nothing either.
func (a *RangeAPI) Breached(ctx context.Context, password string) (bool, error) {
	digest := sha1Hex(password)
	prefix, suffix := digest[:5], digest[5:]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(a.URL, "/")+"/"+prefix, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", "cognate")
	client := a.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, fmt.Errorf("breached-password range API: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("breached-password range API answered %s", resp.Status)
	}
	found := 0
	sc := bufio.NewScanner(io.LimitReader(resp.Body, maxRangeAnswer))
	for sc.Scan() {
		s, count, _ := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		// Padding entries carry a count of 0.
		if strings.TrimSpace(count) == "0" || len(s) != len(suffix) {
			continue
		}
		found |= subtle.ConstantTimeCompare([]byte(strings.ToUpper(s)), []byte(suffix))
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("breached-password range API: %w", err)
	}
	return found == 1, nil
}
