// Package usersig generates Tencent Cloud Chat UserSigs (TLSSigAPIv2), the
// credential an app admin puts in the query string of every REST API call.
//
// A UserSig is an HMAC-SHA256 over the caller's identity and validity window,
// wrapped with that identity in JSON, zlib-compressed and base64-encoded with
// a URL-safe alphabet. Generating one is purely local, so a signing key never
// leaves the process; [Cache] avoids recomputing it on every call.
//
// Neither the key nor a generated UserSig is ever part of an error returned
// by this package, so errors are safe to log.
package usersig
