package sqstest

import "fmt"

type sendEntry struct {
	ID                     string `json:"Id"`
	MessageBody            *string
	DelaySeconds           *int
	MessageAttributes      map[string]wireAttribute
	MessageGroupID         string `json:"MessageGroupId"`
	MessageDeduplicationID string `json:"MessageDeduplicationId"`
}

type sendMessageInput struct {
	QueueURL string `json:"QueueUrl"`
	sendEntry
}

type sendMessageBatchInput struct {
	QueueURL string `json:"QueueUrl"`
	Entries  []sendEntry
}

type sendResult struct {
	ID                     string `json:"Id,omitempty"`
	MessageID              string `json:"MessageId"`
	MD5OfMessageBody       string
	MD5OfMessageAttributes string `json:",omitempty"`
}

type batchResultError struct {
	ID          string `json:"Id"`
	SenderFault bool
	Code        string
	Message     string
}

type sendMessageBatchOutput struct {
	Successful []sendResult
	Failed     []batchResultError
}

func (s *Server) sendMessage(_ string, body []byte) (any, *callError) {
	var in sendMessageInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queueByURL(in.QueueURL)
	if !ok {
		return nil, errNoQueue
	}
	if size := payloadSize(deref(in.MessageBody), in.MessageAttributes); size > maxPayload {
		return nil, invalid(fmt.Sprintf("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", maxPayload))
	}
	m, err := checkMessage(q, in.sendEntry)
	if err != nil {
		return nil, err
	}
	return s.accept(q, m), nil
}

func (s *Server) sendMessageBatch(_ string, body []byte) (any, *callError) {
	var in sendMessageBatchInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queueByURL(in.QueueURL)
	if !ok {
		return nil, errNoQueue
	}
	ids := make([]string, len(in.Entries))
	total := 0
	for i, e := range in.Entries {
		ids[i] = e.ID
		total += payloadSize(deref(e.MessageBody), e.MessageAttributes)
	}
	if err := checkIDs(ids); err != nil {
		return nil, err
	}
	if total > maxPayload {
		return nil, &callError{"BatchRequestTooLong", fmt.Sprintf("Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxPayload, total)}
	}
	out := sendMessageBatchOutput{Successful: []sendResult{}, Failed: []batchResultError{}}
	for _, e := range in.Entries {
		m, err := checkMessage(q, e)
		if err == nil {
			if code := s.injectedEntryFault(Entry{Op: "SendMessageBatch", QueueURL: in.QueueURL, Body: m.Body}); code != "" {
				err = &callError{errorFor(code).query, "sqstest: injected " + code}
			}
		}
		if err != nil {
			out.Failed = append(out.Failed, batchResultError{ID: e.ID, SenderFault: senderFault(err.code), Code: errorFor(err.code).query, Message: err.message})
			continue
		}
		r := s.accept(q, m)
		r.ID = e.ID
		out.Successful = append(out.Successful, r)
	}
	return out, nil
}

// checkMessage applies SQS's rules on one message to q.
func checkMessage(q *queue, e sendEntry) (Message, *callError) {
	body := deref(e.MessageBody)
	switch {
	case body == "":
		return Message{}, &callError{"MissingParameter", "The request must contain the parameter MessageBody."}
	case !validText(body):
		return Message{}, &callError{"InvalidMessageContents", "Invalid characters found in the message body."}
	case e.DelaySeconds != nil && (*e.DelaySeconds < 0 || *e.DelaySeconds > maxDelay):
		return Message{}, invalid(fmt.Sprintf("Value %d for parameter DelaySeconds is invalid. Reason: must be between 0 and %d.", *e.DelaySeconds, maxDelay))
	case q.fifo() && e.MessageGroupID == "":
		return Message{}, &callError{"MissingParameter", "The request must contain the parameter MessageGroupId."}
	case q.fifo() && e.MessageDeduplicationID == "":
		return Message{}, invalid("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	case !q.fifo() && e.MessageDeduplicationID != "":
		return Message{}, invalid("The request include parameter that is not valid for this queue type")
	}
	attrs, err := checkAttributes(e.MessageAttributes)
	if err != nil {
		return Message{}, err
	}
	m := Message{Body: body, Attributes: attrs, DelaySeconds: deref(e.DelaySeconds)}
	if q.fifo() {
		m.GroupID, m.DeduplicationID = e.MessageGroupID, e.MessageDeduplicationID
	}
	return m, nil
}

// accept stores m and answers with the checksums the SDK verifies.
// Callers hold s.mu.
func (s *Server) accept(q *queue, m Message) sendResult {
	r := sendResult{MessageID: s.store(q, m), MD5OfMessageBody: md5Body(m.Body)}
	if len(m.Attributes) > 0 {
		r.MD5OfMessageAttributes = md5Attributes(m.Attributes)
	}
	return r
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
