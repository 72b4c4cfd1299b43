package config

import (
	"fmt"
	"maps"
	"slices"
)

// didYouMean returns `; did you mean "prefix+known"?` for the known key
// nearest to the unknown key name, or "" when none is near enough to be a
// likely typo.
func didYouMean(name, prefix string, fields map[string]int) string {
	if s := Nearest(name, slices.Sorted(maps.Keys(fields))); s != "" {
		return fmt.Sprintf("; did you mean %q?", prefix+s)
	}
	return ""
}

// Nearest returns the candidate nearest to s by edit distance (Levenshtein,
// with a swap of two neighbouring letters counting as one edit), or ""
// when the nearest is more than a third of s's length away (at least 1, at
// most 3 edits). Ties go to the earlier candidate.
func Nearest(s string, candidates []string) string {
	limit := min(max(len(s)/3, 1), 3)
	best, bestD := "", limit+1
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b,
// over bytes (config keys are ASCII).
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
