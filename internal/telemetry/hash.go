package telemetry

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// hashBytes is how much of the HMAC an account hash keeps: 128 bits make
// collisions among billions of accounts vanishingly rare while keeping
// audit lines short.
const hashBytes = 16

// Hash returns the keyed hash that names account in the audit log:
// hex(HMAC-SHA256(key, account)[:16]). Without the key it can be neither
// reversed nor recomputed from a list of candidate accounts.
func Hash(key []byte, account string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(account))
	return hex.EncodeToString(mac.Sum(nil)[:hashBytes])
}

// KeyID names an audit key without revealing it, so an operator can tell
// which key a line's hashes were made with after a rotation.
func KeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("attr-eraser audit key id\x00"), key...))
	return hex.EncodeToString(sum[:4])
}
