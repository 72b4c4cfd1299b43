// Package docs runs the commands of the README and of every page under
// docs/ as a newcomer would, in one shell, from a fresh copy of the
// repository, and fails at the first one that does not work as written.
//
// A page says which of its blocks run with an HTML comment on the line
// before the block's opening fence:
//
//	<!-- docs-check: run -->          run the block in the shell
//	<!-- docs-check: server -->       run it in the background (it starts cognate) and wait until the server is ready
//	<!-- docs-check: file NAME -->    write the block to NAME in the shell's directory
//	<!-- docs-check: go -->           compile and run the block as a Go program inside the repository's module
//	<!-- docs-check: skip: REASON --> do not run it, for the reason given
//
// Every sh, bash, shell or console block must carry one of these, so a
// command added to the docs is either checked or says why it cannot be.
// The pages run in order (README.md, then docs/*.md by name) in one bash
// process, so a page continues where the one before it left off, as a
// reader's shell would. The server listens on a free port: localhost:9229
// and 127.0.0.1:9229 in the blocks stand for it. The README's CLI quick
// start is also checked answer by answer by scripts/quickstart-cli.sh,
// on SQLite and on PostgreSQL. A command named in inline code
// (`cognate bench --load-users N`) must be a command of the binary, and
// each flag it shows one of that command's flags.
//
// The commands have the time the test's -timeout leaves them, less a
// minute to report; each block's line in the output says how many
// seconds into the run it started.
//
// The package also checks docs/configuration.md against the configuration
// loader (TestConfigurationDocumented), the relative links of the pages
// (TestDocLinks), and that a fresh cognate on its defaults takes a test
// suite written for Cognito run flat out without throttling it
// (TestFreshServerTakesAFastSuite).
//
// The check needs bash, curl, the AWS CLI and Node.js; without one it
// skips with a loud line, and fails where CI runs (CI=true).
package docs
