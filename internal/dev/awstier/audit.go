package awstier

import (
	"bytes"
	"encoding/json"
	"strings"
)

// AuditLine is what the tier reads from one of the function's audit lines
// (telemetry.Audit): the account hashes are left out.
type AuditLine struct {
	Instance          int    `json:"-"`
	MessageID         string `json:"messageId"`
	OriginalMessageID string `json:"originalMessageId"`
	ReceiveCount      int    `json:"receiveCount"`
	EventID           string `json:"eventId"`
	Outcome           string `json:"outcome"`
	Class             string `json:"class"`
	Reason            string `json:"reason"`
	Accounts          int    `json:"accounts"`
	// What SQS was asked to do with a message not erased.
	Requeues          int    `json:"requeues"`
	Unreached         bool   `json:"unreached"`
	HandOff           string `json:"handOff"`
	RetryAfterSeconds int    `json:"retryAfterSeconds"`
	HandOffError      string `json:"handOffError"`
	// Part is set when a large message's hashes span several lines.
	Part int `json:"part"`
	// AuditKeyID names the key of the line's account hashes (telemetry.KeyID).
	AuditKeyID string `json:"auditKeyId"`
}

// ParseAudit returns the audit lines in what an instance printed, one per
// message and receive (the first part of a multi-part one), in order.
//
// It runs on the whole output after the fact rather than on the stream:
// the function writes its audit lines after the cutoff, and a reader that
// parses megabytes of hashes as they come would hold the pipe up and push
// the function past its deadline, which Lambda's log agent does not do.
func ParseAudit(output string, instance int) []AuditLine {
	var lines []AuditLine
	for line := range strings.Lines(output) {
		if !strings.Contains(line, `"msg":"audit"`) {
			continue
		}
		b := []byte(line)
		if i := bytes.IndexByte(b, '{'); i > 0 {
			b = b[i:] // anything the emulator put in front
		}
		var l AuditLine
		if json.Unmarshal(b, &l) != nil || l.Part > 1 {
			continue
		}
		l.Instance = instance
		lines = append(lines, l)
	}
	return lines
}
