// Package telemetry writes the three JSON outputs of a batch's report, all
// to the function's stdout: diagnostic logs (log/slog, with the Lambda
// request ID), the audit trail (one line per message, accounts named only
// by keyed hashes, and a summary line), and CloudWatch Embedded Metric
// Format lines.
package telemetry
