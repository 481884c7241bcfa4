package sqstest

type getQueueURLInput struct {
	QueueName    string
	QueueOwnerID string `json:"QueueOwnerAWSAccountId"`
}

type getQueueURLOutput struct {
	QueueURL string `json:"QueueUrl"`
}

func (s *Server) getQueueURL(base string, body []byte) (any, *callError) {
	var in getQueueURLInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, &callError{"MissingParameter", "The request must contain the parameter QueueName."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[in.QueueName]
	if !ok || (in.QueueOwnerID != "" && in.QueueOwnerID != AccountID) {
		return nil, errNoQueue
	}
	return getQueueURLOutput{QueueURL: base + q.path()}, nil
}

var errNoQueue = &callError{"QueueDoesNotExist", "The specified queue does not exist."}
