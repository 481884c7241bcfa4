package awstier

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
)

// Deployment is one scenario's copy of the template's AWS resources in
// moto: the two queues, the signing-key secret, and the optional upstreams
// (an SNS topic per RawMessageDelivery setting, an EventBridge bus and
// rule), all with names of their own so scenarios can run side by side.
type Deployment struct {
	Name                         string
	QueueURL, QueueARN           string
	DeadLetterURL, DeadLetterARN string
	SecretARN                    string
	// Topics maps RawMessageDelivery to the topic subscribed with it.
	Topics map[bool]string
	// Bus is the EventBridge bus whose rule targets the queue; DetailTypes
	// are the detail-type values it matches.
	Bus         string
	DetailTypes []string
	// MappingUUID is the event source mapping from the queue to the
	// function (disabled: the tier's poller stands in for Lambda's, and
	// moto would invoke an enabled one through Docker); the function's
	// wiring check reads it.
	MappingUUID string
}

// SecretValue is the secret's JSON form (see signingkey.Parse).
func SecretValue(key []byte, sdkAppID uint64) string {
	b, _ := json.Marshal(map[string]any{"key": string(key), "sdkAppId": sdkAppID})
	return string(b)
}

// SecretValueWithAuditKey is SecretValue with an "auditKey": the key of the
// audit lines' account hashes and of receipts' accountsDigest, which is
// otherwise derived from the signing key.
func SecretValueWithAuditKey(key []byte, sdkAppID uint64, auditKey string) string {
	b, _ := json.Marshal(map[string]any{"key": string(key), "sdkAppId": sdkAppID, "auditKey": auditKey})
	return string(b)
}

// Deploy creates the resources of a deployment named name with the scaled
// settings sc. detailTypes are the EventBridge rule's (Settings.DetailTypes).
func Deploy(ctx context.Context, c *Clients, name string, sc Scaled, detailTypes []string, secret string) (*Deployment, error) {
	d := &Deployment{Name: name, Topics: map[bool]string{}, DetailTypes: detailTypes}
	var err error
	dlqAttrs := map[string]string{
		"MessageRetentionPeriod": seconds(sc.DeadLetterRetention),
	}
	setMaxMessageSize(dlqAttrs, sc.DeadLetterMaxMessageSize)
	d.DeadLetterURL, d.DeadLetterARN, err = createQueue(ctx, c, name+"-dlq", dlqAttrs)
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{
		"VisibilityTimeout":      seconds(sc.VisibilityTimeout),
		"MessageRetentionPeriod": seconds(sc.MessageRetention),
	}
	setMaxMessageSize(attrs, sc.MaxMessageSize)
	if sc.MaxReceiveCount > 0 {
		policy, _ := json.Marshal(map[string]any{"deadLetterTargetArn": d.DeadLetterARN, "maxReceiveCount": sc.MaxReceiveCount})
		attrs["RedrivePolicy"] = string(policy)
	}
	if d.QueueURL, d.QueueARN, err = createQueue(ctx, c, name, attrs); err != nil {
		return nil, err
	}

	out, err := c.Secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(name + "/signing-key"),
		SecretString: aws.String(secret),
	})
	if err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	d.SecretARN = aws.ToString(out.ARN)

	for _, raw := range []bool{true, false} {
		topic, err := c.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(fmt.Sprintf("%s-raw-%t", name, raw))})
		if err != nil {
			return nil, fmt.Errorf("create topic: %w", err)
		}
		d.Topics[raw] = aws.ToString(topic.TopicArn)
		if _, err := c.SNS.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn:   topic.TopicArn,
			Protocol:   aws.String("sqs"),
			Endpoint:   aws.String(d.QueueARN),
			Attributes: map[string]string{"RawMessageDelivery": strconv.FormatBool(raw)},
		}); err != nil {
			return nil, fmt.Errorf("subscribe the queue: %w", err)
		}
	}

	if len(detailTypes) > 0 {
		d.Bus = name + "-bus"
		if _, err := c.Events.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(d.Bus)}); err != nil {
			return nil, fmt.Errorf("create event bus: %w", err)
		}
		pattern, _ := json.Marshal(map[string]any{"detail-type": detailTypes})
		rule := aws.String(name + "-rule")
		if _, err := c.Events.PutRule(ctx, &eventbridge.PutRuleInput{
			Name: rule, EventBusName: aws.String(d.Bus), EventPattern: aws.String(string(pattern)),
		}); err != nil {
			return nil, fmt.Errorf("put rule: %w", err)
		}
		if _, err := c.Events.PutTargets(ctx, &eventbridge.PutTargetsInput{
			Rule: rule, EventBusName: aws.String(d.Bus),
			Targets: []ebtypes.Target{{Id: aws.String("ErasureQueue"), Arn: aws.String(d.QueueARN)}},
		}); err != nil {
			return nil, fmt.Errorf("put targets: %w", err)
		}
	}
	if d.MappingUUID, err = createMapping(ctx, c, d.QueueARN); err != nil {
		return nil, err
	}
	return d, nil
}

