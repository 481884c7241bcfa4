package erasure

// Type is the kind of upstream event that asks for an erasure.
type Type string

// The event types the message contract accepts. Both erase the same way; the
// distinction is kept for the audit log.
const (
	// UserDeleted is published by the account service when a user is deleted.
	UserDeleted Type = "user.deleted"
	// GDPRErasure is published by privacy tooling for a GDPR Art. 17 request.
	GDPRErasure Type = "gdpr.erasure"
)

// Valid reports whether t is one of the types the contract accepts, so that
// an unknown type fails its message instead of being processed by guesswork.
func (t Type) Valid() bool {
	return t == UserDeleted || t == GDPRErasure
}
