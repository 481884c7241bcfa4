package eventstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"time"
	"unicode/utf8"
)

// EventBridge limits.
const (
	maxEntries = 10
	// MaxRequestSize bounds the entries of one PutEvents, as EventBridge
	// counts them (see the package documentation).
	MaxRequestSize = 256 << 10
	maxDetailType  = 128 // characters
	maxBusName     = 1600
	defaultBus     = "default"
)

// busName is EventBridge's pattern of an EventBusName (a
// NonPartnerEventBusNameOrArn).
var busName = regexp.MustCompile(`^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus/)?[/.\-_A-Za-z0-9]+$`)

// wireEntry is a PutEventsRequestEntry as the SDK sends it; Time is in
// epoch seconds with a fraction.
type wireEntry struct {
	Source       *string
	DetailType   *string
	Detail       *string
	EventBusName *string
	Resources    []string
	Time         *json.Number
	TraceHeader  *string
}

type putEventsInput struct {
	Entries    []wireEntry
	EndpointID *string `json:"EndpointId"`
}

type resultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:",omitempty"`
	ErrorMessage string `json:",omitempty"`
}

type putEventsOutput struct {
	Entries          []resultEntry
	FailedEntryCount int
}

// putEvents answers one PutEvents body.
func (s *Server) putEvents(body []byte) (any, *callError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.bodies = append(s.bodies, string(body))

	var in putEventsInput
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return nil, &callError{"SerializationException", "request body is not valid JSON for PutEvents"}
	}
	events := make([]Event, len(in.Entries))
	for i, e := range in.Entries {
		ev, err := decodeEntry(e)
		if err != nil {
			return nil, err
		}
		events[i] = ev
	}
	if code := s.callFault(events); code != "" {
		return nil, &callError{code, "eventstest: injected " + code}
	}
	if err := checkRequest(in, events); err != nil {
		return nil, err
	}

	out := putEventsOutput{Entries: make([]resultEntry, len(events))}
	var failures []*callError
	for i, ev := range events {
		err := checkEntry(in.Entries[i])
		if err != nil {
			failures = append(failures, err)
		} else if code := s.entryFault(ev); code != "" {
			err = &callError{code, "eventstest: injected " + code}
		}
		if err != nil {
			out.Entries[i] = resultEntry{ErrorCode: err.code, ErrorMessage: err.message}
			out.FailedEntryCount++
			continue
		}
		ev.ID = newID()
		s.events = append(s.events, ev)
		out.Entries[i] = resultEntry{EventID: ev.ID}
	}
	if len(failures) == len(events) {
		// No entry has what every event needs: EventBridge fails the
		// request itself.
		return nil, &callError{"ValidationException", "no entry of the request is valid: " + failures[0].message}
	}
	return out, nil
}

// decodeEntry reads an entry as the Server records it.
func decodeEntry(e wireEntry) (Event, *callError) {
	ev := Event{
		EventBus:   defaultBus,
		Source:     deref(e.Source),
		DetailType: deref(e.DetailType),
		Detail:     deref(e.Detail),
		Resources:  e.Resources,
	}
	if e.EventBusName != nil {
		ev.EventBus = *e.EventBusName
	}
	if e.Time != nil {
		secs, err := e.Time.Float64()
		if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) {
			return Event{}, &callError{"SerializationException", "Time is not a timestamp in epoch seconds"}
		}
		ms := int64(math.Round(secs * 1000))
		ev.Time = time.UnixMilli(ms).UTC()
	}
	return ev, nil
}

// checkRequest applies EventBridge's rules on a whole request.
func checkRequest(in putEventsInput, events []Event) *callError {
	switch n := len(in.Entries); {
	case n < 1:
		return &callError{"ValidationException", "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1"}
	case n > maxEntries:
		return &callError{"ValidationException", fmt.Sprintf("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to %d", maxEntries)}
	}
	size := 0
	for i, ev := range events {
		if e := in.Entries[i].EventBusName; e != nil && (len(*e) > maxBusName || !busName.MatchString(*e)) {
			return &callError{"ValidationException", fmt.Sprintf("1 validation error detected: Value at 'entries.%d.member.eventBusName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", i+1, busName)}
		}
		size += Size(ev)
	}
	if size > MaxRequestSize {
		return &callError{"ValidationException", "Total size of the entries in the request is over the limit."}
	}
	return nil
}

// checkEntry applies EventBridge's rules on one entry.
func checkEntry(e wireEntry) *callError {
	for _, f := range []struct {
		name string
		v    *string
	}{{"Source", e.Source}, {"DetailType", e.DetailType}, {"Detail", e.Detail}} {
		if f.v == nil || *f.v == "" {
			return &callError{"InvalidArgument", "Parameter " + f.name + " is not valid. Reason: " + f.name + " is a required argument."}
		}
	}
	if utf8.RuneCountInString(*e.DetailType) > maxDetailType {
		return &callError{"InvalidArgument", fmt.Sprintf("Parameter DetailType is not valid. Reason: DetailType is longer than %d characters.", maxDetailType)}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(*e.Detail), &obj); err != nil || obj == nil {
		return &callError{"MalformedDetail", "Detail is malformed."}
	}
	return nil
}

// Size is the size EventBridge charges an event against the request
// limit: 14 bytes for a Time, then the UTF-8 bytes of Source, DetailType,
// Detail and every resource.
func Size(e Event) int {
	n := 0
	if !e.Time.IsZero() {
		n += 14
	}
	n += len(e.Source) + len(e.DetailType) + len(e.Detail)
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
