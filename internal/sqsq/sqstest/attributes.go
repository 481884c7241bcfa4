package sqstest

import (
	"encoding/json"
	"slices"
	"strconv"
)

// SetRedrivePolicy gives the queue at queueURL a RedrivePolicy naming
// deadLetterARN and maxReceiveCount, as GetQueueAttributes returns it. It
// panics when the queue does not exist: that is a bug in the test. (The
// stand-in does not move messages: the function's side is what it tests.)
func (s *Server) SetRedrivePolicy(queueURL, deadLetterARN string, maxReceiveCount int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queueByURL(queueURL)
	if !ok {
		panic("sqstest: SetRedrivePolicy on unknown queue " + queueURL)
	}
	// SQS returns the policy as a JSON string, the count as a number.
	policy, _ := json.Marshal(map[string]any{"deadLetterTargetArn": deadLetterARN, "maxReceiveCount": maxReceiveCount})
	q.redrivePolicy = string(policy)
}

type getQueueAttributesInput struct {
	QueueURL       string   `json:"QueueUrl"`
	AttributeNames []string `json:"AttributeNames"`
}

type getQueueAttributesOutput struct {
	Attributes map[string]string `json:"Attributes,omitempty"`
}

// getQueueAttributes answers QueueArn and RedrivePolicy, the attributes
// the function reads; a queue without a policy has no RedrivePolicy, as in
// SQS.
func (s *Server) getQueueAttributes(_ string, body []byte) (any, *callError) {
	var in getQueueAttributesInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queueByURL(in.QueueURL)
	if !ok {
		return nil, errNoQueue
	}
	all := slices.Contains(in.AttributeNames, "All")
	attrs := map[string]string{}
	if all || slices.Contains(in.AttributeNames, "QueueArn") {
		attrs["QueueArn"] = q.arn
	}
	if (all || slices.Contains(in.AttributeNames, "RedrivePolicy")) && q.redrivePolicy != "" {
		attrs["RedrivePolicy"] = q.redrivePolicy
	}
	for _, name := range in.AttributeNames {
		switch name {
		case "All", "QueueArn", "RedrivePolicy":
		default:
			return nil, &callError{"InvalidAttributeName", "sqstest answers only QueueArn and RedrivePolicy, not " + strconv.Quote(name)}
		}
	}
	return getQueueAttributesOutput{Attributes: attrs}, nil
}
