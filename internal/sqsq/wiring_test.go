package sqsq_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

const functionARN = "arn:aws:lambda:us-east-1:123456789012:function:attr-eraser"

// fakeLambda stands in for ListEventSourceMappings: pages of mappings,
// served by Marker, all of them on the queue asked about.
type fakeLambda struct {
	pages [][]lambdatypes.EventSourceMappingConfiguration
	err   error
	calls int
	asked []string // the EventSourceArn filters
}

func (f *fakeLambda) ListEventSourceMappings(_ context.Context, in *lambda.ListEventSourceMappingsInput, _ ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error) {
	f.calls++
	f.asked = append(f.asked, aws.ToString(in.EventSourceArn))
	if f.err != nil {
		return nil, f.err
	}
	page, _ := strconv.Atoi(aws.ToString(in.Marker))
	out := &lambda.ListEventSourceMappingsOutput{}
	if page < len(f.pages) {
		out.EventSourceMappings = f.pages[page]
	}
	if page+1 < len(f.pages) {
		out.NextMarker = aws.String(strconv.Itoa(page + 1))
	}
	return out, nil
}

func mapping(function string, reports bool) lambdatypes.EventSourceMappingConfiguration {
	m := lambdatypes.EventSourceMappingConfiguration{EventSourceArn: aws.String(sourceARN), FunctionArn: aws.String(function)}
	if reports {
		m.FunctionResponseTypes = []lambdatypes.FunctionResponseType{lambdatypes.FunctionResponseTypeReportBatchItemFailures}
	}
	return m
}

// TestWiringCheck: the mapping from the queue to this function, alias
// included and on any page, decides; only a definite answer is kept.
func TestWiringCheck(t *testing.T) {
	other := mapping("arn:aws:lambda:us-east-1:123456789012:function:something-else", true)
	tests := []struct {
		name      string
		invoked   string
		pages     [][]lambdatypes.EventSourceMappingConfiguration
		apiErr    error
		wantErr   error
		wantCache bool // a second check makes no call
	}{
		{"reports batch item failures", functionARN,
			[][]lambdatypes.EventSourceMappingConfiguration{{mapping(functionARN, true)}}, nil, nil, true},
		{"does not", functionARN,
			[][]lambdatypes.EventSourceMappingConfiguration{{mapping(functionARN, false)}}, nil, sqsq.ErrPartialBatchUnsupported, true},
		{"on the last page", functionARN,
			[][]lambdatypes.EventSourceMappingConfiguration{{other}, {other}, {mapping(functionARN, false)}}, nil, sqsq.ErrPartialBatchUnsupported, true},
		{"invoked through an alias: the alias's mapping decides", functionARN + ":live",
			[][]lambdatypes.EventSourceMappingConfiguration{{mapping(functionARN, false), mapping(functionARN+":live", true)}}, nil, nil, true},
		{"invoked through an alias with a mapping on the function only", functionARN + ":live",
			[][]lambdatypes.EventSourceMappingConfiguration{{mapping(functionARN, true)}}, nil, nil, true},
		{"a mapping on another alias without it counts", functionARN + ":live",
			[][]lambdatypes.EventSourceMappingConfiguration{{mapping(functionARN+":old", false), mapping(functionARN, true)}}, nil, sqsq.ErrPartialBatchUnsupported, true},
		{"a function of a similar name is not this one", functionARN,
			[][]lambdatypes.EventSourceMappingConfiguration{{mapping(functionARN+"-2", true)}}, nil, sqsq.ErrNoMapping, false},
		{"no mapping: not definite", functionARN,
			[][]lambdatypes.EventSourceMappingConfiguration{{other}}, nil, sqsq.ErrNoMapping, false},
		{"the call fails: not definite", functionARN, nil, errors.New("AccessDeniedException"), nil, false},
		{"no function ARN", "", nil, nil, sqsq.ErrNoFunctionARN, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeLambda{pages: tt.pages, err: tt.apiErr}
			w := &sqsq.Wiring{API: api}
			err := w.Check(context.Background(), sourceARN, tt.invoked)
			switch {
			case tt.apiErr != nil:
				if err == nil || errors.Is(err, sqsq.ErrPartialBatchUnsupported) {
					t.Errorf("err = %v, want the call's error", err)
				}
			case !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil):
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			for _, asked := range api.asked {
				if asked != sourceARN {
					t.Errorf("filtered by %q, want the queue's ARN", asked)
				}
			}
			calls := api.calls
			err2 := w.Check(context.Background(), sourceARN, tt.invoked)
			if (err2 == nil) != (err == nil) {
				t.Errorf("second check: %v, first %v", err2, err)
			}
			if cached := api.calls == calls; cached != tt.wantCache && tt.invoked != "" {
				t.Errorf("second check cached = %v, want %v", cached, tt.wantCache)
			}
		})
	}
}

// recordingDeleter deletes every record it is given.
type recordingDeleter struct{ deleted []string }

func (d *recordingDeleter) Delete(_ context.Context, records []events.SQSMessage) (int, error) {
	for _, r := range records {
		d.deleted = append(d.deleted, r.MessageId)
	}
	return len(records), nil
}

