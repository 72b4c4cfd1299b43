package console

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// screenshotsEnv names the folder the console tests write their
// screenshots of the main screens to, as the hosted UI's tests do
// (scripts/console-screenshots.sh sets it to docs/images/console); without
// it they go to a temporary folder, so that every run checks that they can
// be taken.
const screenshotsEnv = "COGNATE_SCREENSHOTS"

var (
	screenshotsOnce sync.Once
	screenshotsDir  string
)

// consoleScreenshot saves the page in tab, all of its height, as name.png, at the
// browser's width or, when phone is set, at a phone's (390 CSS pixels),
// and checks that it is a PNG image of that width.
func consoleScreenshot(t *testing.T, tab context.Context, name string, phone bool) {
	t.Helper()
	screenshotsOnce.Do(func() { screenshotsDir = os.Getenv(screenshotsEnv) })
	dir := screenshotsDir
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	width := int64(1024)
	if phone {
		width = 390
	}
	if err := chromedp.Do(tab, chromedp.EmulateViewport(width, 768)); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	defer func() {
		if err := chromedp.Do(tab, chromedp.EmulateViewport(1024, 768)); err != nil {
			t.Errorf("screenshot %s: restore the viewport: %v", name, err)
		}
	}()
	shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(shot))
	if err != nil || int64(cfg.Width) != width || cfg.Height < 100 {
		t.Fatalf("screenshot %s: %d×%d (%v), want a PNG %d pixels wide", name, cfg.Width, cfg.Height, err, width)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}
