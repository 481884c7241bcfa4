package receipts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/receipts"
	"github.com/attr-eraser/attr-eraser/internal/receipts/eventstest"
)

// bus is the bus receipts go to in the tests.
const bus = "privacy-receipts"

// auditKey is the audit key the tests' KeySource supplies.
var auditKey = []byte("0123456789abcdef0123456789abcdef")

// clock is the fixed time of Put in the tests.
var clock = time.Date(2026, 5, 6, 7, 8, 9, 123_456_789, time.FixedZone("CEST", 2*3600))

// keys is a KeySource that counts its calls.
type keys struct {
	key   []byte
	err   error
	calls atomic.Int32
}

func (k *keys) AuditKey(context.Context) ([]byte, error) {
	k.calls.Add(1)
	return k.key, k.err
}

type fixture struct {
	srv  *eventstest.Server
	p    *receipts.Publisher
	keys *keys
}

// fastRetry keeps the production policy's shape with tiny waits.
var fastRetry = receipts.Retry{BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}

// newFixture wires a Publisher to the stand-in through New and the
// environment alone, as the function does in production.
func newFixture(t *testing.T) fixture {
	t.Helper()
	srv, err := eventstest.Start()
	if err != nil {
		t.Fatalf("eventstest.Start: %v", err)
	}
	t.Cleanup(srv.Close)
	srv.SetEnv(t.Setenv)
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	k := &keys{key: auditKey}
	p := receipts.New(cfg, bus, k)
	p.Now = func() time.Time { return clock }
	p.Retry = fastRetry
	return fixture{srv: srv, p: p, keys: k}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// accounts returns n account IDs of message m, shaped so that a leak is
// unmistakable.
func accounts(m, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("acct-%03d-%05d", m, i)
	}
	return out
}

// erased is a message that was erased.
func erased(i int, accts ...string) eraser.MessageResult {
	return eraser.MessageResult{
		MessageID: fmt.Sprintf("copy-%03d", i),
		Request: erasure.Request{
			Type:       erasure.UserDeleted,
			Accounts:   accts,
			EventID:    fmt.Sprintf("evt-%03d", i),
			OccurredAt: "2026-05-01T00:00:00Z",
		},
		Outcome: eraser.Erased,
		Receipt: eraser.ReceiptCompleted,
		Lineage: eraser.Lineage{OriginalMessageID: fmt.Sprintf("orig-%03d", i), ReceiveCount: 1},
	}
}

// report holds n erased messages of 3 accounts each, and all indexes.
func report(n int) (*eraser.Report, []int) {
	r := &eraser.Report{Parts: []string{"attrs"}}
	idx := make([]int, n)
	for i := range n {
		r.Messages = append(r.Messages, erased(i, accounts(i, 3)...))
		idx[i] = i
	}
	return r, idx
}

// put runs Put and checks it answered every index.
func put(t *testing.T, p *receipts.Publisher, c context.Context, r *eraser.Report, idx []int) []error {
	t.Helper()
	errs := p.Put(c, r, idx)
	if len(errs) != len(idx) {
		t.Fatalf("Put answered %d of %d indexes", len(errs), len(idx))
	}
	return errs
}

// asError returns err as *receipts.Error, failing the test when it is not.
func asError(t *testing.T, err error) *receipts.Error {
	t.Helper()
	var e *receipts.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %T %v, want *receipts.Error", err, err)
	}
	return e
}

// detailHas tells whether an event's detail names message i.
func detailHas(i int) func(eventstest.Event) bool {
	return func(e eventstest.Event) bool {
		return strings.Contains(e.Detail, fmt.Sprintf(`"messageId":"orig-%03d"`, i))
	}
}

// errText joins the texts of errs, for leak checks.
func errText(errs []error) string {
	var b strings.Builder
	for _, err := range errs {
		if err != nil {
			b.WriteString(err.Error())
			b.WriteByte('\n')
		}
	}
	return b.String()
}
