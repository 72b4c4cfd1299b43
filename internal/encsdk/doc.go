// Package encsdk writes messages in the AWS Encryption SDK's message format
// (version 2), which is how Amazon Cognito hands a custom sender function
// (CustomEmailSender, CustomSMSSender) the code it must deliver: the
// function decrypts it with an AWS Encryption SDK and a KMS keyring.
//
// It writes and never reads, and only with the committing suite every
// AWS Encryption SDK now encrypts with by default and accepts under the
// strictest commitment policy (REQUIRE_ENCRYPT_REQUIRE_DECRYPT):
// AES-256-GCM, HKDF with SHA-512 for the data key and for its commitment,
// and an ECDSA P-384 / SHA-384 signature (suite 0x0578). The cryptography
// is the standard library's (crypto/aes, crypto/cipher, crypto/hkdf,
// crypto/ecdsa); this package holds only the framing the specification
// lays out: the header with its encryption context and encrypted data
// keys, the header's authentication tag, framed content with its body
// AAD, and the signature footer.
//
// The data key comes from a DataKeyGenerator: in cognate, KMS
// GenerateDataKey under the pool's KMSKeyID (internal/triggers).
//
// Imports: the standard library only; it knows nothing of cognate.
package encsdk
