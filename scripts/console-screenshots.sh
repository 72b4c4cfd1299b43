#!/usr/bin/env bash
# Takes the screenshots of the admin console's main screens shown in
# docs/console.md and the README: the console's browser tests (e2e/console,
# Chromium driven by chromedp, as in the test suite) walk the screens and
# save each as a PNG file in the folder given (docs/images/console by
# default). Chromium must be installed (scripts/install-test-deps.sh
# installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/images/console}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
COGNATE_SCREENSHOTS="$out" go test ./e2e/console -run '^(TestConsoleWalkThrough|TestConsoleUserAndGroupScreens|TestConsoleIdentityProviders|TestConsoleIdentityPools|TestConsoleRegions|TestConsoleUserPages|TestConsolePoolSettings|TestConsoleHostedUIStyles|TestConsoleManagedLoginPreview|TestConsoleIdentityPoolAccess)$' -count=1
ls -1 "$out"/console-*.png