// createMapping creates the function in moto (once per moto: an IAM role
// first, as Lambda requires) and a disabled mapping from queueARN to it
// with ReportBatchItemFailures, as the template declares it.
func createMapping(ctx context.Context, c *Clients, queueARN string) (string, error) {
	if err := createFunction(ctx, c); err != nil {
		return "", err
	}
	out, err := c.Lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn:        aws.String(queueARN),
		FunctionName:          aws.String(localrun.FunctionName),
		Enabled:               aws.Bool(false),
		FunctionResponseTypes: []lambdatypes.FunctionResponseType{lambdatypes.FunctionResponseTypeReportBatchItemFailures},
	})
	if err != nil {
		return "", fmt.Errorf("create event source mapping: %w", err)
	}
	return aws.ToString(out.UUID), nil
}

// SetReportBatchItemFailures turns the mapping's ReportBatchItemFailures on
// or off, as an operator editing it by hand would.
func SetReportBatchItemFailures(ctx context.Context, c *Clients, uuid string, on bool) error {
	types := []lambdatypes.FunctionResponseType{}
	if on {
		types = append(types, lambdatypes.FunctionResponseTypeReportBatchItemFailures)
	}
	_, err := c.Lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(uuid), FunctionResponseTypes: types})
	return err
}

var (
	functionOnce sync.Mutex
	functionMade = map[string]bool{} // by moto endpoint
)

func createFunction(ctx context.Context, c *Clients) error {
	functionOnce.Lock()
	defer functionOnce.Unlock()
	if functionMade[c.Endpoint] {
		return nil
	}
	role, err := createRole(ctx, c, "attr-eraser-awstier")
	if err != nil {
		return err
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	f, _ := zw.Create("bootstrap")
	_, _ = f.Write([]byte("#!/bin/sh\n")) // never run: the mapping is disabled
	if err := zw.Close(); err != nil {
		return err
	}
	_, err = c.Lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(localrun.FunctionName),
		Role:         aws.String(role),
		Runtime:      lambdatypes.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Code:         &lambdatypes.FunctionCode{ZipFile: zipped.Bytes()},
	})
	if err != nil {
		return fmt.Errorf("create function: %w", err)
	}
	functionMade[c.Endpoint] = true
	return nil
}

// createRole creates an IAM role in moto with the query API (the module
// has no IAM client; moto does not check the signature) and returns its
// ARN.
func createRole(ctx context.Context, c *Clients, name string) (string, error) {
	form := url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {name},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// moto routes by the service named in the credential scope.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/"+Region+"/iam/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("create role: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("create role: %s: %.300s", resp.Status, body)
	}
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, name), nil
}

func createQueue(ctx context.Context, c *Clients, name string, attrs map[string]string) (url, arn string, err error) {
	out, err := c.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	got, err := c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", fmt.Errorf("queue %s ARN: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

func seconds(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

// setMaxMessageSize sets a queue's MaximumMessageSize as the template
// does; bytes 0 (the template leaves it out) leaves moto's default.
func setMaxMessageSize(attrs map[string]string, bytes int) {
	if bytes > 0 {
		attrs["MaximumMessageSize"] = strconv.Itoa(bytes)
	}
}

// RotateSecret stores a new secret value, which Secrets Manager makes
// AWSCURRENT (the old one becomes AWSPREVIOUS), and returns its version.
func (d *Deployment) RotateSecret(ctx context.Context, c *Clients, secret string) (string, error) {
	out, err := c.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(d.SecretARN), SecretString: aws.String(secret),
	})
	if err != nil {
		return "", fmt.Errorf("put secret value: %w", err)
	}
	return aws.ToString(out.VersionId), nil
}

// SecretStages maps each version of the secret to its staging labels.
func (d *Deployment) SecretStages(ctx context.Context, c *Clients) (map[string][]string, error) {
	out, err := c.Secrets.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(d.SecretARN)})
	if err != nil {
		return nil, err
	}
	stages := map[string][]string{}
	for _, v := range out.Versions {
		stages[aws.ToString(v.VersionId)] = v.VersionStages
	}
	return stages, nil
}

// QueueDepth is a queue's visible, in-flight and delayed message counts.
func QueueDepth(ctx context.Context, c *Clients, url string) (visible, inFlight, delayed int, err error) {
	out, err := c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		return 0, 0, 0, err
	}
	n := func(a sqstypes.QueueAttributeName) int { v, _ := strconv.Atoi(out.Attributes[string(a)]); return v }
	return n(sqstypes.QueueAttributeNameApproximateNumberOfMessages),
		n(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible),
		n(sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed), nil
}

// Drained reports whether the queue at url holds no message, in flight and
// delayed included. moto counts visible and in-flight messages at two
// instants, so a message whose visibility timeout ends between them is
// counted in neither: an empty reading is believed only when a second one,
// a moment later, agrees.
func Drained(ctx context.Context, c *Clients, url string) (bool, error) {
	for range 2 {
		v, f, d, err := QueueDepth(ctx, c, url)
		if err != nil || v+f+d != 0 {
			return false, err
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return true, nil
}
