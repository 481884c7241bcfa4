package awstier

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// Defaults AWS applies when the template leaves a property out.
const (
	lambdaDefaultTimeout     = 3 * time.Second    // AWS::Serverless::Function Timeout
	sqsDefaultVisibility     = 30 * time.Second   // AWS::SQS::Queue VisibilityTimeout
	sqsDefaultRetention      = 4 * 24 * time.Hour // AWS::SQS::Queue MessageRetentionPeriod
	esmDefaultSQSBatchSize   = 10
	esmDefaultBatchingWindow = 0
)

// Settings are the numbers of template.yaml the tier reproduces, in real
// (unscaled) time, with every parameter at its default.
type Settings struct {
	// Logical IDs of the function, the queue its event source mapping
	// reads and that queue's redrive target.
	FunctionID, QueueID, DeadLetterQueueID string

	FunctionTimeout     time.Duration
	VisibilityTimeout   time.Duration
	MessageRetention    time.Duration
	DeadLetterRetention time.Duration
	// MaxReceiveCount is the redrive policy's; 0 when there is none.
	MaxReceiveCount int
	// MaxMessageSize and DeadLetterMaxMessageSize are the queues'
	// MaximumMessageSize in bytes; 0 when the template leaves it out, and
	// the queue has SQS's default.
	MaxMessageSize, DeadLetterMaxMessageSize int

	// The event source mapping.
	BatchSize      int
	BatchingWindow time.Duration
	MaxConcurrency int

	// RetryBase and RetryMax are the function's retry schedule: from its
	// environment, else the function's own defaults.
	RetryBase, RetryMax time.Duration

	// Env is the function's environment as the template sets it; variables
	// only a deployment can fill in (a secret ARN, a queue URL) are in
	// Unresolved instead.
	Env        map[string]string
	Unresolved []string

	// DetailTypes are the detail-type values the EventBridge rule that
	// targets the queue matches; nil without such a rule.
	DetailTypes []string
}

