package eventstest_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/attr-eraser/attr-eraser/internal/receipts/eventstest"
)

// start returns a running stand-in and a real SDK client pointed at it
// through the environment, as production code would be.
func start(t *testing.T) (*eventstest.Server, *eventbridge.Client) {
	t.Helper()
	srv, err := eventstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.SetEnv(t.Setenv)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	return srv, eventbridge.NewFromConfig(cfg)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func entry(i int) types.PutEventsRequestEntry {
	return types.PutEventsRequestEntry{
		EventBusName: aws.String("receipts"),
		Source:       aws.String("test"),
		DetailType:   aws.String("Thing Happened"),
		Detail:       aws.String(`{"n":` + strconv.Itoa(i) + `}`),
	}
}

func entries(n int) []types.PutEventsRequestEntry {
	out := make([]types.PutEventsRequestEntry, n)
	for i := range out {
		out[i] = entry(i)
	}
	return out
}

func apiCode(err error) string {
	var e smithy.APIError
	if errors.As(err, &e) {
		return e.ErrorCode()
	}
	return ""
}

func TestPutEventsRecordsEvents(t *testing.T) {
	srv, c := start(t)
	at := time.Date(2026, 3, 4, 5, 6, 7, 891_000_000, time.UTC)
	in := []types.PutEventsRequestEntry{
		{EventBusName: aws.String("receipts"), Source: aws.String("a"), DetailType: aws.String("One"), Detail: aws.String(`{"x":1}`), Time: aws.Time(at)},
		{EventBusName: aws.String(eventstest.BusARN("receipts")), Source: aws.String("b"), DetailType: aws.String("Two"), Detail: aws.String(`{"y":"é"}`), Resources: []string{"arn:aws:sqs:us-east-1:123456789012:q"}},
		{Source: aws.String("c"), DetailType: aws.String("Three"), Detail: aws.String(`{}`)},
	}
	out, err := c.PutEvents(ctx(t), &eventbridge.PutEventsInput{Entries: in})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 0 || len(out.Entries) != 3 {
		t.Fatalf("out = %+v", out)
	}
	got := srv.Events()
	if len(got) != 3 {
		t.Fatalf("%d events, want 3", len(got))
	}
	want := []eventstest.Event{
		{EventBus: "receipts", Source: "a", DetailType: "One", Detail: `{"x":1}`, Time: at},
		{EventBus: eventstest.BusARN("receipts"), Source: "b", DetailType: "Two", Detail: `{"y":"é"}`, Resources: []string{"arn:aws:sqs:us-east-1:123456789012:q"}},
		{EventBus: "default", Source: "c", DetailType: "Three", Detail: `{}`},
	}
	for i, w := range want {
		g := got[i]
		if g.ID == "" || g.ID != aws.ToString(out.Entries[i].EventId) {
			t.Errorf("event %d: ID %q, answered %q", i, g.ID, aws.ToString(out.Entries[i].EventId))
		}
		if g.EventBus != w.EventBus || g.Source != w.Source || g.DetailType != w.DetailType || g.Detail != w.Detail ||
			!g.Time.Equal(w.Time) || strings.Join(g.Resources, ",") != strings.Join(w.Resources, ",") {
			t.Errorf("event %d = %+v, want %+v", i, g, w)
		}
	}
	if srv.Calls() != 1 || len(srv.Bodies()) != 1 || !strings.Contains(srv.Bodies()[0], `"Source":"a"`) {
		t.Errorf("Calls = %d, Bodies = %q", srv.Calls(), srv.Bodies())
	}
}

func TestValidation(t *testing.T) {
	big := strings.Repeat("x", eventstest.MaxRequestSize/2)
	with := func(f func(*types.PutEventsRequestEntry)) []types.PutEventsRequestEntry {
		e := entry(0)
		f(&e)
		return []types.PutEventsRequestEntry{e, entry(1)}
	}
	tests := []struct {
		name      string
		entries   []types.PutEventsRequestEntry
		wantCall  string // error code of the whole call
		wantEntry string // error code of entry 0, entry 1 being valid
	}{
		{"ten entries", entries(10), "", ""},
		{"no entries", []types.PutEventsRequestEntry{}, "ValidationException", ""},
		{"eleven entries", entries(11), "ValidationException", ""},
		{"no source", with(func(e *types.PutEventsRequestEntry) { e.Source = nil }), "", "InvalidArgument"},
		{"empty source", with(func(e *types.PutEventsRequestEntry) { e.Source = aws.String("") }), "", "InvalidArgument"},
		{"no detail type", with(func(e *types.PutEventsRequestEntry) { e.DetailType = nil }), "", "InvalidArgument"},
		{"no detail", with(func(e *types.PutEventsRequestEntry) { e.Detail = nil }), "", "InvalidArgument"},
		{"detail type too long", with(func(e *types.PutEventsRequestEntry) { e.DetailType = aws.String(strings.Repeat("d", 129)) }), "", "InvalidArgument"},
		{"detail type of 128", with(func(e *types.PutEventsRequestEntry) { e.DetailType = aws.String(strings.Repeat("d", 128)) }), "", ""},
		{"detail not JSON", with(func(e *types.PutEventsRequestEntry) { e.Detail = aws.String(`{"a":`) }), "", "MalformedDetail"},
		{"detail an array", with(func(e *types.PutEventsRequestEntry) { e.Detail = aws.String(`[1,2]`) }), "", "MalformedDetail"},
		{"detail a string", with(func(e *types.PutEventsRequestEntry) { e.Detail = aws.String(`"x"`) }), "", "MalformedDetail"},
		{"detail null", with(func(e *types.PutEventsRequestEntry) { e.Detail = aws.String(`null`) }), "", "MalformedDetail"},
		{"bad bus name", with(func(e *types.PutEventsRequestEntry) { e.EventBusName = aws.String("no spaces") }), "ValidationException", ""},
		{"bad bus ARN", with(func(e *types.PutEventsRequestEntry) {
			e.EventBusName = aws.String("arn:aws:events:us-east-1:12345:event-bus/x")
		}), "ValidationException", ""},
		{"under the size limit", with(func(e *types.PutEventsRequestEntry) { e.Detail = aws.String(`{"x":"` + big + `"}`) }), "", ""},
		{"over the size limit", with(func(e *types.PutEventsRequestEntry) { e.Detail = aws.String(`{"x":"` + big + big + `"}`) }), "ValidationException", ""},
		{"every entry invalid", []types.PutEventsRequestEntry{{Source: aws.String("s")}, {DetailType: aws.String("d")}}, "ValidationException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := start(t)
			out, err := c.PutEvents(ctx(t), &eventbridge.PutEventsInput{Entries: tt.entries})
			if tt.wantCall != "" {
				if apiCode(err) != tt.wantCall {
					t.Fatalf("err = %v, want %s", err, tt.wantCall)
				}
				if n := len(srv.Events()); n != 0 {
					t.Errorf("a refused call stored %d events", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Entries) != len(tt.entries) {
				t.Fatalf("%d result entries for %d", len(out.Entries), len(tt.entries))
			}
			code := aws.ToString(out.Entries[0].ErrorCode)
			if code != tt.wantEntry {
				t.Fatalf("entry 0: ErrorCode %q (%s), want %q", code, aws.ToString(out.Entries[0].ErrorMessage), tt.wantEntry)
			}
			wantFailed, wantStored := int32(0), len(tt.entries)
			if tt.wantEntry != "" {
				wantFailed, wantStored = 1, len(tt.entries)-1
				if out.Entries[0].EventId != nil || aws.ToString(out.Entries[0].ErrorMessage) == "" {
					t.Errorf("failed entry = %+v, want no EventId and a message", out.Entries[0])
				}
			}
			if out.FailedEntryCount != wantFailed || len(srv.Events()) != wantStored {
				t.Errorf("FailedEntryCount = %d, stored %d; want %d, %d", out.FailedEntryCount, len(srv.Events()), wantFailed, wantStored)
			}
		})
	}
}

func TestSize(t *testing.T) {
	e := eventstest.Event{Source: "ab", DetailType: "cde", Detail: `{"é":1}`, Resources: []string{"r1", "r22"}}
	// Bytes, not characters: é is two.
	if got := eventstest.Size(e); got != 2+3+8+2+3 {
		t.Errorf("Size = %d, want 18", got)
	}
	e.Time = time.Now()
	if got := eventstest.Size(e); got != 14+18 {
		t.Errorf("Size with Time = %d, want 32", got)
	}
}

func TestCallFaults(t *testing.T) {
	tests := []struct {
		name     string
		code     string
		n        int
		calls    int // calls made
		wantErrs []string
		typed    func(error) bool
	}{
		{"throttled twice", "ThrottlingException", 2, 3, []string{"ThrottlingException", "ThrottlingException", ""},
			func(err error) bool { var e *types.ThrottlingException; return errors.As(err, &e) }},
		{"internal for good", "InternalException", -1, 3, []string{"InternalException", "InternalException", "InternalException"},
			func(err error) bool {
				var e *types.InternalException
				return errors.As(err, &e) && e.ErrorFault() == smithy.FaultServer
			}},
		{"access denied once", "AccessDeniedException", 1, 2, []string{"AccessDeniedException", ""},
			func(err error) bool { var e *types.AccessDeniedException; return errors.As(err, &e) }},
		{"unmodelled code", "ServiceUnavailable", 1, 1, []string{"ServiceUnavailable"},
			func(err error) bool { var e *smithy.GenericAPIError; return errors.As(err, &e) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := start(t)
			srv.FailCalls(tt.code, tt.n, nil)
			for i, want := range tt.wantErrs {
				_, err := c.PutEvents(ctx(t), &eventbridge.PutEventsInput{Entries: entries(2)})
				if apiCode(err) != want {
					t.Fatalf("call %d: err = %v, want %q", i, err, want)
				}
				if err != nil && !tt.typed(err) {
					t.Errorf("call %d: %T is not the typed error", i, err)
				}
			}
			if srv.Calls() != tt.calls {
				t.Errorf("Calls = %d, want %d", srv.Calls(), tt.calls)
			}
		})
	}

	t.Run("matching calls only", func(t *testing.T) {
		srv, c := start(t)
		srv.FailCalls("InternalException", -1, func(es []eventstest.Event) bool {
			for _, e := range es {
				if e.Detail == `{"n":7}` {
					return true
				}
			}
			return false
		})
		if _, err := c.PutEvents(ctx(t), &eventbridge.PutEventsInput{Entries: entries(5)}); err != nil {
			t.Errorf("call without the entry: %v", err)
		}
		if _, err := c.PutEvents(ctx(t), &eventbridge.PutEventsInput{Entries: entries(10)}); apiCode(err) != "InternalException" {
			t.Errorf("call with the entry: %v", err)
		}
		srv.ClearFailures()
		if _, err := c.PutEvents(ctx(t), &eventbridge.PutEventsInput{Entries: entries(10)}); err != nil {
			t.Errorf("after ClearFailures: %v", err)
		}
		if got := len(srv.Events()); got != 15 {
			t.Errorf("stored %d events, want 15", got)
		}
	})
}

func TestEntryFaults(t *testing.T) {
	srv, c := start(t)
	is := func(detail string) func(eventstest.Event) bool {
		return func(e eventstest.Event) bool { return e.Detail == detail }
	}
	srv.FailEntries("InternalFailure", 2, is(`{"n":1}`))
	srv.FailEntries("ThrottlingException", -1, is(`{"n":2}`))
	put := func() *eventbridge.PutEventsOutput {
		t.Helper()
		out, err := c.PutEvents(ctx(t), &eventbridge.PutEventsInput{Entries: entries(4)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	codes := func(out *eventbridge.PutEventsOutput) string {
		var s []string
		for _, e := range out.Entries {
			s = append(s, aws.ToString(e.ErrorCode))
		}
		return strings.Join(s, ",")
	}
	for i, want := range []string{
		",InternalFailure,ThrottlingException,",
		",InternalFailure,ThrottlingException,",
		",,ThrottlingException,", // entry 1's two attempts are spent
	} {
		out := put()
		if got := codes(out); got != want {
			t.Errorf("attempt %d: codes %q, want %q", i+1, got, want)
		}
		failed := int32(0)
		for _, c := range strings.Split(want, ",") {
			if c != "" {
				failed++
			}
		}
		if out.FailedEntryCount != failed {
			t.Errorf("attempt %d: FailedEntryCount = %d, want %d", i+1, out.FailedEntryCount, failed)
		}
	}
	srv.ClearFailures()
	if got := codes(put()); got != ",,," {
		t.Errorf("after ClearFailures: %q", got)
	}
	// 4 + 2 + 2 + 3 + 4 taken.
	if got := len(srv.Events()); got != 4+2+2+3+4-4 {
		t.Errorf("stored %d events, want 11", got)
	}
}

// TestRawProtocol covers what the SDK never sends.
func TestRawProtocol(t *testing.T) {
	srv, err := eventstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const signed = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/events/aws4_request, SignedHeaders=host, Signature=00"
	const ok = `{"Entries":[{"Source":"s","DetailType":"d","Detail":"{}","Time":1767225600.5}]}`
	tests := []struct {
		name, method, target, ctype, auth, body string
		wantStatus                              int
		wantType                                string
	}{
		{"unsigned", "POST", "AWSEvents.PutEvents", "application/x-amz-json-1.1", "", ok, 400, "MissingAuthenticationTokenException"},
		{"signed for another service", "POST", "AWSEvents.PutEvents", "application/x-amz-json-1.1", strings.Replace(signed, "/events/", "/sqs/", 1), ok, 400, "MissingAuthenticationTokenException"},
		{"signed for another region", "POST", "AWSEvents.PutEvents", "application/x-amz-json-1.1", strings.Replace(signed, "us-east-1", "eu-west-1", 1), ok, 400, "MissingAuthenticationTokenException"},
		{"wrong method", "GET", "AWSEvents.PutEvents", "application/x-amz-json-1.1", signed, "", 400, "UnknownOperationException"},
		{"unknown operation", "POST", "AWSEvents.PutRule", "application/x-amz-json-1.1", signed, `{}`, 400, "UnknownOperationException"},
		{"other service", "POST", "AmazonSQS.PutEvents", "application/x-amz-json-1.1", signed, ok, 400, "UnknownOperationException"},
		{"JSON 1.0", "POST", "AWSEvents.PutEvents", "application/x-amz-json-1.0", signed, ok, 400, "SerializationException"},
		{"malformed body", "POST", "AWSEvents.PutEvents", "application/x-amz-json-1.1", signed, `{`, 400, "SerializationException"},
		{"time not a number", "POST", "AWSEvents.PutEvents", "application/x-amz-json-1.1", signed, strings.Replace(ok, "1767225600.5", `"now"`, 1), 400, "SerializationException"},
		{"no entries", "POST", "AWSEvents.PutEvents", "application/x-amz-json-1.1", signed, `{}`, 400, "ValidationException"},
		{"ok", "POST", "AWSEvents.PutEvents", "application/x-amz-json-1.1", signed, ok, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL()+"/", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Amz-Target", tt.target)
			req.Header.Set("Content-Type", tt.ctype)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("X-Amzn-ErrorType") != tt.wantType {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), tt.wantStatus, tt.wantType)
			}
		})
	}
	evs := srv.Events()
	if len(evs) != 1 || !evs[0].Time.Equal(time.UnixMilli(1767225600500)) {
		t.Errorf("events = %+v, want the one ok event at 1767225600.5", evs)
	}
}

func TestEnvAndLifecycle(t *testing.T) {
	srv, err := eventstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Join(srv.Env(), "\n")
	for _, want := range []string{
		"AWS_ENDPOINT_URL_EVENTBRIDGE=" + srv.URL(),
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true",
	} {
		if !strings.Contains(env, want) {
			t.Errorf("Env lacks %q", want)
		}
	}
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") || strings.HasSuffix(srv.URL(), ":0") {
		t.Errorf("URL = %q, want an ephemeral loopback port", srv.URL())
	}
	srv.Close()
	srv.Close() // idempotent
	if _, err := http.Post(srv.URL(), "application/json", nil); err == nil {
		t.Error("server still answers after Close")
	}
	var zero eventstest.Server
	zero.Close() // no-op, must not block or panic
}
