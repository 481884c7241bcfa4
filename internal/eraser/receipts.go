// Receipts: upstream privacy tooling learns when each message is done, to
// close its data-subject request. Erasure Completed is put before the
// message is acknowledged; Erasure Rejected (it can never succeed) and
// Erasure Failed (it failed through the retry schedule: a person must
// look) only after its copy is in the DLQ, so that neither is announced
// for a message that comes back. A receipt that could not be put fails the
// message, so it comes back and its receipt is tried again (receipts are
// at least once). For a dead-lettered message that means a second dead
// letter of the same message on its next receive (the same original
// message id), or SQS's redrive after its last: a duplicate in the DLQ is
// visible and harmless, an outcome upstream never hears of is not.

package eraser

import (
	"context"
	"fmt"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// Receipts puts the receipts due (MessageResult.Receipt) for the messages
// of report at indexes (satisfied by *receipts.Publisher). Put returns one
// error per index, nil when that message's receipt was put.
type Receipts interface {
	Put(ctx context.Context, report *Report, indexes []int) []error
}

// ReceiptKind is the kind of a receipt, its EventBridge detail-type.
type ReceiptKind string

// The kinds of receipt.
const (
	// ReceiptCompleted: every account of the message was erased.
	ReceiptCompleted ReceiptKind = "Erasure Completed"
	// ReceiptRejected: the message can never succeed and its copy is in
	// the dead-letter queue.
	ReceiptRejected ReceiptKind = "Erasure Rejected"
	// ReceiptFailed: the message failed on its last receive, the end of
	// the retry schedule, and its copy is in the dead-letter queue: the
	// erasure needs a person.
	ReceiptFailed ReceiptKind = "Erasure Failed"
)

// completedReceipt is the receipt due once processing is over: Erasure
// Completed for an erased message.
func completedReceipt(m *MessageResult) ReceiptKind {
	if m.Status().Outcome == Erased {
		return ReceiptCompleted
	}
	return ""
}

// deadLetterReceipt is the receipt due once the hand-off is over. Giving
// up is final only once the message's copy is in the DLQ: a message whose
// dead letter failed, or one of a systemic batch (only delayed), comes back
// and gets none.
func deadLetterReceipt(m *MessageResult) ReceiptKind {
	switch {
	case m.HandOff != DeadLettered:
		return ""
	case neverSucceeds(m.Status()):
		return ReceiptRejected
	}
	return ReceiptFailed
}

// neverSucceeds tells whether a message fails the same way on every
// receive: invalid, or an account Tencent rejects for its content.
func neverSucceeds(s Status) bool {
	return s.Outcome == Invalid || s.Class == erasure.Content
}

// putReceipts puts the receipts due (by due, "" for none) for report's
// messages and records those that could not be put.
func (h *Handler) putReceipts(ctx context.Context, report *Report, due func(*MessageResult) ReceiptKind) {
	if h.Receipts == nil {
		return
	}
	var idx []int
	for i := range report.Messages {
		m := &report.Messages[i]
		if m.Receipt != "" {
			continue
		}
		if kind := due(m); kind != "" {
			m.Receipt = kind
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	for j, err := range h.runReceipts(ctx, report, idx) {
		report.Messages[idx[j]].ReceiptErr = err
	}
}

// runReceipts calls Put, turning a panic or a short answer into an error
// for every receipt: unput receipts must fail their messages.
func (h *Handler) runReceipts(ctx context.Context, report *Report, idx []int) (errs []error) {
	defer func() {
		if v := recover(); v != nil {
			errs = repeat(recovered(ctx, h.logger(), "putting receipts", v), len(idx))
		}
	}()
	errs = h.Receipts.Put(ctx, report, idx)
	if len(errs) != len(idx) {
		errs = repeat(fmt.Errorf("internal error: %d answers for %d receipts", len(errs), len(idx)), len(idx))
	}
	return errs
}

func repeat(err error, n int) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}
