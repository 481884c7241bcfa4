package usersig

// Error is the type of every error this package returns. Being a string
// constant type, the sentinel values below cannot be reassigned by other
// packages, and callers match them with errors.Is.
type Error string

// Error implements the error interface.
func (e Error) Error() string { return string(e) }

// Errors returned by [Generate] and [Cache.Get]. They describe which input was
// unusable and never echo the input, because the key and the identifier may be
// sensitive.
const (
	// ErrNoSDKAppID reports a zero SDKAppID, which Tencent never assigns and
	// which almost always means the configuration was not loaded.
	ErrNoSDKAppID Error = "usersig: SDKAppID is zero"

	// ErrBadIdentifier reports an identifier that is not a valid Tencent
	// UserID (1 to 32 bytes of printable ASCII). Rejecting it here matters
	// beyond tidiness: the signed content is newline-separated, so a
	// control character could make two different identities sign alike.
	ErrBadIdentifier Error = "usersig: identifier must be 1-32 bytes of printable ASCII"

	// ErrNoKey reports an empty signing key. HMAC accepts one, but Tencent
	// never issues one, so it can only be a missing secret.
	ErrNoKey Error = "usersig: signing key is empty"

	// ErrBadExpire reports a validity shorter than one second; the wire
	// format counts whole seconds, so anything less would be born expired.
	ErrBadExpire Error = "usersig: expire must be at least one second"

	// ErrBadTime reports an issue time before the Unix epoch, which the
	// wire format (unsigned seconds in Tencent's own implementations)
	// cannot express.
	ErrBadTime Error = "usersig: issue time is before the Unix epoch"
)
