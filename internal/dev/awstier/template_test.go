package awstier

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// Two shapes of the same deployment: the event source mapping as a SAM
// event of the function with literal numbers, and as an explicit resource
// with the retry schedule and redrive count in a mapping (one key of it
// chosen by a parameter).
const (
	samEventTemplate = `
Parameters:
  BatchSize: {Type: Number, Default: 100}
  MaxConcurrency: {Type: Number, Default: 2}
  Secret: {Type: String}
  DetailTypes: {Type: CommaDelimitedList, Default: "UserDeleted,GdprErasureRequested"}
Globals:
  Function:
    Timeout: 45
    Environment:
      Variables:
        LOG_LEVEL: debug
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          SECRET_ID: !Ref Secret
          LOG_LEVEL: info
      Events:
        FromQueue:
          Type: SQS
          Properties:
            Queue: !GetAtt Q.Arn
            BatchSize: !Ref BatchSize
            MaximumBatchingWindowInSeconds: 5
            ScalingConfig:
              MaximumConcurrency: !Ref MaxConcurrency
  Q:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 365
      MaximumMessageSize: 1048576
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt DLQ.Arn
        maxReceiveCount: 5
  DLQ:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
      MaximumMessageSize: 2048
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern:
        detail-type: !Ref DetailTypes
      Targets:
        - Id: Q
          Arn: !GetAtt Q.Arn
`
	esmResourceTemplate = `
Parameters:
  Profile: {Type: String, Default: Slow}
Mappings:
  RetrySchedule:
    Slow: {BaseSeconds: "60", MaxSeconds: "7200", MaxReceiveCount: "40"}
    Fast: {BaseSeconds: "1", MaxSeconds: "2", MaxReceiveCount: "3"}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 60
      Environment:
        Variables:
          RETRY_BASE_SECONDS: !FindInMap [RetrySchedule, !Ref Profile, BaseSeconds]
          RETRY_MAX_SECONDS: !FindInMap [RetrySchedule, !Ref Profile, MaxSeconds]
          DEAD_LETTER_QUEUE_URL: !Ref DLQ
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Q.Arn
      FunctionName: !Ref Fn
      BatchSize: 10
      ScalingConfig: {MaximumConcurrency: 5}
  Q:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 86400
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt DLQ.Arn
        maxReceiveCount: !FindInMap [RetrySchedule, !Ref Profile, MaxReceiveCount]
  DLQ:
    Type: AWS::SQS::Queue
`
)

func TestSettings(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want Settings
	}{
		{"SAM event, literals", samEventTemplate, Settings{
			FunctionID: "Fn", QueueID: "Q", DeadLetterQueueID: "DLQ",
			FunctionTimeout: 45 * time.Second, VisibilityTimeout: 365 * time.Second,
			MessageRetention: sqsDefaultRetention, DeadLetterRetention: 1209600 * time.Second,
			MaxMessageSize: 1048576, DeadLetterMaxMessageSize: 2048,
			MaxReceiveCount: 5, BatchSize: 100, BatchingWindow: 5 * time.Second, MaxConcurrency: 2,
			RetryBase: erasure.DefaultRetryBase, RetryMax: erasure.DefaultRetryMax,
			Env:         map[string]string{"LOG_LEVEL": "info"},
			Unresolved:  []string{"SECRET_ID"},
			DetailTypes: []string{"UserDeleted", "GdprErasureRequested"},
		}},
		{"mapping resource, FindInMap", esmResourceTemplate, Settings{
			FunctionID: "Fn", QueueID: "Q", DeadLetterQueueID: "DLQ",
			FunctionTimeout: 60 * time.Second, VisibilityTimeout: sqsDefaultVisibility,
			MessageRetention: 86400 * time.Second, DeadLetterRetention: sqsDefaultRetention,
			MaxReceiveCount: 40, BatchSize: 10, BatchingWindow: 0, MaxConcurrency: 5,
			RetryBase: 60 * time.Second, RetryMax: 7200 * time.Second,
			Env:        map[string]string{"RETRY_BASE_SECONDS": "60", "RETRY_MAX_SECONDS": "7200"},
			Unresolved: []string{"DEAD_LETTER_QUEUE_URL"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := ParseTemplate([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			got, err := tmpl.Settings()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSettingsErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"two mappings", esmResourceTemplate + `
  Second:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Q.Arn
      FunctionName: !Ref Fn
`, "found 2"},
		{"no mapping", strings.Replace(esmResourceTemplate, "AWS::Lambda::EventSourceMapping", "AWS::Lambda::Permission", 1), "found 0"},
		{"no concurrency", strings.Replace(esmResourceTemplate, "ScalingConfig: {MaximumConcurrency: 5}", "", 1), "MaximumConcurrency"},
		{"missing mapping key", strings.Replace(esmResourceTemplate, "Default: Slow", "Default: Medium", 1), "no such entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := ParseTemplate([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tmpl.Settings(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// TestScaleKeepsInvariants scales the real template at the factors the
// tier could pick and checks what the template promises still holds: the
// visibility timeout covers 6 timeouts and the window, the timeout is not
// under the function's floor, SQS limits are respected, and the schedule
// is the function's formula on whole seconds.
func TestScaleKeepsInvariants(t *testing.T) {
	tmpl, err := LoadTemplate("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := tmpl.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if s.VisibilityTimeout < 6*s.FunctionTimeout+s.BatchingWindow {
		t.Fatalf("the template itself breaks VisibilityTimeout >= 6 x Timeout + window: %+v", s)
	}
	for _, f := range []float64{1, 0.1, 1.0 / 60, 1.0 / 600, 1.0 / 3600} {
		sc := s.Scale(f)
		if sc.VisibilityTimeout < 6*sc.FunctionTimeout+sc.BatchingWindow {
			t.Errorf("factor %v: visibility %v < 6 x %v + %v", f, sc.VisibilityTimeout, sc.FunctionTimeout, sc.BatchingWindow)
		}
		if sc.FunctionTimeout < MinFunctionTimeout || sc.FunctionTimeout%time.Second != 0 {
			t.Errorf("factor %v: function timeout %v", f, sc.FunctionTimeout)
		}
		for _, d := range []time.Duration{sc.VisibilityTimeout, sc.RetryBase, sc.RetryMax} {
			if d < time.Second || d%time.Second != 0 {
				t.Errorf("factor %v: %v is not whole seconds >= 1 s", f, d)
			}
		}
		if sc.MessageRetention < sqsMinRetention || sc.RetryMax < sc.RetryBase {
			t.Errorf("factor %v: %+v", f, sc)
		}
		if f == 1 && (sc.FunctionTimeout != s.FunctionTimeout || sc.RetryMax != s.RetryMax || sc.VisibilityTimeout != s.VisibilityTimeout) {
			t.Errorf("factor 1 changed the template's numbers: %+v", sc)
		}
	}
	budget := time.Minute
	f, err := ScheduleScale(s, 12, budget)
	if err != nil {
		t.Fatal(err)
	}
	if span := ScheduleSpan(s.Scale(f).Backoff(), 12); span > budget {
		t.Errorf("factor %v: 12 receives span %v > %v", f, span, budget)
	}
}
