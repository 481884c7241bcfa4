package tim

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/timstub"
	"github.com/attr-eraser/attr-eraser/internal/usersig"
)

// usersigSigner signs every request with the project's UserSig generator.
type usersigSigner struct {
	appID uint64
	admin string
	key   []byte
}

func (s usersigSigner) Credentials(context.Context) (Credentials, error) {
	sig, err := usersig.Generate(s.appID, s.admin, s.key, time.Now(), time.Hour)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{SDKAppID: s.appID, Identifier: s.admin, UserSig: sig, KeyVersion: "k1"}, nil
}

// TestClientAgainstTimstub drives the real Client over real HTTP against the
// project's Tencent stand-in, signing with the real UserSig generator.
func TestClientAgainstTimstub(t *testing.T) {
	const key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	stub, err := timstub.Start(timstub.Config{Key: []byte(key)})
	if err != nil {
		t.Fatalf("timstub.Start: %v", err)
	}
	t.Cleanup(stub.Close)
	stub.FailAccounts(timstub.CodeNoSuchAccount, "ghost")

	good := usersigSigner{appID: timstub.DefaultSDKAppID, admin: timstub.DefaultIdentifier, key: []byte(key)}
	tests := []struct {
		name       string
		signer     Signer
		users      []UserAttrs
		wantFailed []AccountError
		wantCode   int
		wantClass  Class
		removed    map[string][]string // account -> attributes the stub recorded
	}{
		{
			name:   "removes",
			signer: good,
			users: []UserAttrs{
				{Account: "alice", Attrs: []string{"sex", "city"}},
				{Account: "bob", Attrs: []string{"level"}},
			},
			removed: map[string][]string{"alice": {"city", "sex"}, "bob": {"level"}},
		},
		{
			name:   "per-account failure in ErrorList",
			signer: good,
			users: []UserAttrs{
				{Account: "carol", Attrs: []string{"country"}},
				{Account: "ghost", Attrs: []string{"sex"}},
			},
			wantFailed: []AccountError{{Account: "ghost", Code: timstub.CodeNoSuchAccount}},
			removed:    map[string][]string{"carol": {"country"}, "ghost": nil},
		},
		{
			name:      "unregistered attribute",
			signer:    good,
			users:     []UserAttrs{{Account: "dave", Attrs: []string{"shoe-size"}}},
			wantCode:  timstub.CodeInvalidAttr,
			wantClass: Content,
			removed:   map[string][]string{"dave": nil},
		},
		{
			name:      "wrong key",
			signer:    usersigSigner{appID: timstub.DefaultSDKAppID, admin: timstub.DefaultIdentifier, key: []byte("not-the-key")},
			users:     []UserAttrs{{Account: "erin", Attrs: []string{"sex"}}},
			wantCode:  timstub.CodeSigMismatch,
			wantClass: SignatureInvalid,
			removed:   map[string][]string{"erin": nil},
		},
		{
			name:      "not the admin",
			signer:    usersigSigner{appID: timstub.DefaultSDKAppID, admin: "someone", key: []byte(key)},
			users:     []UserAttrs{{Account: "frank", Attrs: []string{"sex"}}},
			wantCode:  timstub.CodeNeedsAdmin,
			wantClass: Configuration,
			removed:   map[string][]string{"frank": nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, stub.URL(), tt.signer)
			res, err := c.RemoveAttrs(context.Background(), tt.users)
			if tt.wantCode == 0 {
				if err != nil {
					t.Fatalf("RemoveAttrs: %v", err)
				}
				if !slices.Equal(res.Failed, tt.wantFailed) {
					t.Errorf("Failed = %v, want %v", res.Failed, tt.wantFailed)
				}
			} else {
				var e *APIError
				if !errors.As(err, &e) || e.Code != tt.wantCode {
					t.Fatalf("err = %v, want *APIError %d", err, tt.wantCode)
				}
				if e.KeyVersion != "k1" {
					t.Errorf("KeyVersion = %q, want k1", e.KeyVersion)
				}
				if got := Classify(err); got != tt.wantClass {
					t.Errorf("Classify = %v, want %v", got, tt.wantClass)
				}
				if strings.Contains(err.Error(), key) {
					t.Errorf("error %q contains the key", err)
				}
			}
			for account, want := range tt.removed {
				if got := stub.Removed(account); !slices.Equal(got, want) {
					t.Errorf("stub removed %q for %s, want %q", got, account, want)
				}
			}
		})
	}

	t.Run("attr names", func(t *testing.T) {
		c := newClient(t, stub.URL(), good)
		got, err := c.AttrNames(context.Background())
		if err != nil {
			t.Fatalf("AttrNames: %v", err)
		}
		if !slices.Equal(got, timstub.DefaultAttrNames) {
			t.Errorf("AttrNames = %q, want %q", got, timstub.DefaultAttrNames)
		}
	})
}
