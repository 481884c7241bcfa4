package erasure

// ValueError says why a value breaks a rule of this package. Its text never
// repeats the offending value: accounts are personal data, and errors end up
// in logs.
type ValueError struct {
	// Field names the value, e.g. "accounts[3]"; empty when the caller
	// validated a lone value and knows what it was.
	Field string `json:"field,omitempty"`
	// Reason is a short, value-free explanation, e.g. "33 bytes, at most 32".
	Reason string `json:"reason"`
}

// Error returns "field: reason", or just the reason when Field is empty.
func (e *ValueError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}
