// Package timtest is a stand-in for the Tencent Cloud Chat REST API, limited
// to the two all_member_push calls attr-eraser makes:
// POST /v4/all_member_push/im_remove_attr and
// POST /v4/all_member_push/im_get_attr_name.
//
// It exists so tests, the end-to-end run, `make run` and benchmarks can
// exercise the real client over real HTTP without a Tencent account. It
// behaves as Tencent documents the real service: it verifies UserSigs
// with its own decoder (deliberately not the project's generator, so the two
// check each other), rejects bad requests with Tencent's error codes, enforces
// a per-API call rate, reports per-account failures in ErrorList, and can
// inject reproducible faults (HTTP 502, connection resets, 91000, 60018,
// latency). It can also answer what the real service never does, to test
// that a client refuses it: a redirect ([Server.SetRedirect]) and an
// ErrorList naming accounts not in the call ([Server.InjectErrorList]).
//
// Like net/http/httptest, a [Server] is either used as an http.Handler
// ([NewServer]) or listens on a loopback port of its own ([Start]). It is
// silent unless [Config.Logf] is set, and safe for concurrent use.
package timtest
