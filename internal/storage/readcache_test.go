package storage

import (
	"strings"
	"testing"
)

// TestReadCacheByKeyGenerations checks the rules that keep the items cached
// by key fresh: a read stores what it read only if no invalidation of
// either kind happened since it looked, nothing is stored while the cache
// is off, and the cache stays within maxKeyedBytes.
func TestReadCacheByKeyGenerations(t *testing.T) {
	var c ReadCache
	it := &Item{Kind: "k", ID: "1", Data: []byte(`{}`), Keys: []string{"a"}}
	_, gen, ok := c.ItemByKey("k", "a")
	if ok {
		t.Fatal("an empty cache answered")
	}
	c.InvalidateKeyed()
	c.PutItemByKey("a", it, gen)
	if _, _, ok := c.ItemByKey("k", "a"); ok {
		t.Error("a read from before InvalidateKeyed was stored after it")
	}
	_, gen, _ = c.ItemByKey("k", "a")
	c.Invalidate()
	c.PutItemByKey("a", it, gen)
	if _, _, ok := c.ItemByKey("k", "a"); ok {
		t.Error("a read from before Invalidate was stored after it")
	}
	_, gen, _ = c.ItemByKey("k", "a")
	c.PutItemByKey("a", it, gen)
	got, _, ok := c.ItemByKey("k", "a")
	if !ok || got.ID != "1" {
		t.Fatalf("a read stored with the current generation: %+v, %v", got, ok)
	}
	c.SetOn(false)
	if _, _, ok := c.ItemByKey("k", "a"); ok {
		t.Error("turning the cache off kept what it held")
	}
	_, gen, _ = c.ItemByKey("k", "a")
	c.PutItemByKey("a", it, gen)
	if _, _, ok := c.ItemByKey("k", "a"); ok {
		t.Error("the cache stored a read while off")
	}
	c.SetOn(true)

	// Full, it makes room for each new item; an item larger than the
	// whole cache is not kept.
	big := &Item{Kind: "k", ID: "big", Data: []byte(strings.Repeat("x", 1<<20))}
	for i := range 40 {
		key := string(rune('A' + i))
		_, gen, _ := c.ItemByKey("k", key)
		c.PutItemByKey(key, big, gen)
		if c.keyedBytes > maxKeyedBytes {
			t.Fatalf("the cache holds %d bytes, more than %d", c.keyedBytes, maxKeyedBytes)
		}
		if _, _, ok := c.ItemByKey("k", key); !ok {
			t.Fatalf("the item just stored (%d of them) is not cached", i+1)
		}
	}
	sum := 0
	for _, v := range c.keyed {
		sum += itemSize(v)
	}
	if sum != c.keyedBytes || len(c.keyed) < 2 {
		t.Errorf("the cache holds %d items of %d bytes, counted as %d", len(c.keyed), sum, c.keyedBytes)
	}
	huge := &Item{Kind: "k", ID: "huge", Data: make([]byte, maxKeyedBytes)}
	_, gen, _ = c.ItemByKey("k", "huge")
	c.PutItemByKey("huge", huge, gen)
	if _, _, ok := c.ItemByKey("k", "huge"); ok {
		t.Error("an item larger than the cache was kept")
	}
}

// TestReadCacheAbsentGenerations checks that a read that found nothing is
// remembered only under the generation it began in, never while the cache
// is off, and is forgotten at the next invalidation.
func TestReadCacheAbsentGenerations(t *testing.T) {
	var c ReadCache
	_, gen, _ := c.Item("k", "1")
	c.Invalidate()
	c.PutAbsent("k", "1", gen)
	if c.Absent("k", "1") {
		t.Error("a miss from before Invalidate was stored after it")
	}
	_, gen, _ = c.Item("k", "1")
	c.PutAbsent("k", "1", gen)
	if !c.Absent("k", "1") {
		t.Fatal("a miss stored with the current generation is not remembered")
	}
	if c.Absent("k", "2") || c.Absent("other", "1") {
		t.Error("a miss was remembered for another item")
	}
	c.Invalidate()
	if c.Absent("k", "1") {
		t.Error("Invalidate kept a miss")
	}
	c.SetOn(false)
	_, gen, _ = c.Item("k", "1")
	c.PutAbsent("k", "1", gen)
	if c.Absent("k", "1") {
		t.Error("the cache stored a miss while off")
	}
}
