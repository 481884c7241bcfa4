// Package receipts tells upstream privacy tooling when each erasure
// request is finished, by putting a receipt on Amazon EventBridge; it is
// the one package that talks to EventBridge, and *Publisher implements
// eraser.Receipts.
//
// Why receipts exist: the tooling that publishes erasure requests must
// close each data-subject request, and to do so it needs to learn that the
// request was carried out (or can never be), without reading the function's
// logs. With RECEIPT_EVENT_BUS set, every message that is finished gets one
// event on that bus, put before the message is acknowledged:
//
//   - DetailType "Erasure Completed": every account of the message was
//     erased (eraser.ReceiptCompleted);
//   - DetailType "Erasure Rejected": the message is invalid or Tencent
//     rejects its content, so it can never succeed; put only once its copy
//     is in the dead-letter queue (eraser.ReceiptRejected).
//   - DetailType "Erasure Failed": the message failed on its last receive,
//     through the whole retry schedule, and the function dead-lettered it
//     with its last class and reason; put only once its copy is in the
//     dead-letter queue (eraser.ReceiptFailed). A person must look.
//
// Source is "attr-eraser", Time is completedAt, EventBusName the configured
// bus (name or ARN).
//
// # Delivery: at least once
//
// A receipt that could not be put fails its message, which comes back and
// is put again; a receipt EventBridge took may still be put again (the
// answer was lost, or the message failed for another reason after it).
// Consumers therefore deduplicate by eventId and messageId together.
// Publishers of erasure requests should always set eventId: without it
// only messageId identifies the request, and a request published twice is
// two requests.
//
// # Detail
//
// Detail is a JSON object (see Detail):
//
//   - eventId: the request's eventId as published; "" when it had none.
//   - type: the request's type, e.g. "user.deleted"; "" for an invalid
//     message.
//   - messageId: the SQS message id of the request as first published,
//     the same across the copies the function requeues.
//   - occurredAt: the request's occurredAt exactly as sent; "" when absent.
//   - completedAt: when the receipt was put, RFC 3339 in UTC with up to
//     millisecond precision.
//   - accounts: how many accounts the request named (0 for an invalid
//     message).
//   - accountsDigest, auditKeyId: see below.
//   - erased (Erasure Completed only): what was removed, ["attrs"] or
//     ["attrs","tags"].
//   - verification, verifiedAccounts (Erasure Completed only): "read-back"
//     when every account was read back from Tencent after its removal and
//     showed nothing removed (verifiedAccounts is then accounts), "off" when
//     "erased" rests on Tencent's OK to the removal (VERIFY_ERASURE=false;
//     verifiedAccounts 0).
//   - class, reason (Erasure Rejected and Erasure Failed only): why the
//     message can never succeed, or why its last receive failed, as on its
//     audit line; reason is cut to 1,024 bytes.
//
// A receipt never carries an account ID, nor the accounts' list or their
// hashes: only their count and digest, so that a receipt stays a few hundred
// bytes even for 10,000 accounts, far below PutEvents' entry size limit.
// (A reason that would contain one of the message's accounts is replaced by
// a fixed text; errors are built never to contain one.)
//
// # The accounts digest
//
// accountsDigest binds the receipt to the audit trail without revealing the
// accounts. It is computed from the account hashes of the message's audit
// lines, which are keyed with the audit key named by auditKeyId:
//
//  1. hash each account: hex(HMAC-SHA256(auditKey, account)[:16]), as
//     telemetry.Hash does (the "accountHashes" of the audit lines; a message
//     of many accounts is audited over several lines, "part" 1 to "parts",
//     and the hashes of all its parts count);
//  2. sort the lowercase hex strings in byte order;
//  3. join them with "\n", without a trailing line break;
//  4. accountsDigest = lowercase hex of SHA-256 over the result.
//
// No accounts give the SHA-256 of the empty string. Anyone holding the audit
// lines of the message can recompute it; anyone holding the audit key (see
// eraserctl hash) can recompute it from the accounts themselves; eraserctl
// prove recomputes it from the audit lines (HashesDigest).
// AccountsDigest implements the recipe. If the audit key cannot be read,
// no receipt of the call is put: each fails with that error.
//
// # Calls
//
// Receipts are sent with PutEvents in calls of at most 10 entries and
// 256 KB with a few calls in flight. A failed call (throttling, 5xx,
// connection errors) and entries EventBridge fails as transient
// (InternalFailure, ThrottlingException) are retried with exponential
// backoff and full jitter while the context's deadline allows: no call runs
// past the deadline minus Retry.Reserve (none by default: the caller's
// context ends where its share of the invocation does), so Put returns in
// time for its caller to hand the message on. Other entry failures fail only their own
// receipt, a failed call only the receipts it carried.
//
// The function's role needs events:PutEvents on that bus only
// (Resource: arn:aws:events:REGION:ACCOUNT:event-bus/NAME). Beware that
// EventBridge answers success for a bus that does not exist: check
// RECEIPT_EVENT_BUS against the deployed bus.
//
// Errors are *Error. Neither errors nor receipts contain an account ID.
package receipts
