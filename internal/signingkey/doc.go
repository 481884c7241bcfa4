// Package signingkey reads the Tencent Cloud Chat signing key from AWS
// Secrets Manager and keeps it cached for the life of the container.
//
// The key is read once, reused for TTL (five minutes by default), and
// re-read at most once per rejected key when Tencent refuses a signature
// (Provider.Invalidate), so a rotation is picked up quickly without turning
// every rejected request into a Secrets Manager call.
//
// The key material never appears in errors, logs or fmt output: Key redacts
// itself and every error in this package is built without the secret value.
package signingkey
