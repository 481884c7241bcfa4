package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
)

// The subcommands that call AWS are tested against moto_server, as the
// function's AWS tier is: started once for the package on a free port;
// without it on PATH these tests skip loudly, and fail under CI=true.
var moto struct {
	missing bool
	server  *awstier.Moto
	clients *awstier.Clients
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var err error
	moto.server, err = awstier.StartMoto(ctx)
	switch {
	case errors.Is(err, awstier.ErrNoMoto):
		moto.missing = true
		line := "=== SKIPPED: eraserctl's AWS tests: " + awstier.MotoMissing
		fmt.Fprintln(os.Stderr, line)
		fmt.Fprintln(os.Stdout, line)
		return m.Run()
	case err != nil:
		fmt.Fprintln(os.Stderr, "eraserctl tests:", err)
		return 1
	}
	defer moto.server.Close()
	moto.clients = awstier.NewClients(moto.server.URL)
	return m.Run()
}

// needMoto skips a test without moto_server, or fails it under CI=true,
// and points the command's AWS SDK (the operator's default chain) at moto.
func needMoto(t *testing.T) *awstier.Clients {
	t.Helper()
	if moto.missing {
		if os.Getenv("CI") == "true" {
			t.Fatal(awstier.MotoMissing + "; CI=true requires it")
		}
		t.Skip("=== SKIPPED: " + awstier.MotoMissing)
	}
	for _, kv := range moto.clients.FunctionEnv() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return moto.clients
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// eraserctl runs the command with args and stdin.
func eraserctl(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// newQueue creates a queue named after the test; attrs may be nil.
func newQueue(t *testing.T, c *awstier.Clients, name string, attrs map[string]string) (url, arn string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl), a.Attributes[string(types.QueueAttributeNameQueueArn)]
}

// drain receives every message of the queue (two empty receives in a row
// end it) and deletes them.
func drain(t *testing.T, c *awstier.Clients, url string) []types.Message {
	t.Helper()
	ctx := context.Background()
	var all []types.Message
	for empty := 0; empty < 2; {
		out, err := c.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
			WaitTimeSeconds: 1, VisibilityTimeout: 60, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		for _, m := range out.Messages {
			if _, err := c.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
		all = append(all, out.Messages...)
	}
	return all
}

// subscribe makes an SNS topic (raw delivery off: SQS gets SNS's
// envelope) and an EventBridge bus whose rule delivers detail-type
// UserDeleted, both into the queue.
func subscribe(t *testing.T, c *awstier.Clients, name, queueARN string) (topicARN, bus string) {
	t.Helper()
	ctx := context.Background()
	topic, err := c.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SNS.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(queueARN), Attributes: map[string]string{"RawMessageDelivery": "false"}}); err != nil {
		t.Fatal(err)
	}
	bus = name + "-bus"
	if _, err := c.Events.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatal(err)
	}
	pattern, _ := json.Marshal(map[string]any{"detail-type": []string{"UserDeleted"}})
	if _, err := c.Events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name + "-rule"), EventBusName: aws.String(bus),
		EventPattern: aws.String(string(pattern))}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name + "-rule"), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(queueARN)}}}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(topic.TopicArn), bus
}
