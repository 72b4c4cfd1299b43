package sqlite

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

func BenchmarkScanIndexPrefix(b *testing.B) {
	db, _ := openTemp(b, Options{Region: storagetest.Region}, true)
	storagetest.BenchScanIndexPrefix(b, db)
}

func BenchmarkCreateItem(b *testing.B) {
	db, _ := openTemp(b, Options{Region: storagetest.Region}, true)
	storagetest.BenchCreateItem(b, db)
}

func BenchmarkGetItemByKey(b *testing.B) {
	db, _ := openTemp(b, Options{Region: storagetest.Region}, true)
	storagetest.BenchGetItemByKey(b, db)
}

func BenchmarkThreeReads(b *testing.B) {
	db, _ := openTemp(b, Options{Region: storagetest.Region}, true)
	storagetest.BenchThreeReads(b, db)
}

func BenchmarkGetItems(b *testing.B) {
	db, _ := openTemp(b, Options{Region: storagetest.Region}, true)
	storagetest.BenchGetItems(b, db)
}
