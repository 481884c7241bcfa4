package tim

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// RemoveAllTags removes every tag of 1 to erasure.MaxAccountsPerCall (100)
// accounts in one call (im_remove_all_tags, or clear_all_tags in TimPush).
// Another number of accounts is refused with a *requestError and nothing is
// sent: the API would reject the call, and refusing here costs no
// rate-limit slot. The result reads as RemoveAttrs's: an account in neither
// Failed nor Absent has no tags left.
func (c *Client) RemoveAllTags(ctx context.Context, accounts []string) (RemoveResult, error) {
	a, err := c.resolve(OpRemoveAllTags)
	if err != nil {
		return RemoveResult{}, err
	}
	if len(accounts) == 0 || len(accounts) > erasure.MaxAccountsPerCall {
		return RemoveResult{}, &requestError{Op: a.name,
			Reason: fmt.Sprintf("%d accounts, want 1 to %d", len(accounts), erasure.MaxAccountsPerCall)}
	}
	body, err := json.Marshal(struct {
		Accounts []string `json:"To_Account"`
	}{accounts})
	if err != nil {
		return RemoveResult{}, fmt.Errorf("tim: encode %s request: %w", a.name, err)
	}
	resp, err := c.do(ctx, a, body)
	if err != nil {
		return RemoveResult{}, err
	}
	return removeResult(a.name, accounts, resp.ErrorList)
}
