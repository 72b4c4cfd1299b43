// Decrypts custom sender codes as a function written for Cognito does:
// the AWS Encryption SDK for JavaScript with its KMS keyring, under the
// default commitment policy (REQUIRE_ENCRYPT_REQUIRE_DECRYPT), so that only
// a committing algorithm suite is accepted.
//
// Input (stdin, JSON): {endpoint, region, keyArn, codes: [base64, ...]}.
// Output (stdout, JSON): [{plaintext, suiteId, encryptionContext}, ...].
"use strict";
const { buildClient, CommitmentPolicy, KmsKeyringNode, getClient, KMS } = require("@aws-crypto/client-node");

async function main() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const { decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const clientProvider = getClient(KMS, {
    endpoint: input.endpoint,
    credentials: { accessKeyId: "AKIDLOCALKMS", secretAccessKey: "local-kms-secret" },
  });
  const keyring = new KmsKeyringNode({ keyIds: [input.keyArn], clientProvider });
  const out = [];
  for (const code of input.codes) {
    const { plaintext, messageHeader } = await decrypt(keyring, Buffer.from(code, "base64"));
    out.push({
      plaintext: plaintext.toString("utf8"),
      suiteId: messageHeader.suiteId,
      encryptionContext: messageHeader.encryptionContext,
    });
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(1);
});
