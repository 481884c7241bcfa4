// Package erasure is the domain every other package agrees on: what an
// erasure request is, how a message body becomes one (Parse, README's
// message contract), the one invalid-input error and the one configuration
// error, the one UserID rule and the one attribute-name rule, the limits
// that come from Tencent Cloud Chat and the message contract, and the retry
// schedule of failed messages.
//
// It depends on nothing but the standard library, so the processor, the
// Tencent client and the key handling share it without importing each
// other.
//
// Parsing decisions the contract leaves open, made here:
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
//     are truncated to MaxAuditFieldBytes, because an audit field
//     must not block an erasure.
//   - A repeated key makes the body invalid, in every object the parser reads:
//     the body, an SNS notification, the object in its Message, an EventBridge
//     event and its detail. Which value was meant cannot be known, and taking
//     the last one (as encoding/json does, and this package once did) erases
//     one list of accounts and silently drops the other. Keys compare as a
//     JSON decoder sees them: unescaped ("acc\u006funts" is "accounts"), case
//     included, invalid UTF-8 read as U+FFFD. The rule is about keys, not
//     values: a key repeated with the same value is still rejected. Values the
//     parser does not read (an unknown field's object, say) are not looked
//     into: nothing there can change which accounts are meant. A repeated
//     contract field is named in Error.Field ("Message.accounts"); any other
//     key is not, only the object holding it ("Message", or "" for the body),
//     because a key the contract does not define may be anything a producer
//     chose, an account ID included. Of several repeats, a contract field is
//     reported first, in a fixed order, so the error does not depend on key
//     order. JSON Schema cannot state this rule (a validator sees the decoded
//     object, in which the repeat has already collapsed), so only the parser
//     enforces it; the schema's $comment says so.
//   - An object carrying erasure fields ("type", "accounts" or "attrs") beside
//     an envelope's fields ("Type": "Notification" with a "Message", or a
//     string "detail-type" with a "detail") is invalid: the accounts could be
//     those beside the envelope or those inside it. This holds at every level,
//     also where that envelope is not unwrapped (an SNS notification inside a
//     Message, an EventBridge event inside a detail), because the producer's
//     intent is as unclear there. It looks at keys only, so "attrs": null
//     beside an envelope is rejected too, although null elsewhere means
//     absent: that keeps the rule expressible in JSON Schema ("required"),
//     and such a body is a producer's mix-up anyway. "eventId", "occurredAt"
//     and unknown fields may sit beside an envelope. A "Type" of
//     "Notification" without a "Message" is not an envelope's fields here:
//     where SNS is unwrapped it is rejected for the missing Message anyway,
//     and elsewhere it is just an unknown field of an erasure. An object
//     with both an SNS notification's and an EventBridge event's fields is
//     unwrapped as SNS.
//   - An ambiguous object is rejected before anything in it is unwrapped or
//     validated; the Request then keeps the audit fields that are valid and
//     not themselves repeated.
//   - Envelopes unwrap to a bounded depth: a body may be an SNS notification
//     or an EventBridge event, and an SNS notification's Message may itself be
//     an EventBridge event (EventBridge -> SNS -> SQS). Nothing else nests.
//     SNS is recognised by "Type": "Notification"; EventBridge by the presence
//     of both "detail-type" (a string) and "detail". Fields inside an
//     envelope are named with a path, e.g. "Message.detail.accounts[3]".
//   - Errors never quote an account or the body; see Error.
package erasure
