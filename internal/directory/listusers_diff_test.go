package directory

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// The differential test runs ListUsers against a reference written here
// from the documented semantics alone, over random pools, users and
// filters, on every backend, and requires identical answers.
const (
	diffUserSets       = 200 // pools, each with a fresh random user set
	diffFiltersPerSet  = 50  // random filters asked of each pool
	diffMaxUsersPerSet = 40
)

// diffAtoms are the pieces random values are made of: SQL and LIKE
// metacharacters, quotes and backslashes, spaces, letters whose case
// differs, non-ASCII letters (some of which change length when lowered),
// and pieces that are prefixes of one another.
var diffAtoms = []string{
	"a", "A", "b", "B", "ab", "Ab", "aB", "abc", "ABC",
	"%", "_", `\`, "'", `"`, " ", "  ", "*", "?", "[", "]", "^", "=", "/", ";", "--",
	"é", "É", "ß", "ẞ", "İ", "ı", "Ω", "日本", "😀", "x%y", "x_y", "%_", `\%`, `\\`, `\"`,
	"@example.com", "+1555", "0", "1", "CONFIRMED", "Enabled",
}

// diffValue returns a random value of 0 to 3 atoms.
func diffValue(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(4) {
		b.WriteString(diffAtoms[r.IntN(len(diffAtoms))])
	}
	return b.String()
}

