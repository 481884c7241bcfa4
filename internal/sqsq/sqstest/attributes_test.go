package sqstest_test

import (
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestGetQueueAttributes: the stand-in answers QueueArn and RedrivePolicy
// as SQS does, and a queue without a policy has none.
func TestGetQueueAttributes(t *testing.T) {
	srv, client := start(t)
	withPolicy, arn := srv.AddQueue("with-policy")
	without, _ := srv.AddQueue("without-policy")
	srv.SetRedrivePolicy(withPolicy, "arn:aws:sqs:us-east-1:123456789012:dlq", 5)
	tests := []struct {
		name  string
		url   string
		names []types.QueueAttributeName
		want  map[string]string
		code  string
	}{
		{"the policy", withPolicy, []types.QueueAttributeName{types.QueueAttributeNameRedrivePolicy},
			map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":5}`}, ""},
		{"all", withPolicy, []types.QueueAttributeName{types.QueueAttributeNameAll},
			map[string]string{"QueueArn": arn, "RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":5}`}, ""},
		{"no policy", without, []types.QueueAttributeName{types.QueueAttributeNameRedrivePolicy}, map[string]string{}, ""},
		{"an attribute it does not keep", without, []types.QueueAttributeName{types.QueueAttributeNameVisibilityTimeout}, nil, "InvalidAttributeName"},
		{"no such queue", withPolicy + "-gone", []types.QueueAttributeName{types.QueueAttributeNameRedrivePolicy}, nil, "AWS.SimpleQueueService.NonExistentQueue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.GetQueueAttributes(ctx(t), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(tt.url), AttributeNames: tt.names})
			if tt.code != "" {
				if got := apiCode(err); got != tt.code {
					t.Fatalf("err = %v (code %q), want %s", err, got, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Attributes; !maps.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("attributes %v, want %v", got, tt.want)
			}
		})
	}
}
