package message

import (
	"encoding/json"
	"testing"
)

func BenchmarkBaselineValid(b *testing.B) {
	body := []byte(`{"type":"user.deleted","accounts":["user-1001"],"eventId":"evt-1","occurredAt":"2025-11-27T09:58:00Z"}`)
	for b.Loop() {
		json.Valid(body)
	}
}
func BenchmarkBaselineUnmarshal(b *testing.B) {
	body := []byte(`{"type":"user.deleted","accounts":["user-1001"],"eventId":"evt-1","occurredAt":"2025-11-27T09:58:00Z"}`)
	b.ReportAllocs()
	for b.Loop() {
		var v struct{ Type string `json:"type"`; Accounts []string `json:"accounts"`; EventID, OccurredAt string }
		json.Unmarshal(body, &v)
	}
}
