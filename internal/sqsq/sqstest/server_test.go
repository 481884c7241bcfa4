package sqstest_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/attr-eraser/attr-eraser/internal/sqsq/sqstest"
)

// start returns a running stand-in and a real SDK client pointed at it
// through the environment, as production code would be.
func start(t *testing.T) (*sqstest.Server, *sqs.Client) {
	t.Helper()
	srv, err := sqstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.SetEnv(t.Setenv)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	return srv, sqs.NewFromConfig(cfg)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func entries(n int) []types.SendMessageBatchRequestEntry {
	out := make([]types.SendMessageBatchRequestEntry, n)
	for i := range out {
		out[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String("body " + strconv.Itoa(i))}
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

func TestGetQueueURL(t *testing.T) {
	srv, c := start(t)
	url, arn := srv.AddQueue("erasures")
	if arn != "arn:aws:sqs:us-east-1:123456789012:erasures" || url != srv.URL()+"/123456789012/erasures" {
		t.Fatalf("AddQueue = %q, %q", url, arn)
	}
	tests := []struct {
		name, queue, owner string
		want, wantCode     string
	}{
		{"by name", "erasures", "", url, ""},
		{"with owner", "erasures", sqstest.AccountID, url, ""},
		{"other owner", "erasures", "210987654321", "", "AWS.SimpleQueueService.NonExistentQueue"},
		{"unknown", "nope", "", "", "AWS.SimpleQueueService.NonExistentQueue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &sqs.GetQueueUrlInput{QueueName: aws.String(tt.queue)}
			if tt.owner != "" {
				in.QueueOwnerAWSAccountId = aws.String(tt.owner)
			}
			out, err := c.GetQueueUrl(ctx(t), in)
			if tt.wantCode != "" {
				var typed *types.QueueDoesNotExist
				if apiCode(err) != tt.wantCode || !errors.As(err, &typed) {
					t.Fatalf("err = %T %v, want *types.QueueDoesNotExist %s", err, err, tt.wantCode)
				}
				return
			}
			if err != nil || aws.ToString(out.QueueUrl) != tt.want {
				t.Fatalf("GetQueueUrl = %v, %v; want %s", out, err, tt.want)
			}
		})
	}
	if got := srv.Calls("GetQueueUrl"); got != len(tests) {
		t.Errorf("Calls = %d, want %d", got, len(tests))
	}
}

func TestSendMessageBatchStoresWhatWasSent(t *testing.T) {
	srv, c := start(t)
	url, _ := srv.AddQueue("q")
	in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{
		Id:          aws.String("a"),
		MessageBody: aws.String(`{"accounts":["alice"]}`),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"s": {DataType: aws.String("String"), StringValue: aws.String("v")},
			"n": {DataType: aws.String("Number.int"), StringValue: aws.String("42")},
			"b": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		},
	}}}
	out, err := c.SendMessageBatch(ctx(t), in) // the SDK checks MD5OfMessageBody
	if err != nil || len(out.Successful) != 1 || len(out.Failed) != 0 {
		t.Fatalf("SendMessageBatch = %+v, %v", out, err)
	}
	msgs := srv.Messages(url)
	if len(msgs) != 1 || msgs[0].Body != `{"accounts":["alice"]}` || msgs[0].ID != aws.ToString(out.Successful[0].MessageId) {
		t.Fatalf("Messages = %+v", msgs)
	}
	a := msgs[0].Attributes
	if a["s"].DataType != "String" || a["s"].StringValue != "v" || a["n"].DataType != "Number.int" || a["n"].StringValue != "42" || string(a["b"].BinaryValue) != "\x00\x01\x02" {
		t.Errorf("Attributes = %+v", a)
	}
	recs := srv.Receive(url, 0)
	if len(recs) != 1 || recs[0].Md5OfMessageAttributes != aws.ToString(out.Successful[0].MD5OfMessageAttributes) {
		t.Errorf("attribute MD5 of the record %q, of the send %q", recs[0].Md5OfMessageAttributes, aws.ToString(out.Successful[0].MD5OfMessageAttributes))
	}
}

