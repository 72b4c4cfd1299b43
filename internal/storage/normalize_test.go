package storage

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeItem(t *testing.T) {
	east := time.FixedZone("east", 3600)
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, east)
	in := &Item{Kind: "user", ID: "p/u", Pool: "p", Data: []byte(`{}`), Keys: []string{"k/b", "k/a", "k/b"},
		Index: []string{}, CreatedAt: at, UpdatedAt: at.Add(time.Second), Version: 4}
	got, err := NormalizeItem(in, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := Item{Kind: "user", ID: "p/u", Pool: "p", Data: []byte(`{}`), Keys: []string{"k/a", "k/b"},
		CreatedAt: time.Date(2026, 1, 2, 2, 4, 5, 123456000, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 2, 4, 6, 123456000, time.UTC), Version: 5}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NormalizeItem (-want +got):\n%s", diff)
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt in %v, want UTC", got.CreatedAt.Location())
	}
	if in.Keys[0] != "k/b" || in.Version != 4 {
		t.Errorf("NormalizeItem changed its argument: %+v", in)
	}

	for _, tc := range []struct {
		name string
		it   *Item
		want string
	}{
		{"nil", nil, "nil item"},
		{"no kind", &Item{ID: "x"}, "kind and ID are required"},
		{"no ID", &Item{Kind: "user"}, "kind and ID are required"},
		{"NUL in a key", &Item{Kind: "user", ID: "x", Keys: []string{"a\x00"}}, "is not UTF-8 text without NUL"},
		{"invalid UTF-8 in the index", &Item{Kind: "user", ID: "x", Index: []string{"\xff"}}, "is not UTF-8 text without NUL"},
		{"NUL in the pool", &Item{Kind: "user", ID: "x", Pool: "p\x00"}, "is not UTF-8 text without NUL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NormalizeItem(tc.it, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NormalizeItem: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestNormalizeUserPool(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.FixedZone("west", -7200))
	in := &UserPool{ID: "us-east-1_a", Region: "us-east-1", Name: "n", Config: []byte(`{}`), CreatedAt: at, UpdatedAt: at, Version: 1}
	got := NormalizeUserPool(in, 2)
	want := UserPool{ID: "us-east-1_a", Region: "us-east-1", Name: "n", Config: []byte(`{}`),
		CreatedAt: time.Date(2026, 1, 2, 5, 4, 5, 999999000, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 5, 4, 5, 999999000, time.UTC), Version: 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NormalizeUserPool (-want +got):\n%s", diff)
	}
	if in.Version != 1 {
		t.Errorf("NormalizeUserPool changed its argument's version to %d", in.Version)
	}
}
