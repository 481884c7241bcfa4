// Package timtest is a stand-in for the Tencent Cloud Chat REST API, limited
// to the push calls attr-eraser makes, in both of Tencent's API families:
//
//	operation            all_member_push (default)              timpush
//	remove attributes    /v4/all_member_push/im_remove_attr     /v4/timpush/remove_attr
//	attribute names      /v4/all_member_push/im_get_attr_name   /v4/timpush/get_attr_name
//	remove all tags      /v4/all_member_push/im_remove_all_tags /v4/timpush/clear_all_tags
//	read attributes      /v4/all_member_push/im_get_attr        /v4/timpush/get_attr
//	read tags            /v4/all_member_push/im_get_tag         /v4/timpush/get_tag
//
// Both families act on the same push data, as on the real service: the
// attributes removed ([Server.Removed]), the attributes with their values
// ([Server.SetAttrs], [Server.Attrs]) and the tags each account has
// ([Server.SetTags], [Server.Tags], [Server.TagsCleared]), which the
// read-backs answer in shuffled order (readback.go, with its three faults). Every call is
// logged with its path, [Family] and [Op] ([Server.AllCalls]), and
// [Stats.Paths] counts per path, so a test can tell which family a client
// used.
//
// It exists so tests, the end-to-end run, `make run` and benchmarks can
// exercise the real client over real HTTP without a Tencent account. It
// behaves as Tencent documents the real service: it verifies UserSigs
// with its own decoder (deliberately not the project's generator, so the two
// check each other), rejects bad requests with Tencent's error codes, enforces
// a call rate per API path, reports per-account failures in ErrorList, and can
// inject reproducible faults (HTTP 502, connection resets, 91000, 60018,
// latency) on every path. It can also answer what the real service never
// does, to test that a client refuses it: a redirect ([Server.SetRedirect])
// and an ErrorList naming accounts not in the call ([Server.InjectErrorList]).
//
// Like net/http/httptest, a [Server] is either used as an http.Handler
// ([NewServer]) or listens on a loopback port of its own ([Start]). It is
// silent unless [Config.Logf] is set, and safe for concurrent use.
package timtest
