package timtest

// API paths the stand-in serves, five per family (see [Family] and [Op]).
// Every other path is answered with HTTP 404, as Tencent's gateway does.
const (
	// PathRemoveAttr removes push attributes of up to 100 accounts.
	PathRemoveAttr = "/v4/all_member_push/im_remove_attr"

	// PathGetAttrName lists the app's registered attribute names.
	PathGetAttrName = "/v4/all_member_push/im_get_attr_name"

	// PathRemoveAllTags removes every push tag of up to 100 accounts.
	PathRemoveAllTags = "/v4/all_member_push/im_remove_all_tags"

	// PathTimPushRemoveAttr is PathRemoveAttr of the timpush family.
	PathTimPushRemoveAttr = "/v4/timpush/remove_attr"

	// PathTimPushGetAttrName is PathGetAttrName of the timpush family.
	PathTimPushGetAttrName = "/v4/timpush/get_attr_name"

	// PathTimPushClearAllTags is PathRemoveAllTags of the timpush family.
	PathTimPushClearAllTags = "/v4/timpush/clear_all_tags"

	// PathGetAttr reads back the push attributes of up to 100 accounts.
	PathGetAttr = "/v4/all_member_push/im_get_attr"

	// PathGetTag reads back the push tags of up to 100 accounts.
	PathGetTag = "/v4/all_member_push/im_get_tag"

	// PathTimPushGetAttr is PathGetAttr of the timpush family.
	PathTimPushGetAttr = "/v4/timpush/get_attr"

	// PathTimPushGetTag is PathGetTag of the timpush family.
	PathTimPushGetTag = "/v4/timpush/get_tag"
)

// ErrorCode values the stand-in answers with. Where Tencent's documentation lists
// several codes for a class of failure, each constant's comment says which
// condition it is used for, so a client can be tested against every branch.
const (
	// CodeOK is the ErrorCode of a successful call.
	CodeOK = 0

	// CodeBadURL (Tencent's "HTTP parse error, check the URL") answers a
	// query missing sdkappid, identifier, usersig, random or contenttype,
	// or carrying one that does not parse (random must be a uint32,
	// contenttype must be "json").
	CodeBadURL = 60002

	// CodeRateLimited answers a call over Config.RateLimit, and the
	// injected Faults.RateLimited60018.
	CodeRateLimited = 60018

	// CodeSigExpired answers a UserSig whose TLS.time + TLS.expire has
	// passed.
	CodeSigExpired = 70001

	// CodeSigMalformed answers a UserSig that cannot be decoded: bad
	// base64, bad zlib, bad JSON, wrong TLS.ver, missing fields, or numbers
	// that are not JSON integers.
	CodeSigMalformed = 70003

	// CodeSigMismatch answers a well-formed UserSig whose HMAC does not
	// verify with the current key (wrong key, or the key was rotated).
	CodeSigMismatch = 70009

	// CodeIdentifierMismatch answers a query identifier that differs from
	// the UserSig's TLS.identifier. Tencent documents 70013 as "the UserID
	// in the request does not match the UserSig's".
	CodeIdentifierMismatch = 70013

	// CodeSDKAppIDMismatch answers a query sdkappid that differs from the
	// UserSig's TLS.sdkappid (Tencent's 70014).
	CodeSDKAppIDMismatch = 70014

	// CodeUnknownApp answers a query sdkappid other than Config.SDKAppID:
	// to this server the app does not exist (Tencent's 70020).
	CodeUnknownApp = 70020

	// CodeNoSuchAccount is the usual per-account code for FailAccounts:
	// the account does not exist.
	CodeNoSuchAccount = 70107

	// CodeJSONParse answers a body that is not valid JSON of the expected
	// shape, is too large, has no UserAttrs (no To_Account for a tag
	// removal, or one that is not an array of strings), or names an
	// account that is not 1-32 bytes of printable ASCII.
	CodeJSONParse = 90001

	// CodeNeedsAdmin answers a valid UserSig for an identifier that is not
	// the app admin (Config.Identifier).
	CodeNeedsAdmin = 90009

	// CodeTooManyAccounts answers more than MaxAccountsPerCall UserAttrs,
	// or To_Account entries of a tag removal.
	CodeTooManyAccounts = 90018

	// CodeInvalidAttr answers an entry with no Attrs or with an attribute
	// name that is not registered. As in the real API the whole call is
	// rejected and nothing is removed.
	CodeInvalidAttr = 90033

	// CodeInternal is the injected Faults.Internal91000 ("retry").
	CodeInternal = 91000
)

// Limits of the real API that the stand-in enforces.
const (
	// MaxAccountsPerCall is the most UserAttrs entries, or To_Account
	// entries of a tag removal, one call may carry.
	MaxAccountsPerCall = 100

	// MaxAccountLen is the longest account (UserID) in bytes.
	MaxAccountLen = 32

	// MaxAttrNames is the most attribute names an app may register.
	MaxAttrNames = 10

	// MaxAttrNameLen is the longest attribute name in bytes.
	MaxAttrNameLen = 50

	// MaxBodyBytes bounds a request body. A full call of 100 accounts with
	// 10 long attribute names is about 60 KB, so 1 MiB only stops abuse.
	MaxBodyBytes = 1 << 20
)