// TestMD5OfMessageAttributes checks the checksum against digests that
// other SQS emulators' test suites (moto, LocalStack) pin as what AWS
// returns.
func TestMD5OfMessageAttributes(t *testing.T) {
	srv, c := start(t)
	url, _ := srv.AddQueue("q")
	tests := []struct{ value, want string }{
		{"1493147359900", "235c5c510d26fb653d073faed50ae77c"},
		{"1493147359901", "994258b45346a2cc3f9cbb611aa7af30"},
	}
	for _, tt := range tests {
		out, err := c.SendMessage(ctx(t), &sqs.SendMessageInput{
			QueueUrl:    aws.String(url),
			MessageBody: aws.String("derp"),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"timestamp": {DataType: aws.String("Number"), StringValue: aws.String(tt.value)},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.MD5OfMessageAttributes); got != tt.want {
			t.Errorf("MD5OfMessageAttributes(%s) = %s, want %s", tt.value, got, tt.want)
		}
		if got := aws.ToString(out.MD5OfMessageBody); got != "58fd9edd83341c29f1aebba81c31e257" {
			t.Errorf("MD5OfMessageBody = %s", got)
		}
	}
}

func TestBatchValidation(t *testing.T) {
	srv, c := start(t)
	url, _ := srv.AddQueue("q")
	fifoURL, _ := srv.AddQueue("q.fifo")
	tooMany := map[string]types.MessageAttributeValue{}
	for i := range 11 {
		tooMany["a"+strconv.Itoa(i)] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String("v")}
	}
	long := strings.Repeat("x", 350<<10)
	tests := []struct {
		name      string
		queue     string
		entries   []types.SendMessageBatchRequestEntry
		wantCode  string // of the call
		wantEntry string // of the first entry
	}{
		{name: "ok", queue: url, entries: entries(10)},
		{name: "empty", queue: url, entries: entries(0), wantCode: "AWS.SimpleQueueService.EmptyBatchRequest"},
		{name: "11 entries", queue: url, entries: entries(11), wantCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
		{name: "duplicate ids", queue: url, entries: func() []types.SendMessageBatchRequestEntry {
			e := entries(2)
			e[1].Id = e[0].Id
			return e
		}(), wantCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
		{name: "bad id", queue: url, entries: func() []types.SendMessageBatchRequestEntry {
			e := entries(1)
			e[0].Id = aws.String("a b")
			return e
		}(), wantCode: "AWS.SimpleQueueService.InvalidBatchEntryId"},
		{name: "over 1 MiB", queue: url, entries: func() []types.SendMessageBatchRequestEntry {
			e := entries(3)
			for i := range e {
				e[i].MessageBody = aws.String(long)
			}
			return e
		}(), wantCode: "AWS.SimpleQueueService.BatchRequestTooLong"},
		{name: "unknown queue", queue: srv.URL() + "/123456789012/nope", entries: entries(1), wantCode: "AWS.SimpleQueueService.NonExistentQueue"},
		{name: "11 attributes", queue: url, entries: func() []types.SendMessageBatchRequestEntry {
			e := entries(1)
			e[0].MessageAttributes = tooMany
			return e
		}(), wantEntry: "InvalidParameterValue"},
		{name: "reserved attribute name", queue: url, entries: func() []types.SendMessageBatchRequestEntry {
			e := entries(1)
			e[0].MessageAttributes = map[string]types.MessageAttributeValue{"AWS.x": {DataType: aws.String("String"), StringValue: aws.String("v")}}
			return e
		}(), wantEntry: "InvalidParameterValue"},
		{name: "number that is not", queue: url, entries: func() []types.SendMessageBatchRequestEntry {
			e := entries(1)
			e[0].MessageAttributes = map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("one")}}
			return e
		}(), wantEntry: "InvalidParameterValue"},
		{name: "empty body", queue: url, entries: func() []types.SendMessageBatchRequestEntry {
			e := entries(1)
			e[0].MessageBody = aws.String("")
			return e
		}(), wantEntry: "MissingParameter"},
		{name: "fifo without group", queue: fifoURL, entries: func() []types.SendMessageBatchRequestEntry {
			e := entries(1)
			e[0].MessageDeduplicationId = aws.String("d")
			return e
		}(), wantEntry: "MissingParameter"},
		{name: "fifo", queue: fifoURL, entries: func() []types.SendMessageBatchRequestEntry {
			e := entries(1)
			e[0].MessageGroupId, e[0].MessageDeduplicationId = aws.String("g"), aws.String("d")
			return e
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.SendMessageBatch(ctx(t), &sqs.SendMessageBatchInput{QueueUrl: aws.String(tt.queue), Entries: tt.entries})
			if tt.wantCode != "" {
				if apiCode(err) != tt.wantCode {
					t.Fatalf("err = %v, want %s", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantEntry == "" {
				if len(out.Failed) != 0 || len(out.Successful) != len(tt.entries) {
					t.Fatalf("Failed = %+v", out.Failed)
				}
				return
			}
			if len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != tt.wantEntry || !out.Failed[0].SenderFault {
				t.Fatalf("Failed = %+v, want one %s sender fault", out.Failed, tt.wantEntry)
			}
		})
	}
}

func TestVisibility(t *testing.T) {
	srv, c := start(t)
	url, _ := srv.AddQueue("q")
	otherURL, _ := srv.AddQueue("other")
	srv.Put(url, "one", nil)
	srv.Put(url, "two", nil)
	recs := srv.Receive(url, 0)
	if len(recs) != 2 || len(srv.Receive(url, 0)) != 0 {
		t.Fatalf("Receive = %d records, and again some", len(recs))
	}
	change := func(queue string, e ...types.ChangeMessageVisibilityBatchRequestEntry) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
		for i := range e {
			e[i].Id = aws.String(strconv.Itoa(i))
		}
		return c.ChangeMessageVisibilityBatch(ctx(t), &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(queue), Entries: e})
	}
	tests := []struct {
		name      string
		queue     string
		handle    string
		timeout   int32
		wantEntry string
	}{
		{"set", url, recs[0].ReceiptHandle, 30, ""},
		{"max", url, recs[0].ReceiptHandle, 43200, ""},
		{"over max", url, recs[0].ReceiptHandle, 43201, "InvalidParameterValue"},
		{"negative", url, recs[0].ReceiptHandle, -1, "InvalidParameterValue"},
		{"unknown handle", url, "AQEBnot-a-handle", 10, "ReceiptHandleIsInvalid"},
		{"other queue's handle", otherURL, recs[0].ReceiptHandle, 10, "ReceiptHandleIsInvalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := change(tt.queue, types.ChangeMessageVisibilityBatchRequestEntry{ReceiptHandle: aws.String(tt.handle), VisibilityTimeout: tt.timeout})
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantEntry == "" {
				if len(out.Successful) != 1 {
					t.Fatalf("Failed = %+v", out.Failed)
				}
				if got, ok := srv.Visibility(tt.handle); !ok || got != int(tt.timeout) {
					t.Errorf("Visibility = %d, %v; want %d", got, ok, tt.timeout)
				}
				return
			}
			if len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != tt.wantEntry {
				t.Fatalf("Failed = %+v, want %s", out.Failed, tt.wantEntry)
			}
		})
	}

	eleven := make([]types.ChangeMessageVisibilityBatchRequestEntry, 11)
	for i := range eleven {
		eleven[i].ReceiptHandle = aws.String(recs[0].ReceiptHandle)
	}
	if _, err := change(url, eleven...); apiCode(err) != "AWS.SimpleQueueService.TooManyEntriesInBatchRequest" {
		t.Errorf("11 entries: %v", err)
	}

	// Visibility 0 returns the message; the old receipt handle is spent.
	if _, err := change(url, types.ChangeMessageVisibilityBatchRequestEntry{ReceiptHandle: aws.String(recs[1].ReceiptHandle)}); err != nil {
		t.Fatal(err)
	}
	again := srv.Receive(url, 0)
	if len(again) != 1 || again[0].Body != "two" || again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after visibility 0: %+v", again)
	}
	out, err := change(url, types.ChangeMessageVisibilityBatchRequestEntry{ReceiptHandle: aws.String(recs[1].ReceiptHandle), VisibilityTimeout: 5})
	if err != nil || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != "AWS.SimpleQueueService.MessageNotInflight" {
		t.Errorf("stale handle: %+v, %v", out, err)
	}
}

