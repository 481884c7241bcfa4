package timtest

import (
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"time"
)

// FaultKind names an injected fault in [Call] and [Stats].
type FaultKind string

// Fault kinds, one per probability in [Faults].
const (
	// FaultNone marks a request that was handled normally.
	FaultNone FaultKind = ""

	// FaultHTTP502 is an HTTP 502 with an HTML body (Faults.HTTP502).
	FaultHTTP502 FaultKind = "http-502"

	// FaultConnReset is a connection closed with a TCP reset and no
	// answer (Faults.ConnReset).
	FaultConnReset FaultKind = "conn-reset"

	// FaultInternal is a CodeInternal answer (Faults.Internal91000).
	FaultInternal FaultKind = "internal-91000"

	// FaultRateLimited is a CodeRateLimited answer not caused by
	// Config.RateLimit (Faults.RateLimited60018).
	FaultRateLimited FaultKind = "rate-limited-60018"
)

// newRand returns the fault generator for seed. PCG is small, fast and fully
// determined by its seed, which is all reproducible faults need; nothing here
// is security-sensitive.
func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x74696d73747562)) // "timstub"
}

// draw picks the latency and fault of one request. It always takes exactly
// two numbers from r, so the sequence for a seed does not shift when a
// probability or the jitter is zero. The caller holds the server's lock.
func draw(r *rand.Rand, f Faults) (time.Duration, FaultKind) {
	jitter, roll := r.Float64(), r.Float64()
	delay := f.Latency
	if f.LatencyJitter > 0 {
		delay += time.Duration(jitter * float64(f.LatencyJitter))
	}
	for _, c := range []struct {
		p    float64
		kind FaultKind
	}{
		{f.HTTP502, FaultHTTP502},
		{f.ConnReset, FaultConnReset},
		{f.Internal91000, FaultInternal},
		{f.RateLimited60018, FaultRateLimited},
	} {
		if roll < c.p {
			return delay, c.kind
		}
		roll -= c.p
	}
	return delay, FaultNone
}

// sleep waits d unless ctx ends first, and reports whether it waited in
// full. A client that gave up must not keep a handler goroutine busy.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// badGatewayBody imitates the HTML error page of Tencent's gateway, so a
// client that tries to JSON-decode it is caught.
const badGatewayBody = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n" +
	"<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>stgw</center>\r\n</body>\r\n</html>\r\n"

func writeBadGateway(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusBadGateway)
	_, _ = w.Write([]byte(badGatewayBody))
}

// resetConn closes the request's connection without answering. With
// SO_LINGER 0 the close sends a TCP RST, the harshest thing a peer can do;
// the client sees "connection reset by peer" or an unexpected EOF. It reports
// false when the connection cannot be hijacked (HTTP/2, a recorder), in
// which case nothing has been written and the caller must answer.
func resetConn(w http.ResponseWriter) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return false
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
	return true
}
