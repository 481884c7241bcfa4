package erasure

import (
	"fmt"
	"testing"
)

// BenchmarkParse measures the per-message cost that a 10,000-message batch
// multiplies; allocs/op divided by the account count is the per-account cost.
func BenchmarkParse(b *testing.B) {
	cases := []struct {
		name string
		body string
	}{
		{"1-account", `{"type":"user.deleted","accounts":["user-1001"],"eventId":"evt-1","occurredAt":"2025-11-27T09:58:00Z"}`},
		{"100-accounts", `{"type":"gdpr.erasure","accounts":` + accountList(100) + `,"attrs":["sex","city"],"eventId":"evt-2"}`},
		{"1-account-SNS", sns(`{"type":"user.deleted","accounts":["user-1001"],"eventId":"evt-1"}`)},
		{"1-account-EventBridge", eventBridge(`{"type":"user.deleted","accounts":["user-1001"],"eventId":"evt-1"}`)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				if _, err := Parse(c.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Example_error shows what an operator sees for a rejected message.
func Example_error() {
	_, err := Parse(`{"type":"user.deleted","accounts":["u1","u2","u3","user-xxxxxxxxxxxxxxxxxxxxxxxxxxxx"]}`)
	fmt.Println(err)
	// Output: invalid message: accounts[3]: 33 bytes, at most 32
}