// TestHandleWithoutReportBatchItemFailures: where the mapping lacks
// ReportBatchItemFailures, or that cannot be checked, Lambda would delete
// every message of a batch answered without error. The handler deletes
// what it acknowledged itself and fails the invocation, so that only the
// failed message comes back; an ERROR line and the metric say so.
func TestHandleWithoutReportBatchItemFailures(t *testing.T) {
	tests := []struct {
		name       string
		pages      [][]lambdatypes.EventSourceMappingConfiguration
		apiErr     error
		wantUnwire bool
	}{
		{"ReportBatchItemFailures set", [][]lambdatypes.EventSourceMappingConfiguration{{mapping(functionARN, true)}}, nil, false},
		{"ReportBatchItemFailures absent", [][]lambdatypes.EventSourceMappingConfiguration{{mapping(functionARN, false)}}, nil, true},
		{"no mapping found", nil, nil, true},
		{"the check fails", nil, errors.New("AccessDeniedException: not authorized to perform lambda:ListEventSourceMappings"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proc := &scriptedProcessor{results: []eraser.MessageResult{
				{MessageID: "a", Outcome: eraser.Erased},
				{MessageID: "b", Outcome: eraser.Failed, Class: erasure.Retryable},
				{MessageID: "c", Outcome: eraser.Erased},
			}}
			var logs bytes.Buffer
			deleter := &recordingDeleter{}
			unwired := 0
			h := &sqsq.Handler{
				Eraser:    &eraser.Handler{Processor: proc, Logger: slog.New(slog.NewJSONHandler(&logs, nil))},
				Wiring:    &sqsq.Wiring{API: &fakeLambda{pages: tt.pages, err: tt.apiErr}},
				Deleter:   deleter,
				OnUnwired: func(context.Context) { unwired++ },
			}
			var records []events.SQSMessage
			for _, id := range []string{"a", "b", "c"} {
				records = append(records, events.SQSMessage{MessageId: id, ReceiptHandle: "rh-" + id, EventSourceARN: sourceARN})
			}
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{InvokedFunctionArn: functionARN})
			resp, err := h.Handle(ctx, events.SQSEvent{Records: records})
			if got := itemIDs(resp); !slices.Equal(got, []string{"b"}) {
				t.Errorf("failures = %v, want [b]", got)
			}
			if !tt.wantUnwire {
				if err != nil || len(deleter.deleted) != 0 || unwired != 0 {
					t.Errorf("err = %v, deleted %v, metric %d; want nil, nothing, 0", err, deleter.deleted, unwired)
				}
				return
			}
			if !errors.Is(err, sqsq.ErrUnwired) {
				t.Errorf("err = %v, want ErrUnwired: Lambda would delete b with the others", err)
			}
			if !slices.Equal(deleter.deleted, []string{"a", "c"}) {
				t.Errorf("deleted %v, want the acknowledged [a c]", deleter.deleted)
			}
			if unwired != 1 {
				t.Errorf("metric written %d times, want 1", unwired)
			}
			lines := logLines(t, &logs)
			if !slices.ContainsFunc(lines, func(l map[string]any) bool { return l["level"] == "ERROR" && l["deleted"] == float64(2) }) {
				t.Errorf("no ERROR line saying 2 were deleted: %v", lines)
			}
			if bytes.Contains(logs.Bytes(), []byte("rh-")) {
				t.Error("the log holds a receipt handle")
			}
		})
	}
}

// hangingLambda stands in for a ListEventSourceMappings that never
// answers.
type hangingLambda struct{}

func (hangingLambda) ListEventSourceMappings(ctx context.Context, _ *lambda.ListEventSourceMappingsInput, _ ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// timedDeleter deletes every record and remembers how long before its
// context's deadline it was called.
type timedDeleter struct {
	recordingDeleter
	left time.Duration
}

func (d *timedDeleter) Delete(ctx context.Context, records []events.SQSMessage) (int, error) {
	if deadline, ok := ctx.Deadline(); ok {
		d.left = time.Until(deadline)
	}
	return d.recordingDeleter.Delete(ctx, records)
}

// TestWiringCheckThatHangsEndsInTime: a wiring check that does not answer
// counts as one that cannot be made once the end needs it; the handler
// still deletes what it acknowledged, within its own step's time, and
// answers before the deadline.
func TestWiringCheckThatHangsEndsInTime(t *testing.T) {
	proc := &scriptedProcessor{results: []eraser.MessageResult{
		{MessageID: "a", Outcome: eraser.Erased},
		{MessageID: "b", Outcome: eraser.Failed, Class: erasure.Retryable},
	}}
	deleter := &timedDeleter{}
	// Each of the end's six steps keeps 200 ms.
	budget := eraser.Budget{SafetyMargin: 1200 * time.Millisecond, MinCallBudget: 100 * time.Millisecond}
	h := &sqsq.Handler{
		Eraser:  &eraser.Handler{Processor: proc, TimeBudget: budget},
		Wiring:  &sqsq.Wiring{API: hangingLambda{}},
		Deleter: deleter,
	}
	records := []events.SQSMessage{
		{MessageId: "a", ReceiptHandle: "rh-a", EventSourceARN: sourceARN},
		{MessageId: "b", ReceiptHandle: "rh-b", EventSourceARN: sourceARN},
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{InvokedFunctionArn: functionARN})
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	resp, err := h.Handle(ctx, events.SQSEvent{Records: records})
	if late := time.Since(deadline); late >= 0 {
		t.Fatalf("answered %v after the deadline", late)
	}
	// The check's own context ends about when the handler stops waiting:
	// either says it did not answer.
	if !errors.Is(err, sqsq.ErrUnwired) || !errors.Is(err, sqsq.ErrWiringUnanswered) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want ErrUnwired for an unanswered check", err)
	}
	if got := itemIDs(resp); !slices.Equal(got, []string{"b"}) {
		t.Errorf("failures = %v, want [b]", got)
	}
	if !slices.Equal(deleter.deleted, []string{"a"}) || deleter.left < 100*time.Millisecond {
		t.Errorf("deleted %v with %v left; want [a] within the source's step", deleter.deleted, deleter.left)
	}
}
