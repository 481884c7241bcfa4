package sqstest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Message is a message as it was sent to a queue.
type Message struct {
	ID         string
	Body       string
	Attributes map[string]Attribute
	// GroupID and DeduplicationID are set on FIFO queues only.
	GroupID         string
	DeduplicationID string
	DelaySeconds    int
}

// Attribute is a message attribute as it was sent.
type Attribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

type queue struct {
	name     string
	arn      string
	messages []*stored
	dedup    map[string]string // FIFO: message id by deduplication id
	// redrivePolicy is the RedrivePolicy attribute, "" for none.
	redrivePolicy string
}

// path is the path of the queue's URL, /ACCOUNT/NAME, as in SQS.
func (q *queue) path() string { return "/" + AccountID + "/" + q.name }

func (q *queue) fifo() bool { return strings.HasSuffix(q.name, ".fifo") }

type stored struct {
	Message
	sent          time.Time
	firstReceived time.Time
	receives      int
	inFlight      bool
	receipt       string // of the latest receive, the only one SQS honours
}

// delivery is one receive of a message, named by its receipt handle.
type delivery struct {
	queue      *queue
	msg        *stored
	visibility int
	changed    bool
}

// AddQueue creates the queue name (a name ending in ".fifo" makes a FIFO
// queue) and returns its URL and ARN. Adding an existing name returns the
// queue as it is.
func (s *Server) AddQueue(name string) (queueURL, arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, ok := s.queues[name]; ok {
		return s.url + q.path(), q.arn
	}
	if s.queues == nil {
		s.queues = make(map[string]*queue)
	}
	q := &queue{
		name:  name,
		arn:   "arn:aws:sqs:" + Region + ":" + AccountID + ":" + name,
		dedup: make(map[string]string),
	}
	s.queues[name] = q
	return s.url + q.path(), q.arn
}

// queueByURL finds a queue by the path of its URL, /ACCOUNT/NAME, so any
// host that reached the Server will do. Callers hold s.mu.
func (s *Server) queueByURL(queueURL string) (*queue, bool) {
	u, err := url.Parse(queueURL)
	if err != nil {
		return nil, false
	}
	account, name, ok := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if !ok || account != AccountID {
		return nil, false
	}
	q, ok := s.queues[name]
	return q, ok
}

// Put stores a message on the queue at queueURL as a producer would, and
// returns its id. It panics when the queue does not exist: that is a bug
// in the test.
func (s *Server) Put(queueURL, body string, attrs map[string]Attribute) (messageID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queueByURL(queueURL)
	if !ok {
		panic("sqstest: Put to unknown queue " + queueURL)
	}
	m := Message{Body: body, Attributes: maps.Clone(attrs)}
	if q.fifo() {
		m.GroupID = "group"
		m.DeduplicationID = fmt.Sprintf("put-%d", s.seq)
	}
	return s.store(q, m)
}

// store adds m to q and returns its id; a FIFO duplicate is dropped and
// answered with the id of the first. Callers hold s.mu.
func (s *Server) store(q *queue, m Message) string {
	if m.DeduplicationID != "" {
		if id, dup := q.dedup[m.DeduplicationID]; dup {
			return id
		}
	}
	s.seq++
	m.ID = fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq)
	if m.DeduplicationID != "" {
		q.dedup[m.DeduplicationID] = m.ID
	}
	q.messages = append(q.messages, &stored{Message: m, sent: time.Now()})
	return m.ID
}

// Messages returns the messages sent to the queue at queueURL, received or
// not, oldest first; nil when there is no such queue.
func (s *Server) Messages(queueURL string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queueByURL(queueURL)
	if !ok {
		return nil
	}
	out := make([]Message, len(q.messages))
	for i, m := range q.messages {
		out[i] = m.Message
		out[i].Attributes = maps.Clone(m.Attributes)
	}
	return out
}

// Receive does what the Lambda event source mapping does: it receives up
// to max visible messages of the queue at queueURL (all of them when max
// <= 0) and returns them as Lambda records, each with a new receipt handle.
// A received message stays in flight until its visibility timeout is set
// to 0. It panics when the queue does not exist.
func (s *Server) Receive(queueURL string, max int) []events.SQSMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queueByURL(queueURL)
	if !ok {
		panic("sqstest: Receive from unknown queue " + queueURL)
	}
	var out []events.SQSMessage
	for _, m := range q.messages {
		if m.inFlight {
			continue
		}
		if max > 0 && len(out) == max {
			break
		}
		m.inFlight = true
		m.receives++
		if m.firstReceived.IsZero() {
			m.firstReceived = time.Now()
		}
		handle := newReceiptHandle()
		if s.receipts == nil {
			s.receipts = make(map[string]*delivery)
		}
		s.receipts[handle] = &delivery{queue: q, msg: m}
		m.receipt = handle
		out = append(out, record(q, m, handle))
	}
	return out
}

// Visibility returns the visibility timeout last set for the receive
// receiptHandle names, and whether one was set at all.
func (s *Server) Visibility(receiptHandle string) (seconds int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.receipts[receiptHandle]
	if !ok || !d.changed {
		return 0, false
	}
	return d.visibility, true
}

// record is m as the Lambda event source mapping delivers it.
func record(q *queue, m *stored, handle string) events.SQSMessage {
	attrs := map[string]string{
		"ApproximateReceiveCount":          strconv.Itoa(m.receives),
		"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
		"SenderId":                         "AIDAIENQZJOLO23YVJ4VO",
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstReceived.UnixMilli(), 10),
	}
	if q.fifo() {
		attrs["MessageGroupId"] = m.GroupID
		attrs["MessageDeduplicationId"] = m.DeduplicationID
		attrs["SequenceNumber"] = fmt.Sprintf("%020d", m.receives)
	}
	rec := events.SQSMessage{
		MessageId:         m.ID,
		ReceiptHandle:     handle,
		Body:              m.Body,
		Md5OfBody:         md5Body(m.Body),
		Attributes:        attrs,
		MessageAttributes: map[string]events.SQSMessageAttribute{},
		EventSourceARN:    q.arn,
		EventSource:       "aws:sqs",
		AWSRegion:         Region,
	}
	for name, a := range m.Attributes {
		ea := events.SQSMessageAttribute{DataType: a.DataType, StringListValues: []string{}, BinaryListValues: [][]byte{}}
		if isBinary(a.DataType) {
			ea.BinaryValue = append([]byte(nil), a.BinaryValue...)
		} else {
			v := a.StringValue
			ea.StringValue = &v
		}
		rec.MessageAttributes[name] = ea
	}
	if len(m.Attributes) > 0 {
		rec.Md5OfMessageAttributes = md5Attributes(m.Attributes)
	}
	return rec
}

// newReceiptHandle returns an opaque handle shaped like SQS's (long,
// base64), so a leak of one is easy to spot in test output.
func newReceiptHandle() string {
	var b [96]byte
	_, _ = rand.Read(b[:])
	return "AQEB" + base64.StdEncoding.EncodeToString(b[:])
}
