// Attribute names deleted in the console while the cached list still has
// them. Tencent rejects a call naming one with 90033; the names
// are read again, once for all concurrent work, and what the fresh list
// lacks is deleted: dropped from the default sets, with nothing of it left
// to erase, and the call is sent again. Only a message that named a
// deleted attribute itself is at fault.

package eraser

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/tim"
)

// deletedNames is what the names read after a rejection taught one
// invocation.
type deletedNames struct {
	mu    sync.Mutex
	names []string // sent, and lacking from a list read after the rejection
	// rejected holds, by message, why a message that named a deleted
	// attribute itself fails as content (settle reads it, after sending).
	rejected map[int]error
}

func (d *deletedNames) snapshot() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.names
}

func (d *deletedNames) add(names []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.names = append(slices.Clip(d.names), names...)
}

func (d *deletedNames) reject(message int, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rejected == nil {
		d.rejected = map[int]error{}
	}
	if _, done := d.rejected[message]; !done {
		d.rejected[message] = err
	}
}

var errAllAttrsDeleted = &namesError{reason: "every attribute it was to remove has been deleted from the app; it comes back to be judged against the app's current names"}

// invalidAttr tells whether err is Tencent's 90033, an invalid attribute
// name.
func invalidAttr(err error) bool {
	var apiErr *tim.APIError
	return errors.As(err, &apiErr) && apiErr.Code == 90033
}

// usersOf returns what pt's call for the entries idx sends, and the entries
// still to send. Attributes known to be deleted are left out; an entry left
// with none fails as retryable, and a message that named one itself is
// rejected.
func (run *invocation) usersOf(pt *part, idx []int) ([]tim.UserAttrs, []int) {
	deleted := run.deleted.snapshot()
	users := make([]tim.UserAttrs, 0, len(idx))
	kept := idx[:0:0]
	for _, i := range idx {
		u := run.plan.Entries[i].UserAttrs
		if pt.name == PartAttrs && len(deleted) > 0 && slices.ContainsFunc(u.Attrs, func(a string) bool { return slices.Contains(deleted, a) }) {
			run.rejectNaming(i, deleted)
			u.Attrs = slices.DeleteFunc(slices.Clone(u.Attrs), func(a string) bool { return slices.Contains(deleted, a) })
			if len(u.Attrs) == 0 {
				pt.fail([]int{i}, errAllAttrsDeleted)
				continue
			}
		}
		users = append(users, u)
		kept = append(kept, i)
	}
	return users, kept
}

// rejectNaming rejects the messages waiting for entry i that named a
// deleted attribute themselves.
func (run *invocation) rejectNaming(i int, deleted []string) {
	for mi := range run.plan.Messages(i) {
		for j, name := range run.explicit[mi] {
			if slices.Contains(deleted, name) {
				// Attribute names are the app's schema, not personal data.
				run.deleted.reject(mi, fmt.Errorf("attrs[%d] %q is not an attribute name of this app: Tencent rejected it (90033), and the names read since lack it", j, name))
				break
			}
		}
	}
}

// afterInvalidAttr handles Tencent's 90033 for the entries idx, sent as
// users at sentAt: it reads the names again (a read begun after the call,
// shared with every call rejected meanwhile), and sends the call again
// without the names the app no longer has. When the names cannot be read,
// or still have every name sent, nothing says the content is at fault:
// the entries fail as retryable.
func (run *invocation) afterInvalidAttr(ctx context.Context, pt *part, idx []int, users []tim.UserAttrs, sentAt time.Time, rejection error) {
	list, err := run.p.appAttrNames(ctx, run, sentAt)
	if err != nil {
		pt.fail(idx, &namesError{reason: fmt.Sprintf("Tencent rejected an attribute name (%v) and the app's names could not be read again", rejection), err: err})
		return
	}
	var gone []string
	for _, u := range users {
		for _, a := range u.Attrs {
			if !slices.Contains(list.names, a) && !slices.Contains(gone, a) {
				gone = append(gone, a)
			}
		}
	}
	if len(gone) == 0 {
		pt.fail(idx, &namesError{reason: "Tencent rejected an attribute name, yet the app's names read since still have every name sent", err: rejection})
		return
	}
	run.deleted.add(gone)
	run.p.logger().InfoContext(ctx, "attribute names deleted in the console: left out of the calls", "attrNames", gone)
	// A new call, with its own retry budget, as for the halves of a split.
	run.send(ctx, pt, idx, 0)
}
