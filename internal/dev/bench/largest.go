package bench

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// idAlphabet makes the largest event's account ids: letters and digits
// need no escaping in the body nor in the event, so every id costs its
// length and its quotes.
const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// shortID is the n-th of the shortest distinct ids: every 3-byte id
// first, then 4-byte ones.
func shortID(n int) string {
	base := len(idAlphabet)
	width := 3
	if three := base * base * base; n >= three {
		n -= three
		width = 4
	}
	b := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		b[i] = idAlphabet[n%base]
		n /= base
	}
	return string(b)
}

// largestBody is message m of the largest event: 10,000 distinct short ids.
func largestBody(m int) string {
	accounts := make([]string, erasure.MaxAccountsPerRequest)
	for j := range accounts {
		accounts[j] = shortID(m*erasure.MaxAccountsPerRequest + j)
	}
	js, _ := json.Marshal(struct {
		Type       string   `json:"type"`
		Accounts   []string `json:"accounts"`
		EventID    string   `json:"eventId"`
		OccurredAt string   `json:"occurredAt"`
	}{"gdpr.erasure", accounts, fmt.Sprintf("evt-largest-%d", m), "2026-11-25T10:00:00Z"})
	return string(js)
}

// LargestEvent is the event with the most accounts the event source
// mapping can deliver at batchSize: 10,000-account messages of
// distinct 3-4 byte ids, as many as fit in MaxEventBytes.
func LargestEvent(batchSize int) events.SQSEvent {
	// A record of 10,000 ids takes at least 80 KB, so this many always
	// overfill one event.
	n := min(batchSize, MaxEventBytes/(8*erasure.MaxAccountsPerRequest)+1)
	bodies := make([]string, n)
	for m := range bodies {
		bodies[m] = largestBody(m)
	}
	return lambdaEvents(bodies, batchSize)[0]
}