func TestFaults(t *testing.T) {
	srv, c := start(t)
	url, _ := srv.AddQueue("q")
	send := func() (*sqs.SendMessageBatchOutput, error) {
		return c.SendMessageBatch(ctx(t), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries(3)})
	}

	srv.SetFailure("SendMessageBatch", "AccessDenied")
	_, err := send()
	var generic *smithy.GenericAPIError
	if apiCode(err) != "AccessDenied" || !errors.As(err, &generic) || generic.ErrorFault() != smithy.FaultClient {
		t.Errorf("SetFailure AccessDenied: %T %v", err, err)
	}
	srv.SetFailure("SendMessageBatch", "QueueDoesNotExist")
	var typed *types.QueueDoesNotExist
	if _, err := send(); apiCode(err) != "AWS.SimpleQueueService.NonExistentQueue" || !errors.As(err, &typed) {
		t.Errorf("SetFailure QueueDoesNotExist: %T %v", err, err)
	}
	srv.SetFailure("SendMessageBatch", "")

	srv.FailEntries("InternalError", func(e sqstest.Entry) bool { return e.Body == "body 1" })
	out, err := send()
	if err != nil || len(out.Successful) != 2 || len(out.Failed) != 1 {
		t.Fatalf("FailEntries: %+v, %v", out, err)
	}
	if f := out.Failed[0]; aws.ToString(f.Id) != "1" || aws.ToString(f.Code) != "InternalError" || f.SenderFault {
		t.Errorf("Failed = %+v, want entry 1 InternalError, not a sender fault", f)
	}
	srv.FailEntries("", nil)
	if out, err := send(); err != nil || len(out.Failed) != 0 {
		t.Errorf("after clearing: %+v, %v", out, err)
	}
	if got := srv.Calls("SendMessageBatch"); got != 4 {
		t.Errorf("Calls = %d, want 4", got)
	}
	if got := len(srv.Messages(url)); got != 5 {
		t.Errorf("stored %d messages, want 5", got)
	}
}

