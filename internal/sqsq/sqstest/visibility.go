package sqstest

import "fmt"

type visibilityEntry struct {
	ID                string `json:"Id"`
	ReceiptHandle     string
	VisibilityTimeout int64
}

type changeVisibilityBatchInput struct {
	QueueURL string `json:"QueueUrl"`
	Entries  []visibilityEntry
}

type visibilityResult struct {
	ID string `json:"Id"`
}

type changeVisibilityBatchOutput struct {
	Successful []visibilityResult
	Failed     []batchResultError
}

func (s *Server) changeMessageVisibilityBatch(_ string, body []byte) (any, *callError) {
	var in changeVisibilityBatchInput
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
	for i, e := range in.Entries {
		ids[i] = e.ID
	}
	if err := checkIDs(ids); err != nil {
		return nil, err
	}
	out := changeVisibilityBatchOutput{Successful: []visibilityResult{}, Failed: []batchResultError{}}
	for _, e := range in.Entries {
		err := s.changeVisibility(q, e)
		if err == nil {
			if code := s.injectedEntryFault(Entry{Op: "ChangeMessageVisibilityBatch", QueueURL: in.QueueURL, ReceiptHandle: e.ReceiptHandle}); code != "" {
				err = &callError{code, "sqstest: injected " + code}
			}
		}
		if err != nil {
			out.Failed = append(out.Failed, batchResultError{ID: e.ID, SenderFault: senderFault(err.code), Code: errorFor(err.code).query, Message: err.message})
			continue
		}
		out.Successful = append(out.Successful, visibilityResult{ID: e.ID})
	}
	return out, nil
}

// changeVisibility sets the visibility of the receive e names, as SQS
// does: 0 makes the message visible again at once. Callers hold s.mu.
func (s *Server) changeVisibility(q *queue, e visibilityEntry) *callError {
	if e.VisibilityTimeout < 0 || e.VisibilityTimeout > maxVisibility {
		return invalid(fmt.Sprintf("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and %d.", e.VisibilityTimeout, maxVisibility))
	}
	d, ok := s.receipts[e.ReceiptHandle]
	if !ok || d.queue != q {
		// SQS quotes the handle back; clients must not log it as is.
		return &callError{"ReceiptHandleIsInvalid", fmt.Sprintf("The input receipt handle %q is not a valid receipt handle.", e.ReceiptHandle)}
	}
	if !d.msg.inFlight || d.msg.receipt != e.ReceiptHandle {
		return &callError{"MessageNotInflight", "Message does not exist or is not available for visibility timeout change."}
	}
	d.visibility, d.changed = int(e.VisibilityTimeout), true
	if e.VisibilityTimeout == 0 {
		d.msg.inFlight = false
	}
	return nil
}

// TimeOut makes the message of the receive receiptHandle names visible
// again, as its visibility timeout running out would (the stand-in has no
// clock), and tells whether it was in flight on that receive.
func (s *Server) TimeOut(receiptHandle string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.receipts[receiptHandle]
	if !ok || !d.msg.inFlight || d.msg.receipt != receiptHandle {
		return false
	}
	d.msg.inFlight = false
	return true
}
