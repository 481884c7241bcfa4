package erasure

// Limits of the message contract (README, Message contract) and of Tencent
// Cloud Chat (README, Tencent Chat facts). Tencent's hold for every call of
// both API families alike: removing attributes, removing tags and reading
// the app's attribute names. They are exported so that callers pack and
// validate with the same numbers the parser enforces.
const (
	// MaxAccountsPerRequest bounds one message, so that one message needs
	// at most 100 calls of each API, i.e. one second of that API's rate
	// limit.
	MaxAccountsPerRequest = 10000

	// MaxAccountBytes is Tencent's longest UserID.
	MaxAccountBytes = 32

	// MaxAttrs is the most attribute names a Tencent app can define.
	MaxAttrs = 10

	// MaxAttrBytes is Tencent's longest attribute name.
	MaxAttrBytes = 50

	// MaxAccountsPerCall is the most accounts Tencent accepts in one call
	// that removes attributes or tags.
	MaxAccountsPerCall = 100

	// MaxAuditFieldBytes bounds EventID and OccurredAt. They only feed the
	// audit log, so longer values are truncated rather than failing an
	// erasure the business is obliged to perform.
	MaxAuditFieldBytes = 256
)