// TestRawProtocol covers what the SDK never sends.
func TestRawProtocol(t *testing.T) {
	srv, err := sqstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.AddQueue("q")
	const signed = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00"
	tests := []struct {
		name, method, target, ctype, auth, body string
		wantStatus                              int
		wantError                               string
	}{
		{"unsigned", "POST", "AmazonSQS.GetQueueUrl", "application/x-amz-json-1.0", "", `{"QueueName":"q"}`, 403, "MissingAuthenticationToken;Sender"},
		{"signed for another service", "POST", "AmazonSQS.GetQueueUrl", "application/x-amz-json-1.0", strings.Replace(signed, "/sqs/", "/sns/", 1), `{"QueueName":"q"}`, 403, "MissingAuthenticationToken;Sender"},
		{"unknown operation", "POST", "AmazonSQS.DeleteQueue", "application/x-amz-json-1.0", signed, `{}`, 400, "AWS.SimpleQueueService.UnsupportedOperation;Sender"},
		{"query protocol", "POST", "", "application/x-www-form-urlencoded", signed, `Action=GetQueueUrl&QueueName=q`, 400, "AWS.SimpleQueueService.UnsupportedOperation;Sender"},
		{"wrong content type", "POST", "AmazonSQS.GetQueueUrl", "application/x-amz-json-1.1", signed, `{"QueueName":"q"}`, 400, "InvalidParameterValue;Sender"},
		{"malformed body", "POST", "AmazonSQS.GetQueueUrl", "application/x-amz-json-1.0", signed, `{`, 400, "InvalidParameterValue;Sender"},
		{"missing name", "POST", "AmazonSQS.GetQueueUrl", "application/x-amz-json-1.0", signed, `{}`, 400, "MissingParameter;Sender"},
		{"ok", "POST", "AmazonSQS.GetQueueUrl", "application/x-amz-json-1.0", signed, `{"QueueName":"q"}`, 200, ""},
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
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("X-Amzn-Query-Error") != tt.wantError {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-Query-Error"), tt.wantStatus, tt.wantError)
			}
		})
	}
}

