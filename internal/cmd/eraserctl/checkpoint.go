// The checkpoint of a backfill: the eventIds already sent, one a line,
// appended after each batch call. eventIds name their accounts' chunk, so a
// resumed run skips exactly what was sent, even if the input was fixed in
// between (a changed chunk has a new eventId and is sent).

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
)

// checkpointHeader starts a checkpoint file; the target follows it.
const checkpointHeader = "# eraserctl submit checkpoint v1; target: "

// checkpoint records sent eventIds in a file. It is safe for concurrent
// use. A nil *checkpoint records nothing.
type checkpoint struct {
	mu   sync.Mutex
	f    *os.File
	sent map[string]bool
}

// openCheckpoint opens (or creates) the checkpoint at path for target and
// reads what it says was sent. A checkpoint of another target is refused:
// what was sent to a topic is not in the queue.
func openCheckpoint(path, target string) (*checkpoint, error) {
	c := &checkpoint{sent: map[string]bool{}}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		lines := strings.Split(string(data), "\n")
		if got := strings.TrimPrefix(lines[0], checkpointHeader); got == lines[0] || got != target {
			return nil, fmt.Errorf("checkpoint %s is not one of this command for %s (first line %q)", path, target, lines[0])
		}
		for _, l := range lines[1:] {
			// A line cut short by a crash has no line break: it was not
			// known to be sent, and sending it again is harmless.
			if strings.HasPrefix(l, eventIDPrefix) && len(l) == len(eventIDPrefix)+2*eventIDBytes {
				c.sent[l] = true
			}
		}
	}
	if c.f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
		return nil, err
	}
	if len(data) == 0 {
		if _, err := c.f.WriteString(checkpointHeader + target + "\n"); err != nil {
			c.f.Close()
			return nil, err
		}
	} else if data[len(data)-1] != '\n' {
		// End the cut line, so that the next eventId starts a line.
		if _, err := c.f.WriteString("\n"); err != nil {
			c.f.Close()
			return nil, err
		}
	}
	return c, nil
}

// has reports whether eventID was sent.
func (c *checkpoint) has(eventID string) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent[eventID]
}

// add records eventIDs as sent, on disk before it returns.
func (c *checkpoint) add(eventIDs []string) error {
	if c == nil || len(eventIDs) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w := bufio.NewWriter(c.f)
	for _, id := range eventIDs {
		w.WriteString(id + "\n")
		c.sent[id] = true
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return c.f.Sync()
}

// Close closes the file.
func (c *checkpoint) Close() error {
	if c == nil {
		return nil
	}
	return c.f.Close()
}
