package directory

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

func TestParseUserFilter(t *testing.T) {
	tests := []struct {
		name    string
		filter  string
		want    *userFilter
		wantErr string // the InvalidParameterException message, "" for success
	}{
		{name: "empty", filter: "", want: nil},
		{name: "blank", filter: " \t\n", want: nil},
		{name: "exact", filter: `email = "jane@example.com"`, want: &userFilter{Attr: "email", Value: "jane@example.com"}},
		{name: "prefix", filter: `given_name ^= "Ja"`, want: &userFilter{Attr: "given_name", Prefix: true, Value: "Ja"}},
		{name: "no spaces", filter: `email^="testuser"`, want: &userFilter{Attr: "email", Prefix: true, Value: "testuser"}},
		{name: "quoted name", filter: `"family_name"="Reddy"`, want: &userFilter{Attr: "family_name", Value: "Reddy"}},
		{name: "surrounding whitespace", filter: "\t name  =\n\"Jo\"  ", want: &userFilter{Attr: "name", Value: "Jo"}},
		{name: "colon name", filter: `cognito:user_status = "FORCE_CHANGE_PASSWORD"`, want: &userFilter{Attr: "cognito:user_status", Value: "FORCE_CHANGE_PASSWORD"}},
		{name: "status", filter: `status = "Disabled"`, want: &userFilter{Attr: "status", Value: "Disabled"}},
		{name: "sub", filter: `sub = "6b1d4c1c-0000-4000-8000-000000000000"`, want: &userFilter{Attr: "sub", Value: "6b1d4c1c-0000-4000-8000-000000000000"}},
		{name: "empty value", filter: `username = ""`, want: &userFilter{Attr: "username", Value: ""}},
		{name: "escaped quote", filter: `name = "say \"hi\""`, want: &userFilter{Attr: "name", Value: `say "hi"`}},
		{name: "escaped backslash", filter: `name = "a\\"`, want: &userFilter{Attr: "name", Value: `a\`}},
		{name: "lone backslash is literal", filter: `name = "DOMAIN\user"`, want: &userFilter{Attr: "name", Value: `DOMAIN\user`}},
		{name: "wildcards are literal", filter: `name ^= "%_'*"`, want: &userFilter{Attr: "name", Prefix: true, Value: `%_'*`}},
		{name: "unicode", filter: `name = "Zoë 日本"`, want: &userFilter{Attr: "name", Value: "Zoë 日本"}},
		{name: "equals sign in value", filter: `name = "a = b"`, want: &userFilter{Attr: "name", Value: "a = b"}},

		{name: "unquoted value", filter: `username = foo`, wantErr: "Error while parsing filter."},
		{name: "no value", filter: `username=`, wantErr: "Error while parsing filter."},
		{name: "no operator", filter: `username "foo"`, wantErr: "Error while parsing filter."},
		{name: "bare name", filter: `username`, wantErr: "Error while parsing filter."},
		{name: "unknown operator", filter: `username != "foo"`, wantErr: "Error while parsing filter."},
		{name: "unterminated value", filter: `username = "foo`, wantErr: "Error while parsing filter."},
		{name: "escaped closing quote", filter: `username = "foo\"`, wantErr: "Error while parsing filter."},
		{name: "unterminated name", filter: `"username = "foo"`, wantErr: "Error while parsing filter."},
		{name: "empty quoted name", filter: `"" = "foo"`, wantErr: "Error while parsing filter."},
		{name: "no name", filter: `= "foo"`, wantErr: "Error while parsing filter."},
		{name: "two conditions", filter: `email = "a" and name = "b"`, wantErr: "Error while parsing filter."},
		{name: "trailing text", filter: `email = "a" x`, wantErr: "Error while parsing filter."},
		{name: "single quotes", filter: `email = 'a'`, wantErr: "Error while parsing filter."},

		{name: "custom attribute", filter: `custom:foo = "bar"`, wantErr: "Invalid search attribute: custom:foo"},
		{name: "unsearchable standard attribute", filter: `locale ^= "en"`, wantErr: "Invalid search attribute: locale"},
		{name: "attribute names are case-sensitive", filter: `Email = "a"`, wantErr: "Invalid search attribute: Email"},
		{name: "quoted unknown name", filter: `"e mail" = "a"`, wantErr: "Invalid search attribute: e mail"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseUserFilter(tc.filter)
			if tc.wantErr != "" {
				var ce *cognito.Error
				if !errors.As(err, &ce) || ce.Code != "InvalidParameterException" || ce.Message != tc.wantErr {
					t.Fatalf("parseUserFilter(%q) error = %v, want InvalidParameterException %q", tc.filter, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseUserFilter(%q): %v", tc.filter, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseUserFilter(%q) (-want +got):\n%s", tc.filter, diff)
			}
		})
	}
}

// TestUserFilterScan checks the storage scan each filter maps to: always
// one index scan of the filtered attribute, exact for = and by prefix for
// ^=, with the value in its search form. That scan is what makes a
// filtered ListUsers cost the users it returns rather than the pool.
func TestUserFilterScan(t *testing.T) {
	sensitive := &idp.UserPoolType{Id: cognito.Ptr("us-east-1_P"), UsernameConfiguration: &idp.UsernameConfigurationType{CaseSensitive: cognito.Ptr(true)}}
	insensitive := &idp.UserPoolType{Id: cognito.Ptr("us-east-1_P"), UsernameConfiguration: &idp.UsernameConfigurationType{CaseSensitive: cognito.Ptr(false)}}
	tests := []struct {
		name   string
		pool   *idp.UserPoolType
		filter string
		want   storage.ScanInput
	}{
		{"email prefix folds", sensitive, `email ^= "Jane.D"`, storage.ScanInput{Kind: kindUser, Prefix: "us-east-1_P/email/jane.d", DataOnly: true}},
		{"email exact folds", sensitive, `email = "Jane@X"`, storage.ScanInput{Kind: kindUser, Prefix: "us-east-1_P/email/jane@x", Exact: true, DataOnly: true}},
		{"username in a case-sensitive pool", sensitive, `username ^= "Al"`, storage.ScanInput{Kind: kindUser, Prefix: "us-east-1_P/username/Al", DataOnly: true}},
		{"username in a case-insensitive pool", insensitive, `username ^= "Al"`, storage.ScanInput{Kind: kindUser, Prefix: "us-east-1_P/username/al", DataOnly: true}},
		{"status is case-sensitive", insensitive, `status = "Enabled"`, storage.ScanInput{Kind: kindUser, Prefix: "us-east-1_P/status/Enabled", Exact: true, DataOnly: true}},
		{"user status folds", sensitive, `cognito:user_status = "Confirmed"`, storage.ScanInput{Kind: kindUser, Prefix: "us-east-1_P/cognito:user_status/confirmed", Exact: true, DataOnly: true}},
		{"wildcards stay literal", sensitive, `name ^= "100%_\\"`, storage.ScanInput{Kind: kindUser, Prefix: `us-east-1_P/name/100%_\`, DataOnly: true}},
		{"empty prefix", sensitive, `phone_number ^= ""`, storage.ScanInput{Kind: kindUser, Prefix: "us-east-1_P/phone_number/", DataOnly: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseUserFilter(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, f.scan(tc.pool)); diff != "" {
				t.Errorf("scan (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUserIndex checks the index entries of a user, which the scans above
// must meet.
func TestUserIndex(t *testing.T) {
	p := &idp.UserPoolType{Id: cognito.Ptr("us-east-1_P"), UsernameConfiguration: &idp.UsernameConfigurationType{CaseSensitive: cognito.Ptr(false)}}
	u := &userRecord{
		Username: "Alice", Sub: "SUB-1", Enabled: false, Status: "CONFIRMED",
		Attributes: map[string]string{"email": "Alice@Example.com", "name": "", "locale": "en", "custom:x": "y"},
	}
	want := []string{
		"us-east-1_P/username/alice",
		"us-east-1_P/email/alice@example.com",
		"us-east-1_P/name/",
		"us-east-1_P/cognito:user_status/confirmed",
		"us-east-1_P/status/Disabled",
		"us-east-1_P/sub/sub-1",
	}
	if diff := cmp.Diff(want, userIndex(p, u)); diff != "" {
		t.Errorf("userIndex (-want +got):\n%s", diff)
	}
}

// scanRecorder is a store that records the listing calls made outside
// transactions.
type scanRecorder struct {
	storage.Store
	mu    sync.Mutex
	scans []storage.ScanInput
	lists []storage.ListItemsInput
}

func (r *scanRecorder) ScanIndex(ctx context.Context, in storage.ScanInput) ([]storage.IndexEntry, error) {
	r.mu.Lock()
	r.scans = append(r.scans, in)
	r.mu.Unlock()
	return r.Store.ScanIndex(ctx, in)
}

func (r *scanRecorder) ListItems(ctx context.Context, in storage.ListItemsInput) ([]*storage.Item, error) {
	r.mu.Lock()
	r.lists = append(r.lists, in)
	r.mu.Unlock()
	return r.Store.ListItems(ctx, in)
}

// TestListUsersUsesIndex shows end to end that a filtered ListUsers makes
// exactly one index scan, bounded by the page size, and never lists the
// pool's users, while an unfiltered one lists them by ID.
func TestListUsersUsesIndex(t *testing.T) {
	rec := &scanRecorder{Store: luOpenStore(t, "sqlite")}
	s := newTestService(rec, Options{Passwords: testPasswords})
	p := luNewPool(t, s, true)
	pool := cognito.Deref(p.Id)
	now := time.Now().UTC().Truncate(time.Millisecond)
	var users []*userRecord
	for _, name := range []string{"ann", "anna", "bob"} {
		users = append(users, &userRecord{Username: name, Sub: luSub(), Enabled: true, Status: "CONFIRMED",
			Attributes: map[string]string{"email": name + "@example.com"}, CreatedAt: now, UpdatedAt: now})
	}
	luPutUsers(t, rec, p, users, 100)

	ctx := context.Background()
	out, err := s.ListUsers(ctx, luCaller, &idp.ListUsersRequest{UserPoolId: p.Id, Filter: cognito.Ptr(`email ^= "Ann"`), Limit: cognito.Ptr(int32(5))})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Users) != 2 {
		t.Errorf("got %d users, want 2", len(out.Users))
	}
	wantScans := []storage.ScanInput{{Kind: kindUser, Prefix: pool + "/email/ann", Limit: 6, DataOnly: true}}
	if diff := cmp.Diff(wantScans, rec.scans); diff != "" {
		t.Errorf("scans (-want +got):\n%s", diff)
	}
	if len(rec.lists) != 0 {
		t.Errorf("filtered ListUsers listed items: %+v", rec.lists)
	}

	rec.scans, rec.lists = nil, nil
	if _, err := s.ListUsers(ctx, luCaller, &idp.ListUsersRequest{UserPoolId: p.Id}); err != nil {
		t.Fatal(err)
	}
	wantLists := []storage.ListItemsInput{{Kind: kindUser, Pool: pool, Limit: 61}}
	if diff := cmp.Diff(wantLists, rec.lists); diff != "" {
		t.Errorf("lists (-want +got):\n%s", diff)
	}
	if len(rec.scans) != 0 {
		t.Errorf("unfiltered ListUsers scanned: %+v", rec.scans)
	}
}
