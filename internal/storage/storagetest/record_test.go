package storagetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

func TestUserPoolEncoding(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)
	tests := []struct {
		name   string
		config []byte
		want   []byte // Config after the round trip
	}{
		{"compact", []byte(`{"a":1}`), []byte(`{"a":1}`)},
		{"whitespace and escapes kept", []byte("{\"a\": [1, 2],\n\t\"b\": \"<&> \\u00e9 ü\"}"), []byte("{\"a\": [1, 2],\n\t\"b\": \"<&> \\u00e9 ü\"}")},
		{"key order kept", []byte(`{"z":1,"a":2}`), []byte(`{"z":1,"a":2}`)},
		{"nil", nil, nil},
		{"surrounding whitespace dropped", []byte(" {\"a\":1}\n"), []byte(`{"a":1}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &storage.UserPool{
				ID: "us-east-1_abc", Region: "us-east-1", Name: "n", Config: tc.config,
				CreatedAt: at, UpdatedAt: at.Add(time.Second), Version: 7,
			}
			b, err := storage.EncodeUserPool(p)
			if err != nil {
				t.Fatalf("EncodeUserPool: %v", err)
			}
			got, err := storage.DecodeUserPool(b)
			if err != nil {
				t.Fatalf("DecodeUserPool(%s): %v", b, err)
			}
			want := *p
			want.Config = tc.want
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s\nencoded: %s", diff, b)
			}
		})
	}
}

func TestEncodeUserPoolRejectsInvalidConfig(t *testing.T) {
	_, err := storage.EncodeUserPool(&storage.UserPool{ID: "x", Config: []byte(`{"a":`)})
	if err == nil {
		t.Error("EncodeUserPool accepted invalid JSON config")
	}
}

func TestEncodeUserPoolFormat(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	b, err := storage.EncodeUserPool(&storage.UserPool{
		ID: "us-east-1_abc", Region: "us-east-1", Name: "n", Config: []byte(`{"a": 1}`),
		CreatedAt: at, UpdatedAt: at, Version: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id":"us-east-1_abc","region":"us-east-1","name":"n",` +
		`"created_at":"2024-01-02T02:04:05Z","updated_at":"2024-01-02T02:04:05Z","version":2,"config":{"a": 1}}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("encoding mismatch (-want +got):\n%s", diff)
	}
}

func TestItemEncoding(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)
	tests := []struct {
		name      string
		data      []byte
		keys, idx []string
		want      []byte // Data after the round trip
		wantKeys  []string
		wantIndex []string
	}{
		{"compact", []byte(`{"a":1}`), []string{"k"}, []string{"i"}, []byte(`{"a":1}`), []string{"k"}, []string{"i"}},
		{"whitespace and escapes kept", []byte("{\"a\": [1, 2],\n\t\"b\": \"<&> \\u00e9 ü\"}"), nil, nil,
			[]byte("{\"a\": [1, 2],\n\t\"b\": \"<&> \\u00e9 ü\"}"), nil, nil},
		{"nil data and empty sets", nil, []string{}, nil, nil, nil, nil},
		{"tricky keys", []byte(`[]`), []string{"", "%_\\'\"", "é\U0010FFFF", "<&>"}, []string{"a/"},
			[]byte(`[]`), []string{"", "%_\\'\"", "é\U0010FFFF", "<&>"}, []string{"a/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := &storage.Item{
				Kind: "user", ID: "p/u1", Pool: "us-east-1_abc", Data: tc.data, Keys: tc.keys, Index: tc.idx,
				CreatedAt: at, UpdatedAt: at.Add(time.Second), Version: 7,
			}
			b, err := storage.EncodeItem(it)
			if err != nil {
				t.Fatalf("EncodeItem: %v", err)
			}
			got, err := storage.DecodeItem(b)
			if err != nil {
				t.Fatalf("DecodeItem(%s): %v", b, err)
			}
			want := *it
			want.Data, want.Keys, want.Index = tc.want, tc.wantKeys, tc.wantIndex
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s\nencoded: %s", diff, b)
			}
		})
	}
}

func TestEncodeItemRejects(t *testing.T) {
	if _, err := storage.EncodeItem(&storage.Item{Kind: "user", ID: "x", Data: []byte(`{"a":`)}); err == nil {
		t.Error("EncodeItem accepted invalid JSON data")
	}
	if _, err := storage.EncodeItem(nil); err == nil {
		t.Error("EncodeItem accepted a nil item")
	}
}

func TestEncodeItemFormat(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	b, err := storage.EncodeItem(&storage.Item{
		Kind: "user", ID: "p/u1", Pool: "us-east-1_abc", Data: []byte(`{"a": 1}`),
		Keys: []string{"k1", "k2"}, CreatedAt: at, UpdatedAt: at, Version: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"kind":"user","id":"p/u1","pool":"us-east-1_abc","keys":["k1","k2"],"index":[],` +
		`"created_at":"2024-01-02T02:04:05Z","updated_at":"2024-01-02T02:04:05Z","version":2,"data":{"a": 1}}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("encoding mismatch (-want +got):\n%s", diff)
	}
}