func TestEnvAndLifecycle(t *testing.T) {
	srv, err := sqstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Join(srv.Env(), "\n")
	for _, want := range []string{
		"AWS_ENDPOINT_URL_SQS=" + srv.URL(),
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
	var zero sqstest.Server
	zero.Close() // no-op, must not block or panic
}

// TestPayloadLimits checks SQS's accounting: a message may carry 1 MiB of
// body and attribute names, data types and values (binary ones as raw
// bytes, text as UTF-8 bytes), and a SendMessageBatch 1 MiB in all.
func TestPayloadLimits(t *testing.T) {
	const limit = 1 << 20
	str := func(name, dataType, value string) map[string]types.MessageAttributeValue {
		return map[string]types.MessageAttributeValue{name: {DataType: aws.String(dataType), StringValue: aws.String(value)}}
	}
	binary := map[string]types.MessageAttributeValue{"b": {DataType: aws.String("Binary"), BinaryValue: make([]byte, 3000)}}
	type message struct {
		body  string
		attrs map[string]types.MessageAttributeValue
	}
	tests := []struct {
		name     string
		messages []message // one call, sent in one batch; each alone too when single
		fits     bool
		single   bool // also send each message with SendMessage
	}{
		{name: "a 1 MiB body", messages: []message{{body: strings.Repeat("x", limit)}}, fits: true, single: true},
		{name: "a byte more", messages: []message{{body: strings.Repeat("x", limit+1)}}, single: true},
		{name: "UTF-8 bytes, not characters", messages: []message{{body: strings.Repeat("é", limit/2)}}, fits: true, single: true},
		{name: "UTF-8: a byte more", messages: []message{{body: strings.Repeat("é", limit/2) + "x"}}, single: true},
		{name: "name, type and value count", messages: []message{{body: strings.Repeat("x", limit-len("trace")-len("String.id")-len("abc")), attrs: str("trace", "String.id", "abc")}}, fits: true, single: true},
		{name: "name, type and value: a byte more", messages: []message{{body: strings.Repeat("x", limit-len("trace")-len("String.id")-len("abc")+1), attrs: str("trace", "String.id", "abc")}}, single: true},
		{name: "binary values count raw, not base64", messages: []message{{body: strings.Repeat("x", limit-1-len("Binary")-3000), attrs: binary}}, fits: true, single: true},
		{name: "binary: a byte more", messages: []message{{body: strings.Repeat("x", limit-1-len("Binary")-3000+1), attrs: binary}}, single: true},
		{name: "a batch of 4 x 256 KiB", messages: slices.Repeat([]message{{body: strings.Repeat("x", limit/4)}}, 4), fits: true},
		{name: "a batch a byte more", messages: append(slices.Repeat([]message{{body: strings.Repeat("x", limit/4)}}, 3), message{body: strings.Repeat("x", limit/4+1)})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := start(t)
			url, _ := srv.AddQueue("q")
			batch := make([]types.SendMessageBatchRequestEntry, len(tt.messages))
			for i, m := range tt.messages {
				batch[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(m.body), MessageAttributes: m.attrs}
			}
			out, err := c.SendMessageBatch(ctx(t), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: batch})
			switch {
			case tt.fits && (err != nil || len(out.Successful) != len(batch)):
				t.Errorf("SendMessageBatch = %+v, %v; want every entry taken", out, err)
			case !tt.fits && apiCode(err) != "AWS.SimpleQueueService.BatchRequestTooLong":
				t.Errorf("SendMessageBatch err = %v, want BatchRequestTooLong", err)
			}
			if !tt.single {
				return
			}
			for _, m := range tt.messages {
				_, err := c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(m.body), MessageAttributes: m.attrs})
				switch {
				case tt.fits && err != nil:
					t.Errorf("SendMessage: %v", err)
				case !tt.fits && apiCode(err) != "InvalidParameterValue":
					t.Errorf("SendMessage err = %v, want InvalidParameterValue", err)
				}
			}
			if want := len(tt.messages) * 2; tt.fits && len(srv.Messages(url)) != want {
				t.Errorf("queue holds %d messages, want %d", len(srv.Messages(url)), want)
			}
		})
	}
}