// diffCaseVariant changes the case of some letters of v.
func diffCaseVariant(r *rand.Rand, v string) string {
	var b strings.Builder
	for _, c := range v {
		switch r.IntN(3) {
		case 0:
			b.WriteString(strings.ToUpper(string(c)))
		case 1:
			b.WriteString(strings.ToLower(string(c)))
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// diffRunePrefix returns the first n runes of v.
func diffRunePrefix(v string, n int) string {
	for i := range v {
		if n == 0 {
			return v[:i]
		}
		n--
	}
	return v
}

var diffStatuses = []idp.UserStatusType{"UNCONFIRMED", "CONFIRMED", "ARCHIVED", "COMPROMISED", "UNKNOWN", "RESET_REQUIRED", "FORCE_CHANGE_PASSWORD", "EXTERNAL_PROVIDER"}

// diffOptionalAttributes are the searchable attributes a user may lack.
var diffOptionalAttributes = []string{"email", "phone_number", "name", "given_name", "family_name", "preferred_username"}

// diffUsers returns a random user set for a pool. Usernames are unique as
// the pool compares them.
func diffUsers(r *rand.Rand, caseSensitive bool, at time.Time) []*userRecord {
	n := r.IntN(diffMaxUsersPerSet + 1)
	seen := map[string]bool{}
	var users []*userRecord
	for len(users) < n {
		name := diffValue(r)
		if r.IntN(4) == 0 && len(users) > 0 {
			// A case variant or extension of an earlier username.
			name = diffCaseVariant(r, users[r.IntN(len(users))].Username) + diffValue(r)
		}
		key := name
		if !caseSensitive {
			key = strings.ToLower(name)
		}
		if name == "" || seen[key] {
			continue
		}
		seen[key] = true
		var b [16]byte
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		u := &userRecord{
			Username: name, Sub: luUUID(b), Enabled: r.IntN(2) == 0,
			Status:     diffStatuses[r.IntN(len(diffStatuses))],
			Attributes: map[string]string{},
			CreatedAt:  at, UpdatedAt: at,
		}
		for _, a := range diffOptionalAttributes {
			if r.IntN(3) == 0 {
				continue
			}
			v := diffValue(r)
			if r.IntN(3) == 0 && len(users) > 0 {
				// Share, vary or extend another user's value.
				if other, ok := users[r.IntN(len(users))].Attributes[a]; ok {
					v = diffCaseVariant(r, other) + diffValue(r)
				}
			}
			u.Attributes[a] = v
		}
		// An unsearchable attribute that must never match.
		u.Attributes["locale"] = diffValue(r)
		users = append(users, u)
	}
	return users
}

// diffFilter is one random filter: the condition, and the Filter string
// that spells it.
type diffFilter struct {
	attr   string
	prefix bool
	value  string
	text   string
}

// diffQuote spells v as a filter value. Quotes and backslashes are escaped
// with a backslash, except, when lenient, a backslash that neither ends the
// value nor precedes a quote or backslash, which may stand alone.
func diffQuote(v string, lenient bool) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			if lenient && i+1 < len(v) && v[i+1] != '"' && v[i+1] != '\\' {
				b.WriteByte('\\')
			} else {
				b.WriteString(`\\`)
			}
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// diffValueOf returns the value of searchable attribute a of u as the
// documentation describes it, and whether u has it.
func diffValueOf(u *userRecord, a string) (string, bool) {
	switch a {
	case "username":
		return u.Username, true
	case "sub":
		return u.Sub, true
	case "cognito:user_status":
		return string(u.Status), true
	case "status":
		if u.Enabled {
			return "Enabled", true
		}
		return "Disabled", true
	}
	v, ok := u.Attributes[a]
	return v, ok
}

// diffNewFilter returns a random filter, usually built from a value some
// user has (whole, cut to a prefix, or in another case).
func diffNewFilter(r *rand.Rand, users []*userRecord) diffFilter {
	f := diffFilter{attr: searchableAttributes[r.IntN(len(searchableAttributes))], prefix: r.IntN(2) == 0}
	f.value = diffValue(r)
	if len(users) > 0 && r.IntN(5) != 0 {
		if v, ok := diffValueOf(users[r.IntN(len(users))], f.attr); ok {
			f.value = v
			if f.prefix {
				f.value = diffRunePrefix(v, r.IntN(len([]rune(v))+1))
			}
			if r.IntN(3) == 0 {
				f.value = diffCaseVariant(r, f.value)
			}
		}
	}
	op := "="
	if f.prefix {
		op = "^="
	}
	name := f.attr
	if r.IntN(4) == 0 {
		name = `"` + name + `"`
	}
	spaces := []string{"", " ", "  ", "\t"}
	sp := func() string { return spaces[r.IntN(len(spaces))] }
	f.text = sp() + name + sp() + op + sp() + diffQuote(f.value, r.IntN(2) == 0) + sp()
	return f
}

// diffReference answers a filter from the user set, by the documented
// rules: username compares as the pool compares usernames, status exactly,
// and every other attribute case-insensitively. It returns the matching
// subs in sorted order.
func diffReference(users []*userRecord, caseSensitive bool, f *diffFilter) []string {
	var out []string
	for _, u := range users {
		if f != nil {
			v, ok := diffValueOf(u, f.attr)
			if !ok {
				continue
			}
			want := f.value
			fold := f.attr != "status" && (f.attr != "username" || !caseSensitive)
			if fold {
				v, want = strings.ToLower(v), strings.ToLower(want)
			}
			if f.prefix && !strings.HasPrefix(v, want) || !f.prefix && v != want {
				continue
			}
		}
		out = append(out, u.Sub)
	}
	slices.Sort(out)
	return out
}

// diffListAll lists every user the filter selects, one page of limit at a
// time, following the pagination tokens, and returns the usernames and
// subs in the order returned.
func diffListAll(t *testing.T, s *Service, pool *string, filter string, limit int) (names, subs []string) {
	t.Helper()
	var token *string
	for pages := 0; ; pages++ {
		if pages > diffMaxUsersPerSet+2 {
			t.Fatalf("filter %q: pagination does not end", filter)
		}
		out, err := s.ListUsers(context.Background(), luCaller, &idp.ListUsersRequest{
			UserPoolId: pool, Filter: cognito.Ptr(filter), Limit: cognito.Ptr(int32(limit)), PaginationToken: token,
		})
		if err != nil {
			t.Fatalf("ListUsers(filter %q, limit %d): %v", filter, limit, err)
		}
		if len(out.Users) > limit {
			t.Fatalf("filter %q: page of %d users over limit %d", filter, len(out.Users), limit)
		}
		for _, u := range out.Users {
			names = append(names, cognito.Deref(u.Username))
			sub := ""
			for _, a := range u.Attributes {
				if cognito.Deref(a.Name) == "sub" {
					sub = cognito.Deref(a.Value)
				}
			}
			subs = append(subs, sub)
		}
		if out.PaginationToken == nil {
			return names, subs
		}
		if len(out.Users) == 0 {
			t.Fatalf("filter %q: empty page with a pagination token", filter)
		}
		token = out.PaginationToken
	}
}

func TestListUsersDifferential(t *testing.T) {
	for _, backend := range luBackends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			st := luOpenStore(t, backend)
			at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
			s := newTestService(st, Options{Passwords: testPasswords, Clock: func() time.Time { return at }})
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			r := rand.New(rand.NewPCG(seed, 0x5eed))
			pairs, mismatches := 0, 0
			for set := range diffUserSets {
				caseSensitive := r.IntN(2) == 0
				p := luNewPool(t, s, caseSensitive)
				users := diffUsers(r, caseSensitive, at)
				luPutUsers(t, st, p, users, 1000)
				bySub := map[string]*userRecord{}
				for _, u := range users {
					bySub[u.Sub] = u
				}
				for i := range diffFiltersPerSet {
					var f *diffFilter
					text := ""
					if i > 0 || r.IntN(2) == 0 { // now and then, no filter at all
						nf := diffNewFilter(r, users)
						f, text = &nf, nf.text
					}
					want := diffReference(users, caseSensitive, f)

					// One page holds every match; random smaller pages,
					// concatenated, must give the same list in the same order.
					allNames, allSubs := diffListAll(t, s, p.Id, text, userpool.DefaultQueryLimit)
					limit := 1 + r.IntN(max(1, len(want)/2))
					pagedNames, pagedSubs := diffListAll(t, s, p.Id, text, limit)
					pairs++

					got := slices.Clone(allSubs)
					slices.Sort(got)
					ok := cmp.Equal(want, got) && cmp.Equal(allSubs, pagedSubs) && cmp.Equal(allNames, pagedNames)
					for i, sub := range allSubs {
						if u := bySub[sub]; u == nil || u.Username != allNames[i] {
							ok = false
						}
					}
					if !ok {
						mismatches++
						if mismatches <= 10 {
							t.Errorf("set %d (case-sensitive %v, %d users), filter %q, limit %d:\nreference %q\nall       %q\npaged     %q",
								set, caseSensitive, len(users), text, limit, want, allSubs, pagedSubs)
						}
					}
				}
			}
			if pairs < 10000 {
				t.Errorf("ran %d (user set, filter) pairs, want at least 10000", pairs)
			}
			if mismatches > 0 {
				t.Errorf("%d of %d pairs mismatched (seed %d)", mismatches, pairs, seed)
			}
			t.Logf("%d (user set, filter) pairs, %d mismatches", pairs, mismatches)
		})
	}
}

// TestDiffQuote checks the test's own filter spelling against the parser,
// so that a mismatch above is about matching, not quoting.
func TestDiffQuote(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		v := diffValue(r)
		for _, lenient := range []bool{false, true} {
			f, err := parseUserFilter("name=" + diffQuote(v, lenient))
			if err != nil {
				t.Fatalf("value %q (lenient %v): %v", v, lenient, err)
			}
			if f.Value != v {
				t.Fatalf("value %q (lenient %v) parsed as %q", v, lenient, f.Value)
			}
		}
	}
}
