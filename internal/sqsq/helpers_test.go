package sqsq_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
	"github.com/attr-eraser/attr-eraser/internal/sqsq/sqstest"
)

type fixture struct {
	srv      *sqstest.Server
	q        *sqsq.Queue
	url, arn string // the source queue
	dlqURL   string
}

// newFixture wires a Queue to the stand-in through New and the environment
// alone, as the function does in production.
func newFixture(t *testing.T) fixture {
	t.Helper()
	srv, err := sqstest.Start()
	if err != nil {
		t.Fatalf("sqstest.Start: %v", err)
	}
	t.Cleanup(srv.Close)
	srv.SetEnv(t.Setenv)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRetryer(func() aws.Retryer {
		// Production retry policy, minus the backoff delays.
		return retry.AddWithMaxBackoffDelay(retry.NewStandard(), time.Millisecond)
	}))
	if err != nil {
		t.Fatal(err)
	}
	url, arn := srv.AddQueue("erasures")
	dlq, _ := srv.AddQueue("erasures-dlq")
	q := sqsq.New(cfg, dlq)
	q.Lineage = &sqsq.Lineage{Keys: auditKeys(testAuditKey)}
	return fixture{srv: srv, q: q, url: url, arn: arn, dlqURL: dlq}
}

// testAuditKey is the audit key the fixtures sign and verify lineage with.
var testAuditKey = []byte("the test audit key")

// auditKeys is an AuditKeySource with a fixed key.
type auditKeys []byte

func (k auditKeys) AuditKey(context.Context) ([]byte, error) { return k, nil }

// lineageOf reads rec's lineage as a Handler with testAuditKey does.
func lineageOf(rec events.SQSMessage) eraser.Lineage {
	l, _ := sqsq.LineageOf(rec, sqsq.LineageKey(testAuditKey))
	return l
}

// receive puts one message per body on the source queue and receives them
// as Lambda records.
func (f fixture) receive(t *testing.T, bodies ...string) []events.SQSMessage {
	t.Helper()
	for _, b := range bodies {
		f.srv.Put(f.url, b, nil)
	}
	recs := f.srv.Receive(f.url, 0)
	if len(recs) != len(bodies) {
		t.Fatalf("received %d records, want %d", len(recs), len(bodies))
	}
	return recs
}

// bodies returns n bodies shaped like real ones: they name accounts, which
// is why no error may contain them.
func bodies(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"accounts":["user-%04d"]}`, i)
	}
	return out
}

// order is a record with what is asked of SQS about it: an eraser.Order
// whose Message is that record.
type order struct {
	Record  events.SQSMessage
	Action  eraser.Action
	Lineage eraser.Lineage
	Class   erasure.Class
	Reason  string
	Delay   time.Duration
}

// runHandOff gives q the orders as the handler does: the records of the
// batch, and orders indexing them.
func runHandOff(c context.Context, q *sqsq.Queue, orders []order) []error {
	records := make([]events.SQSMessage, len(orders))
	out := make([]eraser.Order, len(orders))
	for i, o := range orders {
		records[i] = o.Record
		out[i] = eraser.Order{Message: i, Action: o.Action, Lineage: o.Lineage, Class: o.Class, Reason: o.Reason, Delay: o.Delay}
	}
	return q.HandOff(c, records, out)
}

// handOff runs HandOff and checks it answered every order.
func handOff(t *testing.T, q *sqsq.Queue, orders []order) []error {
	t.Helper()
	errs := runHandOff(ctx(t), q, orders)
	if len(errs) != len(orders) {
		t.Fatalf("HandOff answered %d of %d orders", len(errs), len(orders))
	}
	return errs
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func delays(recs []events.SQSMessage, d time.Duration) []order {
	out := make([]order, len(recs))
	for i, r := range recs {
		out[i] = order{Record: r, Action: eraser.Delay, Delay: d}
	}
	return out
}

func requeues(recs []events.SQSMessage) []order {
	out := make([]order, len(recs))
	for i, r := range recs {
		l := lineageOf(r)
		l.Requeues++
		out[i] = order{Record: r, Action: eraser.Requeue, Lineage: l}
	}
	return out
}

// asError returns err as *sqsq.Error, failing the test when it is not one.
func asError(t *testing.T, err error) *sqsq.Error {
	t.Helper()
	var e *sqsq.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %T %v, want *sqsq.Error", err, err)
	}
	return e
}
