package signingkey_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/signingkey"
)

const auditSecret = "Au7dK9eYp2Lm"

func TestKeyNeverRendersSecret(t *testing.T) {
	k := signingkey.Key{
		Secret:     []byte(secret),
		SDKAppID:   1400000000,
		Identifier: "administrator",
		AuditKey:   []byte(auditSecret),
		Version:    "v-1",
	}
	type wrapper struct {
		K  signingkey.Key
		PK *signingkey.Key
	}
	render := map[string]func() string{
		"%v":         func() string { return fmt.Sprintf("%v", k) },
		"%+v":        func() string { return fmt.Sprintf("%+v", k) },
		"%#v":        func() string { return fmt.Sprintf("%#v", k) },
		"%s":         func() string { return fmt.Sprintf("%s", k) },
		"%q":         func() string { return fmt.Sprintf("%q", k) },
		"%x":         func() string { return fmt.Sprintf("%x", k) },
		"%d":         func() string { return fmt.Sprintf("%d", k) },
		"pointer %v": func() string { return fmt.Sprintf("%v", &k) },
		"nested %+v": func() string { return fmt.Sprintf("%+v", wrapper{k, &k}) },
		"nested %#v": func() string { return fmt.Sprintf("%#v", wrapper{k, &k}) },
		"json": func() string {
			b, err := json.Marshal(wrapper{k, &k})
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		},
		"slog json": func() string {
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("key", "key", k, "ptr", &k)
			return buf.String()
		},
		"slog text": func() string {
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("key", "key", k)
			return buf.String()
		},
	}
	for name, fn := range render {
		t.Run(name, func(t *testing.T) {
			out := fn()
			assertNoLeak(t, name, out, secret, auditSecret)
			if !strings.Contains(out, "REDACTED") {
				t.Errorf("%s: no redaction marker in %s", name, out)
			}
		})
	}
	if s := k.String(); !strings.Contains(s, "administrator") || !strings.Contains(s, "1400000000") || !strings.Contains(s, "v-1") {
		t.Errorf("String() hides non-secret fields too: %s", s)
	}
}

func TestSameAs(t *testing.T) {
	a := signingkey.Key{Secret: []byte("a"), Version: "1"}
	tests := []struct {
		name string
		b    signingkey.Key
		want bool
	}{
		{"identical", signingkey.Key{Secret: []byte("a"), Version: "1"}, true},
		{"other version", signingkey.Key{Secret: []byte("a"), Version: "2"}, false},
		{"other secret", signingkey.Key{Secret: []byte("b"), Version: "1"}, false},
		{"zero", signingkey.Key{}, false},
	}
	for _, tt := range tests {
		if got := a.SameAs(tt.b); got != tt.want {
			t.Errorf("%s: SameAs = %v, want %v", tt.name, got, tt.want)
		}
	}
}
