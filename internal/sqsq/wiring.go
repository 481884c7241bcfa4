// The wiring check: a partial batch response means something only when the
// event source mapping has ReportBatchItemFailures. Without it Lambda
// ignores batchItemFailures and deletes every message of a batch that
// returned without error, failed ones included; so the function checks,
// and where it cannot see the setting it acknowledges by itself.

package sqsq

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
)

// Why a batch's partial response cannot be relied on.
var (
	ErrPartialBatchUnsupported = errors.New("the event source mapping does not have FunctionResponseTypes ReportBatchItemFailures")
	ErrNoMapping               = errors.New("no event source mapping from the queue to this function was found")
	ErrNoFunctionARN           = errors.New("the invocation does not name the function's ARN")
)

// wiringCheckTimeout bounds one check: it runs beside the batch, and an
// answer that comes late counts as no answer.
const wiringCheckTimeout = 5 * time.Second

// LambdaAPI is the part of the Lambda client the wiring check uses;
// *lambda.Client satisfies it. ListEventSourceMappings has no
// resource-level permission: the role's grant is on "*".
type LambdaAPI interface {
	ListEventSourceMappings(ctx context.Context, in *lambda.ListEventSourceMappingsInput, optFns ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error)
}

// Wiring checks, once per container and source queue, that the mapping
// from the queue to the function reports batch item failures. It is safe
// for concurrent use; create one per process.
type Wiring struct {
	API LambdaAPI

	mu    sync.Mutex
	known map[wiringKey]bool // definite answers only
}

type wiringKey struct{ queueARN, functionARN string }

// NewWiring returns a Wiring on a Lambda client built from cfg.
func NewWiring(cfg aws.Config) *Wiring {
	return &Wiring{API: lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Retryer = awsbatch.Retryer() })}
}

// Check returns nil when the mapping from queueARN to functionARN (the
// invocation's, alias or version included) has ReportBatchItemFailures,
// ErrPartialBatchUnsupported when it has not, and another error when that
// cannot be told: no mapping found, or the call failed. Only the first two
// are remembered.
func (w *Wiring) Check(ctx context.Context, queueARN, functionARN string) error {
	if functionARN == "" {
		return ErrNoFunctionARN
	}
	key := wiringKey{queueARN, functionARN}
	w.mu.Lock()
	reports, ok := w.known[key]
	w.mu.Unlock()
	if !ok {
		var err error
		if reports, err = w.ask(ctx, queueARN, functionARN); err != nil {
			return err
		}
		w.mu.Lock()
		if w.known == nil {
			w.known = map[wiringKey]bool{}
		}
		w.known[key] = reports
		w.mu.Unlock()
	}
	if !reports {
		return ErrPartialBatchUnsupported
	}
	return nil
}

// ask lists the queue's mappings, every page, and judges those of the
// function: a mapping on the invoked ARN itself decides; else every one
// on the function under another qualifier (or none) must report failures.
// It filters by the queue only: one queue has few mappings, and filtering
// by function name would miss those on an alias.
func (w *Wiring) ask(ctx context.Context, queueARN, functionARN string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, wiringCheckTimeout)
	defer cancel()
	var exact, same []lambdatypes.EventSourceMappingConfiguration
	pages := lambda.NewListEventSourceMappingsPaginator(w.API, &lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(queueARN)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("lambda:ListEventSourceMappings: %w", err)
		}
		for _, m := range page.EventSourceMappings {
			arn := aws.ToString(m.FunctionArn)
			switch {
			case arn == functionARN:
				exact = append(exact, m)
			case unqualified(arn) == unqualified(functionARN):
				same = append(same, m)
			}
		}
	}
	judged := exact
	if len(judged) == 0 {
		judged = same
	}
	if len(judged) == 0 {
		return false, ErrNoMapping
	}
	for _, m := range judged {
		if !slices.Contains(m.FunctionResponseTypes, lambdatypes.FunctionResponseTypeReportBatchItemFailures) {
			return false, nil
		}
	}
	return true, nil
}

// unqualified is a function ARN without its alias or version:
// arn:aws:lambda:region:account:function:name[:qualifier].
func unqualified(arn string) string {
	parts := strings.SplitN(arn, ":", 8)
	return strings.Join(parts[:min(len(parts), 7)], ":")
}
