package userpool

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// listTestKey is the PaginationKey of the listing tests, so that they can
// make tokens the way earlier releases made them.
var listTestKey = []byte("cognate pagination test key 0123")

// wireToken makes a pagination token in the stored format: the base64url
// JSON {"s": scope, "a": after}, a dot, and the base64url HMAC-SHA256 of
// that JSON under key. Nodes that share a PaginationKey accept each
// other's tokens, so the format must not change between releases.
func wireToken(key []byte, scope, after string) string {
	payload, err := json.Marshal(struct {
		S string `json:"s"`
		A string `json:"a"`
	}{scope, after})
	if err != nil {
		panic(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(m.Sum(nil))
}

// poolListing is one kind of a pool's items that a List operation pages
// through with NextToken.
type poolListing struct {
	// op is the operation, which names the listing in its tokens.
	op string
	// defaultLimit is the page size when the request gives none or 0.
	defaultLimit int
	// maxItems is how many of the kind a pool can hold (0 for no limit).
	maxItems int
	// cursor is the item ID a token carries for an item's key.
	cursor func(pool, key string) string
	// create makes the i-th item of a pool and returns its key in the
	// listing (client ID, identifier, group name) and the entry the
	// listing must show for it.
	create func(ctx context.Context, s *Service, pool string, i int) (key string, entry any, err error)
	// list asks for one page and returns its keys, its entries, the page
	// itself (to tell an empty page from a missing one) and NextToken.
	list func(ctx context.Context, s *Service, pool string, limit *int32, token *string) (keys []string, entries []any, page any, next *string, err error)
}

// pageOf makes a poolListing's list from a List operation: req makes its
// request, page takes the entries and NextToken from its answer, and key
// names an entry.
func pageOf[In, Out, T any](op func(*Service, context.Context, cognito.Caller, *In) (*Out, error),
	req func(pool string, limit *int32, token *string) *In, page func(*Out) ([]T, *string), key func(T) string,
) func(context.Context, *Service, string, *int32, *string) ([]string, []any, any, *string, error) {
	return func(ctx context.Context, s *Service, pool string, limit *int32, token *string) ([]string, []any, any, *string, error) {
		out, err := op(s, ctx, luCaller, req(pool, limit, token))
		if err != nil {
			return nil, nil, nil, nil, err
		}
		entries, next := page(out)
		var keys []string
		var anys []any
		for _, e := range entries {
			keys, anys = append(keys, key(e)), append(anys, e)
		}
		return keys, anys, entries, next, nil
	}
}

func poolListings() []poolListing {
	return []poolListing{
		{
			op: "ListUserPoolClients", defaultLimit: defaultListClients, cursor: func(_, key string) string { return key },
			create: func(ctx context.Context, s *Service, pool string, i int) (string, any, error) {
				out, err := s.CreateUserPoolClient(ctx, luCaller, &idp.CreateUserPoolClientRequest{UserPoolId: &pool, ClientName: cognito.Ptr(fmt.Sprintf("app%02d", i))})
				if err != nil {
					return "", nil, err
				}
				c := out.UserPoolClient
				return cognito.Deref(c.ClientId), idp.UserPoolClientDescription{ClientId: c.ClientId, UserPoolId: c.UserPoolId, ClientName: c.ClientName}, nil
			},
			list: pageOf((*Service).ListUserPoolClients,
				func(pool string, limit *int32, token *string) *idp.ListUserPoolClientsRequest {
					return &idp.ListUserPoolClientsRequest{UserPoolId: &pool, MaxResults: limit, NextToken: token}
				},
				func(out *idp.ListUserPoolClientsResponse) ([]idp.UserPoolClientDescription, *string) {
					return out.UserPoolClients, out.NextToken
				},
				func(c idp.UserPoolClientDescription) string { return cognito.Deref(c.ClientId) }),
		},
		{
			op: "ListResourceServers", defaultLimit: defaultListResourceServers, maxItems: maxResourceServers, cursor: resourceServerID,
			create: func(ctx context.Context, s *Service, pool string, i int) (string, any, error) {
				id := fmt.Sprintf("https://api%02d.example.com", i)
				out, err := s.CreateResourceServer(ctx, luCaller, &idp.CreateResourceServerRequest{
					UserPoolId: &pool, Identifier: &id, Name: cognito.Ptr(fmt.Sprintf("api %d", i)),
					Scopes: []idp.ResourceServerScopeType{{ScopeName: cognito.Ptr("read"), ScopeDescription: cognito.Ptr("Read")}},
				})
				if err != nil {
					return "", nil, err
				}
				return id, *out.ResourceServer, nil
			},
			list: pageOf((*Service).ListResourceServers,
				func(pool string, limit *int32, token *string) *idp.ListResourceServersRequest {
					return &idp.ListResourceServersRequest{UserPoolId: &pool, MaxResults: limit, NextToken: token}
				},
				func(out *idp.ListResourceServersResponse) ([]idp.ResourceServerType, *string) {
					return out.ResourceServers, out.NextToken
				},
				func(rs idp.ResourceServerType) string { return cognito.Deref(rs.Identifier) }),
		},
	}
}

// TestPoolListingPagination pages through each kind of a pool's items with
// several page sizes and checks the order, the page sizes, the default
// page size, the exact NextToken of every page and the entries.
func TestPoolListingPagination(t *testing.T) {
	for _, backend := range luBackends {
		t.Run(backend, func(t *testing.T) {
			st := luOpenStore(t, backend)
			s := New(st, Options{AccountID: "123456789012", PaginationKey: listTestKey})
			ctx := context.Background()
			for _, l := range poolListings() {
				t.Run(l.op, func(t *testing.T) {
					pool := cognito.Deref(luNewPool(t, s, false).Id)
					n := l.defaultLimit + 1
					if l.maxItems > 0 {
						n = min(n, l.maxItems)
					}
					var keys []string
					entries := map[string]any{}
					for i := range n {
						key, entry, err := l.create(ctx, s, pool, i)
						if err != nil {
							t.Fatal(err)
						}
						keys, entries[key] = append(keys, key), entry
					}
					// Every cursor is the key after a prefix of the pool's.
					slices.Sort(keys)
					scope := l.op + "/" + pool

					cases := []struct {
						name  string
						limit *int32
						size  int
					}{
						{"no limit", nil, l.defaultLimit},
						{"limit 0", cognito.Ptr(int32(0)), l.defaultLimit},
						{"limit 1", cognito.Ptr(int32(1)), 1},
						{"limit 2", cognito.Ptr(int32(2)), 2},
						{"limit 7", cognito.Ptr(int32(7)), 7},
						{"one short of all", cognito.Ptr(int32(n - 1)), n - 1},
						{"all", cognito.Ptr(int32(n)), n},
						{"more than all", cognito.Ptr(int32(n + 1)), n + 1},
					}
					for _, tc := range cases {
						t.Run(tc.name, func(t *testing.T) {
							var got []string
							var token *string
							for {
								page, _, _, next, err := l.list(ctx, s, pool, tc.limit, token)
								if err != nil {
									t.Fatal(err)
								}
								got = append(got, page...)
								rest := n - len(got) + len(page)
								if want := min(tc.size, rest); len(page) != want {
									t.Fatalf("page of %d, want %d", len(page), want)
								}
								if rest <= tc.size {
									if next != nil {
										t.Fatalf("last page has NextToken %q", *next)
									}
									break
								}
								want := wireToken(listTestKey, scope, l.cursor(pool, page[len(page)-1]))
								if next == nil || *next != want {
									t.Fatalf("NextToken %v, want %q", next, want)
								}
								token = next
							}
							if diff := cmp.Diff(keys, got); diff != "" {
								t.Errorf("listed (-want +got):\n%s", diff)
							}
						})
					}

					// Every entry is the item as its Create operation described it.
					_, got, _, _, err := l.list(ctx, s, pool, cognito.Ptr(int32(n)), nil)
					if err != nil {
						t.Fatal(err)
					}
					var want []any
					for _, key := range keys {
						want = append(want, entries[key])
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("entries (-want +got):\n%s", diff)
					}

					// A token made by an earlier release with the same key
					// continues after its item.
					page, _, _, _, err := l.list(ctx, s, pool, cognito.Ptr(int32(2)), cognito.Ptr(wireToken(listTestKey, scope, l.cursor(pool, keys[2]))))
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(keys[3:5], page); diff != "" {
						t.Errorf("page after an earlier token (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}

// TestPoolListingErrors checks the answers of each pool listing to a
// missing pool, an empty pool and tokens it did not issue.
func TestPoolListingErrors(t *testing.T) {
	for _, backend := range luBackends {
		t.Run(backend, func(t *testing.T) {
			st := luOpenStore(t, backend)
			s := New(st, Options{AccountID: "123456789012", PaginationKey: listTestKey})
			ctx := context.Background()
			listings := poolListings()
			for li, l := range listings {
				t.Run(l.op, func(t *testing.T) {
					pool := cognito.Deref(luNewPool(t, s, false).Id)
					other := cognito.Deref(luNewPool(t, s, false).Id)

					// An empty pool lists an empty page, not a missing one.
					keys, _, page, next, err := l.list(ctx, s, pool, nil, nil)
					if err != nil {
						t.Fatal(err)
					}
					if page == nil || !cmp.Equal(page, emptyPage(page)) || len(keys) != 0 || next != nil {
						t.Errorf("empty pool: page %#v, NextToken %v", page, next)
					}

					var otherKeys []string
					for i := range 3 {
						if _, _, err := l.create(ctx, s, pool, i); err != nil {
							t.Fatal(err)
						}
						key, _, err := l.create(ctx, s, other, i)
						if err != nil {
							t.Fatal(err)
						}
						otherKeys = append(otherKeys, key)
					}
					_, _, _, otherToken, err := l.list(ctx, s, other, cognito.Ptr(int32(1)), nil)
					if err != nil || otherToken == nil {
						t.Fatalf("token of the other pool: %v %v", otherToken, err)
					}
					valid := wireToken(listTestKey, l.op+"/"+pool, "")
					anotherOp := listings[(li+1)%len(listings)].op
					const invalid = "Invalid pagination token."
					cases := []struct {
						name  string
						pool  string
						token string
						code  string
						msg   string
					}{
						{"missing pool before the token", "us-east-1_nopool000", "garbage", "ResourceNotFoundException", "User pool us-east-1_nopool000 does not exist."},
						{"garbage", pool, "garbage", "InvalidParameterException", invalid},
						{"empty", pool, "", "InvalidParameterException", invalid},
						{"no signature", pool, valid[:len(valid)-44], "InvalidParameterException", invalid},
						{"tampered", pool, "x" + valid, "InvalidParameterException", invalid},
						{"bad base64", pool, "!!!." + valid[len(valid)-43:], "InvalidParameterException", invalid},
						{"another key", pool, wireToken([]byte("another key"), l.op+"/"+pool, ""), "InvalidParameterException", invalid},
						{"another pool's listing", pool, *otherToken, "InvalidParameterException", invalid},
						{"another operation's listing", pool, wireToken(listTestKey, anotherOp+"/"+pool, ""), "InvalidParameterException", invalid},
						{"no scope", pool, wireToken(listTestKey, "", ""), "InvalidParameterException", invalid},
					}
					for _, tc := range cases {
						t.Run(tc.name, func(t *testing.T) {
							_, _, _, _, err := l.list(ctx, s, tc.pool, nil, &tc.token)
							luWantError(t, err, tc.code, tc.msg)
						})
					}
					// The other pool's token still works in its own listing.
					page2, _, _, _, err := l.list(ctx, s, other, nil, otherToken)
					if err != nil {
						t.Fatal(err)
					}
					slices.Sort(otherKeys)
					if diff := cmp.Diff(otherKeys[1:], page2); diff != "" {
						t.Errorf("other pool after its token (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}

// emptyPage returns an empty, non-nil slice of the type of page.
func emptyPage(page any) any {
	switch page.(type) {
	case []idp.UserPoolClientDescription:
		return []idp.UserPoolClientDescription{}
	case []idp.ResourceServerType:
		return []idp.ResourceServerType{}
	}
	return nil
}
