package signingkey

import (
	"crypto/hmac"
	"crypto/sha256"
)

// auditKeyLabel separates the derived audit key from any other use of the
// signing key.
const auditKeyLabel = "attr-eraser audit key v1"

// AuditKey returns the key of the audit log's account hashes: the secret's
// auditKey when it has one, else HMAC-SHA256(signing key, label). Deriving
// it keeps hashes stable across invocations while someone holding only the
// logs cannot recompute them.
func AuditKey(key Key) []byte {
	if len(key.AuditKey) > 0 {
		return key.AuditKey
	}
	mac := hmac.New(sha256.New, key.Secret)
	mac.Write([]byte(auditKeyLabel))
	return mac.Sum(nil)
}
