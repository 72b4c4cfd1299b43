package directory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// benchUsers is how many users the ListUsers benchmarks' pool holds.
const benchUsers = 100_000

// loadListUsersBench creates a pool of benchUsers users on a fresh store
// of backend: users "user000000" to "user099999" with emails
// "user000000@example.com" and so on, written as items in transactions of
// 1,000 (the bulk path for test data).
func loadListUsersBench(b *testing.B, backend string) (*Service, *idp.UserPoolType) {
	st := luOpenStore(b, backend)
	s := newTestService(st, Options{Passwords: testPasswords})
	p := luNewPool(b, s, false)
	start := time.Now()
	at := start.UTC().Truncate(time.Millisecond)
	users := make([]*userRecord, benchUsers)
	for i := range users {
		name := fmt.Sprintf("user%06d", i)
		users[i] = &userRecord{
			Username: name, Sub: luSub(), Enabled: true, Status: "CONFIRMED",
			Attributes: map[string]string{"email": name + "@example.com", "given_name": fmt.Sprintf("Given%d", i%1000)},
			CreatedAt:  at, UpdatedAt: at,
		}
	}
	luPutUsers(b, st, p, users, 1000)
	n, err := st.CountItems(context.Background(), kindUser, cognito.Deref(p.Id))
	if err != nil || n != benchUsers {
		b.Fatalf("loaded %d users (%v), want %d", n, err, benchUsers)
	}
	b.Logf("%s: loaded %d users in %s", backend, benchUsers, time.Since(start).Round(time.Millisecond))
	return s, p
}

// BenchmarkListUsers lists one page of 60 users of a 100,000-user pool:
// unfiltered, with a prefix filter that selects 100 users, with an exact
// filter, and the page after a token from the middle of the pool.
//
//	COGNATE_TEST_POSTGRES_DSN=... go test ./internal/userpool -run '^$' -bench BenchmarkListUsers -benchtime 2s
func BenchmarkListUsers(b *testing.B) {
	for _, backend := range luBackends {
		b.Run(backend, func(b *testing.B) {
			s, p := loadListUsersBench(b, backend)
			ctx := context.Background()
			mid, err := s.ListUsers(ctx, luCaller, &idp.ListUsersRequest{UserPoolId: p.Id, Filter: cognito.Ptr(`username ^= "user05"`), Limit: cognito.Ptr(int32(1))})
			if err != nil {
				b.Fatal(err)
			}
			cases := []struct {
				name string
				req  *idp.ListUsersRequest
				want int
			}{
				{"no_filter", &idp.ListUsersRequest{UserPoolId: p.Id}, 60},
				{"prefix_filter", &idp.ListUsersRequest{UserPoolId: p.Id, Filter: cognito.Ptr(`email ^= "user0123"`)}, 60},
				{"exact_filter", &idp.ListUsersRequest{UserPoolId: p.Id, Filter: cognito.Ptr(`email = "user054321@example.com"`)}, 1},
				{"prefix_filter_next_page", &idp.ListUsersRequest{UserPoolId: p.Id, Filter: cognito.Ptr(`username ^= "user05"`), PaginationToken: mid.PaginationToken}, 60},
			}
			for _, tc := range cases {
				b.Run(tc.name, func(b *testing.B) {
					for b.Loop() {
						out, err := s.ListUsers(ctx, luCaller, tc.req)
						if err != nil {
							b.Fatal(err)
						}
						if len(out.Users) != tc.want {
							b.Fatalf("%d users, want %d", len(out.Users), tc.want)
						}
					}
				})
			}
		})
	}
}
