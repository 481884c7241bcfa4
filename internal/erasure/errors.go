package erasure

// Error is the one invalid-input error: why a message body, or a value
// checked on its own (an account, an attribute name), breaks the contract.
// Every rejection is permanent: the same body fails the same way, so the
// message belongs in the dead-letter queue, not in another retry.
//
// Neither field ever contains an account ID or the body, so an Error can be
// logged as is.
type Error struct {
	// Field is the path of the offending value, e.g. "accounts[3]",
	// "Message.type" or "detail"; empty when the body as a whole is at
	// fault, or when a lone value was checked.
	Field string `json:"field,omitempty"`
	// Reason is a short explanation, e.g. "33 bytes, at most 32".
	Reason string `json:"reason"`
}

// Error returns e.g. "invalid message: accounts[3]: 33 bytes, at most 32".
func (e *Error) Error() string {
	if e.Field == "" {
		return "invalid message: " + e.Reason
	}
	return "invalid message: " + e.Field + ": " + e.Reason
}

// ConfigError is an invalid configuration variable: one found invalid when
// the configuration is read, or one the app contradicts, found while
// processing (class Configuration). Reason follows Variable in a sentence,
// e.g. "must be true or false, got \"maybe\"".
type ConfigError struct {
	Variable string
	Reason   string
}

// Error returns e.g. "configuration: DRY_RUN must be true or false, got \"maybe\"".
func (e *ConfigError) Error() string { return "configuration: " + e.Variable + " " + e.Reason }
