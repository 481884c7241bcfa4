// Package message turns one SQS message body into an erasure.Request
// (SPEC section 3).
//
// Decisions the spec leaves open, made here:
//
//   - Field names match exactly, case included ("Accounts" is an unknown
//     field, not "accounts"). encoding/json's struct decoding folds case,
//     which would let an SNS envelope's "Type" be confused with "type".
//   - Limits count raw entries, before duplicates collapse: 10,001 entries
//     fail even if only two are distinct, so a message's cost is bounded by
//     its size, not by how it de-duplicates.
//   - "attrs": null is the same as absent (the default set); "attrs": [] is
//     an error, because an empty list asking to remove nothing is almost
//     certainly a producer bug.
//   - "eventId" and "occurredAt" must be strings (or null) when present, but
//     their content is never checked: occurredAt is carried as sent, and both
//     are truncated to erasure.MaxAuditFieldBytes, because an audit field
//     must not block an erasure.
//   - A repeated key takes its last value, as encoding/json does.
//   - Envelopes unwrap to a bounded depth: a body may be an SNS notification
//     or an EventBridge event, and an SNS notification's Message may itself be
//     an EventBridge event (EventBridge -> SNS -> SQS). Nothing else nests.
//     SNS is recognised by "Type": "Notification"; EventBridge by the presence
//     of both "detail-type" (a string) and "detail". Fields inside an
//     envelope are named with a path, e.g. "Message.detail.accounts[3]".
//   - Errors never quote an account or the body; see Error.
package message
