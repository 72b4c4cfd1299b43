module github.com/cognate-dev/cognate

go 1.26
