package storage

import (
	"errors"
	"slices"
	"testing"
)

func TestDeclareKind(t *testing.T) {
	if got := DeclareKind("kindtest_replicated", Replicated); got != "kindtest_replicated" {
		t.Errorf("DeclareKind returned %q", got)
	}
	DeclareKind("kindtest_local", Local)
	DeclareKind("kindtest_local", Local) // again, the same way: nothing happens
	for kind, want := range map[string]Replication{"kindtest_replicated": Replicated, "kindtest_local": Local} {
		if got, err := KindReplication(kind); err != nil || got != want {
			t.Errorf("KindReplication(%q) = %v, %v; want %v", kind, got, err, want)
		}
	}
	if _, err := KindReplication("kindtest_undeclared"); !errors.Is(err, ErrUndeclaredKind) {
		t.Errorf("KindReplication(undeclared) = %v, want ErrUndeclaredKind", err)
	}
	if local := LocalKinds(); !slices.Contains(local, "kindtest_local") || slices.Contains(local, "kindtest_replicated") || !slices.IsSorted(local) {
		t.Errorf("LocalKinds() = %v", local)
	}
	for name, f := range map[string]func(){
		"the other way": func() { DeclareKind("kindtest_local", Replicated) },
		"empty":         func() { DeclareKind("", Local) },
		"neither":       func() { DeclareKind("kindtest_neither", Replication(0)) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("DeclareKind %s did not panic", name)
				}
			}()
			f()
		})
	}
	if got, _ := KindReplication("kindtest_local"); got != Local {
		t.Errorf("a refused declaration changed the kind to %v", got)
	}
}

func TestDeclareCached(t *testing.T) {
	if KindCached("test_never_declared_cached") {
		t.Error("an undeclared kind is cacheable")
	}
	if got := DeclareCached("test_declared_cached"); got != "test_declared_cached" || !KindCached(got) {
		t.Errorf("DeclareCached returned %q, KindCached %v", got, KindCached(got))
	}
}
