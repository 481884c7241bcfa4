// Parts: the kinds of removal every account of a plan needs. Attributes
// always; tags too when EraseTags is set. Each part has its own calls, its
// own rate window (Tencent counts calls per API) and its own results, and
// runs in parallel with the other; an account is erased when every part is.

package eraser

import (
	"context"

	"github.com/attr-eraser/attr-eraser/internal/tim"
)

// The parts, as named in reports, audit lines and receipts.
const (
	PartAttrs = "attrs"
	PartTags  = "tags"
)

type part struct {
	name string
	// api keys the part's rate window and names its calls in errors.
	api    string
	remove func(ctx context.Context, api API, users []tim.UserAttrs) (tim.RemoveResult, error)

	// results[i] is the part's outcome for entries[i]; its zero value is
	// "not done", so an account nobody reported on can never count as
	// erased.
	results []entryResult
	// started[i] is set once a call holding entries[i] was started. Only
	// the worker owning the entry writes it.
	started []bool
}

func removeAttrs(ctx context.Context, api API, users []tim.UserAttrs) (tim.RemoveResult, error) {
	return api.RemoveAttrs(ctx, users)
}

func removeTags(ctx context.Context, api API, users []tim.UserAttrs) (tim.RemoveResult, error) {
	accounts := make([]string, len(users))
	for i, u := range users {
		accounts[i] = u.Account
	}
	return api.RemoveAllTags(ctx, accounts)
}

// newParts returns the parts p erases, each ready for n entries.
func (p *Processor) newParts(n int) []*part {
	parts := []*part{{name: PartAttrs, api: apiRemoveAttr, remove: removeAttrs}}
	if p.EraseTags {
		parts = append(parts, &part{name: PartTags, api: apiRemoveAllTags, remove: removeTags})
	}
	for _, pt := range parts {
		pt.results = make([]entryResult, n)
		pt.started = make([]bool, n)
	}
	return parts
}

// partNames names parts for the report.
func partNames(parts []*part) []string {
	names := make([]string, len(parts))
	for i, pt := range parts {
		names[i] = pt.name
	}
	return names
}
