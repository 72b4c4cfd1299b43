// Generates e2e/sdk/testdata/import_hashes.json: one password hash per
// algorithm CreateUserImportJob's PasswordHashingAlgorithm names, made by
// implementations other than the Go ones that verify them at sign-in
// (hash-wasm's C reference code of bcrypt and Argon2 compiled to
// WebAssembly; OpenSSL's scrypt and PBKDF2 through Node's crypto), in the
// string forms docs/import.md describes. Run once, and commit the output:
//
//   npm install --prefix /some/dir hash-wasm@4.13.0
//   NODE_PATH=/some/dir/node_modules node scripts/gen-import-hashes.mjs > e2e/sdk/testdata/import_hashes.json
import { createRequire } from "node:module";
import crypto from "node:crypto";

const require = createRequire(import.meta.url);
const { bcrypt, argon2id } = require("hash-wasm");

const b64 = (buf) => Buffer.from(buf).toString("base64").replace(/=+$/, "");
const salt = (n) => crypto.randomBytes(n);

const rows = [];

{
  const password = "Bcrypt-imported-1";
  // hash-wasm writes $2a$ strings.
  const hash = await bcrypt({ password, salt: salt(16), costFactor: 10, outputType: "encoded" });
  rows.push({ algorithm: "BCRYPT", password, hash });
}
{
  const password = "Argon2id-imported-1";
  const hash = await argon2id({ password, salt: salt(16), parallelism: 2, iterations: 3, memorySize: 19456, hashLength: 32, outputType: "encoded" });
  rows.push({ algorithm: "ARGON2ID", password, hash });
}
{
  const password = "Scrypt-imported-1";
  const s = salt(16), ln = 14, r = 8, p = 1;
  const dk = crypto.scryptSync(password, s, 32, { N: 1 << ln, r, p });
  rows.push({ algorithm: "SCRYPT", password, hash: `$scrypt$ln=${ln},r=${r},p=${p}$${b64(s)}$${b64(dk)}` });
}
{
  const password = "Pbkdf2-imported-1";
  const s = salt(16), i = 210000;
  const dk = crypto.pbkdf2Sync(password, s, i, 32, "sha256");
  rows.push({ algorithm: "PBKDF2_SHA256", password, hash: `$pbkdf2-sha256$i=${i}$${b64(s)}$${b64(dk)}` });
}

process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
