// The audit lines' encoder: the JSON slog's JSON handler writes (the same
// members, order and escapes), encoded by hand into one buffer that is
// written out in large pieces. Through slog the audit trail cost a quarter
// of the CPU of a batch of one-account messages: the handler's attribute
// values, the hashes as strings, a JSON encoder per list and one write(2)
// per line.

package telemetry

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// fields receives the members of one line, in order: the JSON encoder
// writes them, and the slog attributes (the Audit without Out, and the
// tests) hand them to slog, whose output the encoder's must equal.
type fields interface {
	Str(key, v string)
	Int(key string, v int64)
	Bool(key string, v bool)
	// Strs is a list of strings (slog.Any of a []string).
	Strs(key string, v []string)
	// Hashes is the list of the accounts' hashes.
	Hashes(key string, h *Hasher, accounts []string)
	// Group is a nested object; like slog, it is left out when empty.
	Group(key string, members func(fields))
}

// lineWriter writes whole lines of fields.
type lineWriter interface {
	line(level slog.Level, msg string, members func(fields))
	flush()
}

// flushSize is how much of a batch's lines is kept before they are
// written: large writes, little memory, and a line is never split.
const flushSize = 64 << 10

// jsonLines encodes lines into buf and writes it to out each flushSize.
// Everything is written by flush, which Observe calls before it returns,
// so that no line waits beyond the invocation. Not safe for concurrent
// use; each Observe has its own.
type jsonLines struct {
	out       io.Writer
	now       func() time.Time
	requestID string
	buf       []byte
	sep       bool // a member was written since the last brace
}

func newJSONLines(ctx context.Context, out io.Writer, now func() time.Time) *jsonLines {
	j := &jsonLines{out: out, now: now, buf: make([]byte, 0, flushSize+flushSize/4)}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		j.requestID = lc.AwsRequestID
	}
	return j
}

func (j *jsonLines) line(level slog.Level, msg string, members func(fields)) {
	j.buf = append(j.buf, `{"time":"`...)
	j.buf = j.now().AppendFormat(j.buf, time.RFC3339Nano)
	j.buf = append(j.buf, `","level":`...)
	j.buf = appendSlogString(j.buf, level.String())
	j.buf = append(j.buf, `,"msg":`...)
	j.buf = appendSlogString(j.buf, msg)
	j.sep = true
	members(j)
	if j.requestID != "" { // as requestIDHandler adds it
		j.Str("requestId", j.requestID)
	}
	j.buf = append(j.buf, "}\n"...)
	if len(j.buf) >= flushSize {
		j.flush()
	}
}

func (j *jsonLines) flush() {
	if len(j.buf) > 0 {
		_, _ = j.out.Write(j.buf) // a log write has nowhere to report failure
		j.buf = j.buf[:0]
	}
}

func (j *jsonLines) key(k string) {
	if j.sep {
		j.buf = append(j.buf, ',')
	}
	j.buf = appendSlogString(j.buf, k)
	j.buf = append(j.buf, ':')
	j.sep = true
}

func (j *jsonLines) Str(key, v string) {
	j.key(key)
	j.buf = appendSlogString(j.buf, v)
}

func (j *jsonLines) Int(key string, v int64) {
	j.key(key)
	j.buf = strconv.AppendInt(j.buf, v, 10)
}

func (j *jsonLines) Bool(key string, v bool) {
	j.key(key)
	j.buf = strconv.AppendBool(j.buf, v)
}

func (j *jsonLines) Strs(key string, v []string) {
	j.key(key)
	if v == nil {
		j.buf = append(j.buf, "null"...)
		return
	}
	j.buf = append(j.buf, '[')
	for i, s := range v {
		if i > 0 {
			j.buf = append(j.buf, ',')
		}
		j.buf = appendString(j.buf, s, true)
	}
	j.buf = append(j.buf, ']')
}

func (j *jsonLines) Hashes(key string, h *Hasher, accounts []string) {
	j.key(key)
	j.buf = append(j.buf, '[')
	for i, a := range accounts {
		if i > 0 {
			j.buf = append(j.buf, ',')
		}
		j.buf = append(j.buf, '"')
		j.buf = h.AppendHash(j.buf, a) // hex: nothing to escape
		j.buf = append(j.buf, '"')
	}
	j.buf = append(j.buf, ']')
}

func (j *jsonLines) Group(key string, members func(fields)) {
	start := len(j.buf)
	j.key(key)
	j.buf = append(j.buf, '{')
	open := len(j.buf)
	j.sep = false
	members(j)
	if len(j.buf) == open {
		j.buf = j.buf[:start] // empty: slog leaves the group out
	} else {
		j.buf = append(j.buf, '}')
	}
	j.sep = true
}

// appendSlogString appends s quoted as slog's JSON handler quotes strings.
func appendSlogString(buf []byte, s string) []byte {
	return appendString(buf, s, false)
}

// appendString appends s quoted as slog's JSON handler does: as
// encoding/json without HTML escaping, except that slog's own strings
// spell \b and \f as \u0008 and \u000c, where encoding/json (for a value
// slog marshals, such as a []string) writes \b and \f.
func appendString(buf []byte, s string, marshalled bool) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch {
			case b == '"' || b == '\\':
				buf = append(buf, '\\', b)
			case b == '\n':
				buf = append(buf, '\\', 'n')
			case b == '\r':
				buf = append(buf, '\\', 'r')
			case b == '\t':
				buf = append(buf, '\\', 't')
			case b == '\b' && marshalled:
				buf = append(buf, '\\', 'b')
			case b == '\f' && marshalled:
				buf = append(buf, '\\', 'f')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

const hexDigits = "0123456789abcdef"

// slogLines hands each line to a slog handler as one record of
// attributes: the Audit's way without Out.
type slogLines struct {
	ctx     context.Context
	handler slog.Handler
	now     func() time.Time
}

func (s slogLines) line(level slog.Level, msg string, members func(fields)) {
	var attrs slogAttrs
	members(&attrs)
	r := slog.NewRecord(s.now(), level, msg, 0)
	r.AddAttrs(attrs...)
	_ = s.handler.Handle(s.ctx, r) // a log write has nowhere to report failure
}

func (slogLines) flush() {}

// slogAttrs collects fields as slog attributes.
type slogAttrs []slog.Attr

func (a *slogAttrs) Str(key, v string)           { *a = append(*a, slog.String(key, v)) }
func (a *slogAttrs) Int(key string, v int64)     { *a = append(*a, slog.Int64(key, v)) }
func (a *slogAttrs) Bool(key string, v bool)     { *a = append(*a, slog.Bool(key, v)) }
func (a *slogAttrs) Strs(key string, v []string) { *a = append(*a, slog.Any(key, v)) }

func (a *slogAttrs) Hashes(key string, h *Hasher, accounts []string) {
	hashes := make([]string, len(accounts))
	for i, acct := range accounts {
		hashes[i] = h.Hash(acct)
	}
	a.Strs(key, hashes)
}

func (a *slogAttrs) Group(key string, members func(fields)) {
	var g slogAttrs
	members(&g)
	*a = append(*a, slog.Attr{Key: key, Value: slog.GroupValue(g...)})
}
