package message

// Error says why a message body was rejected. Every rejection is permanent:
// the same body will fail the same way, so the caller should let the message
// go to the dead-letter queue rather than retry it.
//
// Neither field ever contains an account ID or the body, so an Error can be
// logged as is.
type Error struct {
	// Field is the path of the offending value, e.g. "accounts[3]",
	// "Message.type" or "detail"; empty when the body as a whole is at fault.
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
