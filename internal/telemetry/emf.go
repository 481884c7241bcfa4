// CloudWatch Embedded Metric Format: JSON log lines that CloudWatch turns
// into metrics without an API call or a dependency.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

package telemetry

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
)

// Metric names.
const (
	AccountsErased       = "AccountsErased"
	MessagesFailed       = "MessagesFailed"
	ApiCalls             = "ApiCalls"
	ApiRetries           = "ApiRetries"
	RateLimited          = "RateLimited"
	InvocationDurationMs = "InvocationDurationMs"
	MessagesRequeued     = "MessagesRequeued"
	MessagesDeadLettered = "MessagesDeadLettered"
	// PendingAge is how long each erasure still to be done has waited:
	// since its occurredAt, else since its first receive. SQS's own
	// age-of-oldest metric loses a message after its third receive and a
	// requeued copy's history, so this is what shows an erasure stuck.
	PendingAge = "PendingAge"
	// ErasureLatency is, for each erased message with an RFC 3339
	// occurredAt, how long the erasure took from the upstream event:
	// GDPR allows a month.
	ErasureLatency = "ErasureLatency"
)

// valuesPerLine is EMF's limit of values in one metric array.
const valuesPerLine = 100

// Dimension names.
const (
	DimFunctionName = "FunctionName"
	DimClass        = "Class"
)

// Metrics writes the metrics of each batch. It is safe for concurrent use.
type Metrics struct {
	Out          io.Writer
	Namespace    string
	FunctionName string
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex
}

// Document is one EMF log line.
type Document struct {
	AWS Metadata `json:"_aws"`
	// Values holds the dimension values and metric values, which EMF puts
	// at the top level of the line, beside "_aws".
	Values map[string]any `json:"-"`
}

// Metadata is the "_aws" member of an EMF line.
type Metadata struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []Directive `json:"CloudWatchMetrics"`
}

// Directive tells CloudWatch which members are metrics, with which
// dimensions, in which namespace.
type Directive struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []MetricInfo `json:"Metrics"`
}

// MetricInfo names one metric and its unit.
type MetricInfo struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// MarshalJSON puts Values beside "_aws", as EMF requires.
func (d Document) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(d.Values)+1)
	maps.Copy(m, d.Values)
	m["_aws"] = d.AWS
	return json.Marshal(m)
}

// valueDocs writes values of one metric in seconds, valuesPerLine a line.
func (w *Metrics) valueDocs(ts int64, dims []string, metric string, values []float64) []Document {
	var docs []Document
	for len(values) > 0 {
		n := min(len(values), valuesPerLine)
		v := map[string]any{metric: values[:n]}
		if w.FunctionName != "" {
			v[DimFunctionName] = w.FunctionName
		}
		docs = append(docs, Document{
			AWS: Metadata{Timestamp: ts, CloudWatchMetrics: []Directive{{
				Namespace:  w.Namespace,
				Dimensions: [][]string{append([]string{}, dims...)},
				Metrics:    []MetricInfo{{metric, "Seconds"}},
			}}},
			Values: v,
		})
		values = values[n:]
	}
	return docs
}

// erasureLatencies returns, in seconds, how long each erased message of r
// took from its occurredAt to now; messages without an RFC 3339
// occurredAt have none.
func erasureLatencies(r *eraser.Report, now time.Time) []float64 {
	var out []float64
	for _, m := range r.Messages {
		if m.Outcome != eraser.Erased || !m.Acknowledged() {
			continue
		}
		if t, err := time.Parse(time.RFC3339, m.Request.OccurredAt); err == nil {
			out = append(out, max(0, now.Sub(t).Seconds()))
		}
	}
	return out
}

// pendingAges returns, in seconds, how long each pending erasure of r has
// waited at now; a message with neither an RFC 3339 occurredAt nor a known
// first receive has no age.
func pendingAges(r *eraser.Report, now time.Time) []float64 {
	if r.DryRun {
		return nil // nothing is meant to be erased: no erasure is stuck
	}
	var ages []float64
	for _, m := range r.Messages {
		if !m.Pending() {
			continue
		}
		since := m.Lineage.FirstReceived
		if t, err := time.Parse(time.RFC3339, m.Request.OccurredAt); err == nil {
			since = t
		}
		if since.IsZero() {
			continue
		}
		ages = append(ages, max(0, now.Sub(since).Seconds()))
	}
	return ages
}

// Observe writes one line with the batch's counters and one line per
// failure class with MessagesFailed, dimensioned by Class.
//
// CloudWatch rejects an empty dimension value, so without a FunctionName
// (outside Lambda) the lines carry no FunctionName dimension, and a failure
// without a class is counted as "unknown".
func (w *Metrics) Observe(_ context.Context, r *eraser.Report) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	at := now()
	ts := at.UnixMilli()
	var dims []string
	var requeued, deadLettered int
	for _, m := range r.Messages {
		switch m.HandOff {
		case eraser.Requeued:
			requeued++
		case eraser.DeadLettered:
			deadLettered++
		}
	}
	values := map[string]any{
		AccountsErased:       r.AccountsErased,
		ApiCalls:             r.Calls,
		ApiRetries:           r.Retries,
		RateLimited:          r.RateLimited,
		InvocationDurationMs: r.Duration.Milliseconds(),
		MessagesRequeued:     requeued,
		MessagesDeadLettered: deadLettered,
	}
	if w.FunctionName != "" {
		dims = append(dims, DimFunctionName)
		values[DimFunctionName] = w.FunctionName
	}
	docs := []Document{{
		AWS: Metadata{Timestamp: ts, CloudWatchMetrics: []Directive{{
			Namespace:  w.Namespace,
			Dimensions: [][]string{append([]string{}, dims...)},
			Metrics: []MetricInfo{
				{AccountsErased, "Count"},
				{ApiCalls, "Count"},
				{ApiRetries, "Count"},
				{RateLimited, "Count"},
				{InvocationDurationMs, "Milliseconds"},
				{MessagesRequeued, "Count"},
				{MessagesDeadLettered, "Count"},
			},
		}}},
		Values: values,
	}}
	byClass := map[string]int{}
	for class, n := range r.FailuresByClass() {
		if class == "" {
			class = "unknown"
		}
		byClass[class] += n
	}
	for _, class := range slices.Sorted(maps.Keys(byClass)) {
		v := map[string]any{DimClass: class, MessagesFailed: byClass[class]}
		if w.FunctionName != "" {
			v[DimFunctionName] = w.FunctionName
		}
		docs = append(docs, Document{
			AWS: Metadata{Timestamp: ts, CloudWatchMetrics: []Directive{{
				Namespace:  w.Namespace,
				Dimensions: [][]string{append(append([]string{}, dims...), DimClass)},
				Metrics:    []MetricInfo{{MessagesFailed, "Count"}},
			}}},
			Values: v,
		})
	}
	docs = append(docs, w.valueDocs(ts, dims, PendingAge, pendingAges(r, at))...)
	docs = append(docs, w.valueDocs(ts, dims, ErasureLatency, erasureLatencies(r, at))...)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, d := range docs {
		line, err := json.Marshal(d)
		if err != nil {
			continue // cannot happen: every value is a string or a number
		}
		_, _ = w.Out.Write(append(line, '\n'))
	}
}
