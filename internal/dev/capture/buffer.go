// Package capture collects what a function prints, from several goroutines
// at once: the emulator's two pipes in local runs, the handler's logs and
// metrics in tests.
package capture

import (
	"bytes"
	"io"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent writers. Its zero value is
// ready to use.
type Buffer struct {
	// Tee, when set, also receives every write, as it happens.
	Tee io.Writer

	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p (and copies it to Tee). It never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Tee != nil {
		_, _ = b.Tee.Write(p)
	}
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Bytes returns a copy of everything written so far.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
