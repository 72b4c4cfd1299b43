package cognito

import (
	"regexp"
	"testing"
)

// regionExpression is what ValidRegion matches, written as an expression.
var regionExpression = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)

var regionSamples = []string{
	"", "u", "us", "us-", "us-east", "us-east-", "us-east-1", "us-gov-west-1", "ap-southeast-2",
	"eu-central-10", "local", "us-east-1-", "us-east-1a", "us-east-a1", "Us-east-1", "us-East-1",
	"use-east-1", "u1-east-1", "us--east-1", "us-east--1", "us-1", "us-1-2", "us-east-1-2",
	"us-east-1-west", "us-east-01", "us-east-١", "us-east-1\n", "\nus-east-1", "us_east_1",
	"us-ea st-1", "ab-c-0", "ab-c1", "xx-y-9999999999", "us-east-1 ", "us-ést-1",
}

func TestValidRegionMatchesExpression(t *testing.T) {
	for _, s := range regionSamples {
		if got, want := ValidRegion(s), regionExpression.MatchString(s); got != want {
			t.Errorf("ValidRegion(%q) = %v, the expression says %v", s, got, want)
		}
	}
}

func FuzzValidRegion(f *testing.F) {
	for _, s := range regionSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidRegion(s), regionExpression.MatchString(s); got != want {
			t.Errorf("ValidRegion(%q) = %v, the expression says %v", s, got, want)
		}
	})
}
