package signingkey

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
)

// redacted stands in for key material in every rendering of a Key.
const redacted = "[REDACTED]"

// String renders k with its key material redacted.
func (k Key) String() string {
	return "signingkey.Key{Secret:" + redactedOrNone(k.Secret) +
		" SDKAppID:" + strconv.FormatUint(k.SDKAppID, 10) +
		" Identifier:" + strconv.Quote(k.Identifier) +
		" AuditKey:" + redactedOrNone(k.AuditKey) +
		" Version:" + strconv.Quote(k.Version) + "}"
}

// GoString makes %#v redacted too; without it fmt would print the raw bytes.
func (k Key) GoString() string { return k.String() }

// Format routes every fmt verb through String. Stringer and GoStringer alone
// are not enough: verbs such as %d or %x would otherwise print the fields,
// key bytes included.
func (k Key) Format(f fmt.State, verb rune) {
	_, _ = f.Write([]byte(k.String()))
}

// LogValue makes log/slog record the non-secret fields only.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("secret", redactedOrNone(k.Secret)),
		slog.Uint64("sdkAppId", k.SDKAppID),
		slog.String("identifier", k.Identifier),
		slog.String("auditKey", redactedOrNone(k.AuditKey)),
		slog.String("version", k.Version),
	)
}

// MarshalJSON keeps key material out of JSON, which is where structured
// loggers and debug dumps usually send values.
func (k Key) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Secret     string `json:"secret"`
		SDKAppID   uint64 `json:"sdkAppId,omitempty"`
		Identifier string `json:"identifier,omitempty"`
		AuditKey   string `json:"auditKey"`
		Version    string `json:"version,omitempty"`
	}{redactedOrNone(k.Secret), k.SDKAppID, k.Identifier, redactedOrNone(k.AuditKey), k.Version})
}

func redactedOrNone(b []byte) string {
	if len(b) == 0 {
		return "<none>"
	}
	return redacted
}

var (
	_ fmt.Stringer   = Key{}
	_ fmt.GoStringer = Key{}
	_ fmt.Formatter  = Key{}
	_ slog.LogValuer = Key{}
	_ json.Marshaler = Key{}
)