// Settings reads the template's settings. The event source mapping may be
// an AWS::Lambda::EventSourceMapping resource or an SQS event of the
// function; retry and redrive numbers may be literals or Fn::FindInMap.
func (t *Template) Settings() (Settings, error) {
	var s Settings
	esm, err := t.eventSource(&s)
	if err != nil {
		return s, err
	}
	var errs []error
	intProp := func(v any, def int, what string) int {
		if v == nil {
			return def
		}
		n, err := t.Int(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
		return n
	}
	seconds := func(v any, def time.Duration, what string) time.Duration {
		return time.Duration(intProp(v, int(def/time.Second), what)) * time.Second
	}

	s.BatchSize = intProp(get(esm, "BatchSize"), esmDefaultSQSBatchSize, "BatchSize")
	s.BatchingWindow = seconds(get(esm, "MaximumBatchingWindowInSeconds"), esmDefaultBatchingWindow, "MaximumBatchingWindowInSeconds")
	s.MaxConcurrency = intProp(get(esm, "ScalingConfig", "MaximumConcurrency"), 0, "MaximumConcurrency")
	if s.MaxConcurrency < 1 {
		// Without it Lambda scales to the account's concurrency; the tier
		// needs a number to size its pool of emulators.
		errs = append(errs, errors.New("the event source mapping sets no ScalingConfig.MaximumConcurrency"))
	}

	fn := t.Resource(s.FunctionID)
	timeout := get(fn, "Properties", "Timeout")
	if timeout == nil {
		timeout = get(t.root, "Globals", "Function", "Timeout")
	}
	s.FunctionTimeout = seconds(timeout, lambdaDefaultTimeout, "function Timeout")

	queue := get(t.Resource(s.QueueID), "Properties")
	s.VisibilityTimeout = seconds(get(queue, "VisibilityTimeout"), sqsDefaultVisibility, s.QueueID+" VisibilityTimeout")
	s.MessageRetention = seconds(get(queue, "MessageRetentionPeriod"), sqsDefaultRetention, s.QueueID+" MessageRetentionPeriod")
	s.MaxMessageSize = intProp(get(queue, "MaximumMessageSize"), 0, s.QueueID+" MaximumMessageSize")
	if redrive := get(queue, "RedrivePolicy"); redrive != nil {
		s.MaxReceiveCount = intProp(get(redrive, "maxReceiveCount"), 0, "maxReceiveCount")
		id, ok := getAttTarget(get(redrive, "deadLetterTargetArn"), "Arn")
		if !ok {
			errs = append(errs, errors.New("RedrivePolicy deadLetterTargetArn is not !GetAtt <queue>.Arn"))
		}
		s.DeadLetterQueueID = id
		s.DeadLetterRetention = seconds(get(t.Resource(id), "Properties", "MessageRetentionPeriod"), sqsDefaultRetention, id+" MessageRetentionPeriod")
		s.DeadLetterMaxMessageSize = intProp(get(t.Resource(id), "Properties", "MaximumMessageSize"), 0, id+" MaximumMessageSize")
	}

	if err := t.environment(&s); err != nil {
		errs = append(errs, err)
	}
	s.RetryBase, s.RetryMax = erasure.DefaultRetryBase, erasure.DefaultRetryMax
	for name, d := range map[string]*time.Duration{config.EnvRetryBase: &s.RetryBase, config.EnvRetryMax: &s.RetryMax} {
		if v, ok := s.Env[name]; ok {
			*d = seconds(v, 0, name)
		}
	}
	s.DetailTypes = t.detailTypes(s.QueueID)
	return s, errors.Join(errs...)
}

// eventSource finds the one SQS event source mapping of the template and
// returns its properties, filling in the function and queue IDs.
func (t *Template) eventSource(s *Settings) (map[string]any, error) {
	type found struct {
		fn, queue string
		props     map[string]any
	}
	var all []found
	for _, id := range t.ResourcesOfType("AWS::Lambda::EventSourceMapping") {
		props, _ := get(t.Resource(id), "Properties").(map[string]any)
		queue, ok := getAttTarget(props["EventSourceArn"], "Arn")
		if !ok || get(t.Resource(queue), "Type") != "AWS::SQS::Queue" {
			continue
		}
		fn, ok := refTarget(props["FunctionName"])
		if !ok {
			fn, _ = getAttTarget(props["FunctionName"], "Arn")
		}
		all = append(all, found{fn, queue, props})
	}
	for _, fn := range t.ResourcesOfType("AWS::Serverless::Function") {
		evs, _ := get(t.Resource(fn), "Properties", "Events").(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(evs)) {
			if get(evs[name], "Type") != "SQS" {
				continue
			}
			props, _ := get(evs[name], "Properties").(map[string]any)
			queue, _ := getAttTarget(props["Queue"], "Arn")
			all = append(all, found{fn, queue, props})
		}
	}
	if len(all) != 1 {
		return nil, fmt.Errorf("want one SQS event source mapping (a resource or a function's SQS event), found %d", len(all))
	}
	if all[0].fn == "" || t.Resource(all[0].fn) == nil || all[0].queue == "" {
		return nil, fmt.Errorf("the SQS event source mapping names function %q and queue %q", all[0].fn, all[0].queue)
	}
	s.FunctionID, s.QueueID = all[0].fn, all[0].queue
	return all[0].props, nil
}

// environment resolves the function's variables (Globals first, the
// function's own over them).
func (t *Template) environment(s *Settings) error {
	vars := map[string]any{}
	maps.Copy(vars, mapOf(get(t.root, "Globals", "Function", "Environment", "Variables")))
	maps.Copy(vars, mapOf(get(t.Resource(s.FunctionID), "Properties", "Environment", "Variables")))
	s.Env = map[string]string{}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		v, err := t.String(vars[name])
		switch {
		case errors.Is(err, ErrUnresolved):
			s.Unresolved = append(s.Unresolved, name)
		case err != nil:
			errs = append(errs, fmt.Errorf("environment %s: %w", name, err))
		default:
			s.Env[name] = v
		}
	}
	return errors.Join(errs...)
}

// detailTypes returns the detail-type list of the EventBridge rule whose
// target is queue.
func (t *Template) detailTypes(queue string) []string {
	for _, id := range t.ResourcesOfType("AWS::Events::Rule") {
		props := get(t.Resource(id), "Properties")
		targets, _ := get(props, "Targets").([]any)
		for _, target := range targets {
			if q, ok := getAttTarget(get(target, "Arn"), "Arn"); !ok || q != queue {
				continue
			}
			v, err := t.Resolve(get(props, "EventPattern", "detail-type"))
			if err != nil {
				return nil
			}
			var types []string
			switch x := v.(type) {
			case []string:
				types = x
			case []any:
				for _, e := range x {
					types = append(types, fmt.Sprint(e))
				}
			}
			return types
		}
	}
	return nil
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
