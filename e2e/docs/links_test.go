package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mdLink matches the target of an inline link or image, [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// urlScheme matches the start of an absolute URL (http:, https:, mailto:).
var urlScheme = regexp.MustCompile(`^[a-z][a-z0-9+.-]*:`)

// mdHeading matches a heading line.
var mdHeading = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *#*$`)

// headingAnchors returns the anchors GitHub gives the headings of a page:
// lower case, punctuation but hyphens and underscores dropped, spaces made
// hyphens, and a repeated anchor suffixed -1, -2, ….
func headingAnchors(data string) map[string]bool {
	text := fenced.ReplaceAllString(data, "")
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, m := range mdHeading.FindAllStringSubmatch(text, -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n, ok := seen[a]; ok {
			seen[a] = n + 1
			a = fmt.Sprintf("%s-%d", a, n+1)
		} else {
			seen[a] = 0
		}
		anchors[a] = true
	}
	return anchors
}

// brokenLinks returns the relative links of page (its path from the
// repository's root) that name no file of the repository, or a heading
// that the page they name does not have.
func brokenLinks(root, page string, data string) []string {
	var broken []string
	anchors := map[string]map[string]bool{}
	for _, m := range mdLink.FindAllStringSubmatch(fenced.ReplaceAllString(data, ""), -1) {
		target := m[1]
		if urlScheme.MatchString(target) {
			continue
		}
		path, anchor, _ := strings.Cut(target, "#")
		file := page
		if path != "" {
			file = filepath.Join(filepath.Dir(page), path)
		}
		content, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			if fi, statErr := os.Stat(filepath.Join(root, file)); statErr != nil || !fi.IsDir() {
				broken = append(broken, fmt.Sprintf("%s: (%s): no file %s", page, target, file))
			}
			continue
		}
		if anchor == "" || !strings.HasSuffix(file, ".md") {
			continue
		}
		if anchors[file] == nil {
			anchors[file] = headingAnchors(string(content))
		}
		if !anchors[file][anchor] {
			broken = append(broken, fmt.Sprintf("%s: (%s): %s has no heading #%s", page, target, file, anchor))
		}
	}
	return broken
}

// TestDocLinks checks that every relative link of the README, the
// architecture map and the pages under docs/ leads somewhere: to a file
// of the repository and, with an anchor, to one of that page's headings.
func TestDocLinks(t *testing.T) {
	root := repoRoot()
	for _, page := range append(pages(t, root), "ARCHITECTURE.md") {
		data, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range brokenLinks(root, page, string(data)) {
			t.Error(b)
		}
	}
}

// TestBrokenLinks checks the link check on a page of its own.
func TestBrokenLinks(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	other := "# Other page\n\n## Sign-in: `USER_AUTH` (choice-based)\n\n## Sign-in: `USER_AUTH` (choice-based)\n"
	if err := os.WriteFile(filepath.Join(root, "docs", "other.md"), []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	page := "## Here\n\n[a](other.md) [b](other.md#sign-in-user_auth-choice-based) [c](other.md#sign-in-user_auth-choice-based-1) " +
		"[d](#here) [e](https://example.com/x) ![f](images/none.png) [g](missing.md) [h](other.md#nowhere) [i](#gone)\n" +
		"```sh\necho [j](not-a-link.md)\n```\n"
	want := []string{
		"docs/page.md: (images/none.png): no file docs/images/none.png",
		"docs/page.md: (missing.md): no file docs/missing.md",
		"docs/page.md: (other.md#nowhere): docs/other.md has no heading #nowhere",
		"docs/page.md: (#gone): docs/page.md has no heading #gone",
	}
	if err := os.WriteFile(filepath.Join(root, "docs", "page.md"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, brokenLinks(root, "docs/page.md", page)); diff != "" {
		t.Errorf("broken links (-want +got):\n%s", diff)
	}
}
