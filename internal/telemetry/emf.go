// CloudWatch Embedded Metric Format: JSON log lines that CloudWatch turns
// into metrics without an API call or a dependency.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

package telemetry

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"sync"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
)

// valuesPerLine is EMF's limit of values in one metric array.
const valuesPerLine = 100

// Metrics writes the metrics of Catalog for each batch. It is safe for
// concurrent use.
type Metrics struct {
	Out          io.Writer
	Namespace    string
	FunctionName string
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex
}

// document is one EMF log line.
type document struct {
	AWS metadata `json:"_aws"`
	// Values holds the dimension values and metric values, which EMF puts
	// at the top level of the line, beside "_aws".
	Values map[string]any `json:"-"`
}

// metadata is the "_aws" member of an EMF line.
type metadata struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// directive tells CloudWatch which members are metrics, with which
// dimensions, in which namespace.
type directive struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []metricInfo `json:"Metrics"`
}

// metricInfo names one metric and its unit.
type metricInfo struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// MarshalJSON puts Values beside "_aws", as EMF requires.
func (d document) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(d.Values)+1)
	maps.Copy(m, d.Values)
	m["_aws"] = d.AWS
	return json.Marshal(m)
}

// Observe writes the batch's metrics: one line with every metric of one
// value per batch, one line per failure class of each ByClass metric, and
// the values of each PerMessage metric, valuesPerLine to a line.
//
// CloudWatch rejects an empty dimension value, so without a FunctionName
// (outside Lambda) the lines carry no FunctionName dimension.
func (w *Metrics) Observe(_ context.Context, r *eraser.Report) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	b := &batch{report: r, tally: r.Tally(), now: now()}
	counters := w.line(b.now, nil)
	var docs []document
	for _, m := range Catalog {
		if m.Event {
			continue
		}
		samples := m.values(b)
		switch {
		case m.ByClass:
			for _, s := range samples {
				d := w.line(b.now, []string{DimClass})
				d.add(m, s.value)
				d.Values[DimClass] = s.class
				docs = append(docs, d)
			}
		case m.PerMessage:
			for len(samples) > 0 {
				n := min(len(samples), valuesPerLine)
				values := make([]float64, n)
				for i, s := range samples[:n] {
					values[i] = s.value
				}
				d := w.line(b.now, nil)
				d.add(m, values)
				docs = append(docs, d)
				samples = samples[n:]
			}
		default:
			counters.add(m, samples[0].value)
		}
	}
	docs = append([]document{counters}, docs...)
	// One write for all of them: a batch of one-account messages has some
	// twenty lines, and a write(2) each cost as much as encoding them.
	var out []byte
	for _, d := range docs {
		line, err := json.Marshal(d)
		if err != nil {
			continue // cannot happen: every value is a string or a number
		}
		out = append(append(out, line...), '\n')
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.Out.Write(out)
}

// Unwired writes PartialBatchUnsupported for one invocation.
func (w *Metrics) Unwired(context.Context) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	d := w.line(now(), nil)
	for _, m := range Catalog {
		if m.Name == PartialBatchUnsupported {
			d.add(m, 1)
		}
	}
	line, err := json.Marshal(d)
	if err != nil {
		return // cannot happen: every value is a string or a number
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.Out.Write(append(line, '\n'))
}

// line starts a line of metrics with the dimensions dims besides
// FunctionName.
func (w *Metrics) line(at time.Time, dims []string) document {
	d := document{
		AWS: metadata{Timestamp: at.UnixMilli(), CloudWatchMetrics: []directive{{
			Namespace:  w.Namespace,
			Dimensions: [][]string{{}},
			Metrics:    []metricInfo{},
		}}},
		Values: map[string]any{},
	}
	if w.FunctionName != "" {
		d.AWS.CloudWatchMetrics[0].Dimensions[0] = append(d.AWS.CloudWatchMetrics[0].Dimensions[0], DimFunctionName)
		d.Values[DimFunctionName] = w.FunctionName
	}
	d.AWS.CloudWatchMetrics[0].Dimensions[0] = append(d.AWS.CloudWatchMetrics[0].Dimensions[0], dims...)
	return d
}

// add puts the value of m on the line.
func (d document) add(m Metric, value any) {
	dir := &d.AWS.CloudWatchMetrics[0]
	dir.Metrics = append(dir.Metrics, metricInfo{m.Name, m.Unit})
	d.Values[m.Name] = value
}
