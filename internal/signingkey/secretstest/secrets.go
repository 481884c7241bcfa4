package secretstest

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"
)

// secret is one named secret with its version history, newest last, so the
// AWSCURRENT and AWSPREVIOUS stages fall out of the slice order.
type secret struct {
	name     string
	arn      string
	versions []version
}

type version struct {
	id      string
	str     *string // nil for binary secrets
	bin     []byte
	created time.Time
}

// Put creates the secret name holding secretString, or rotates it: every Put
// adds a new version with a fresh VersionId that becomes AWSCURRENT. It
// returns the secret's full ARN, which is stable across rotations.
func (s *Server) Put(name, secretString string) (arn string) {
	return s.put(name, version{str: &secretString})
}

// PutBinary is Put for a secret stored as SecretBinary, which is how a
// misconfigured secret (no SecretString at all) looks to a client.
func (s *Server) PutBinary(name string, secretBinary []byte) (arn string) {
	return s.put(name, version{bin: append([]byte(nil), secretBinary...)})
}

// Delete removes the secret name and all its versions; later reads get
// ResourceNotFoundException. Deleting an unknown name is a no-op.
func (s *Server) Delete(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.secrets, name)
}

func (s *Server) put(name string, v version) string {
	v.id = newVersionID()
	v.created = time.Now()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.secrets == nil {
		s.secrets = make(map[string]*secret)
	}
	sec, ok := s.secrets[name]
	if !ok {
		sec = &secret{name: name, arn: arnPrefix() + name + "-" + randomSuffix()}
		s.secrets[name] = sec
	}
	sec.versions = append(sec.versions, v)
	return sec.arn
}

// lookup resolves id the way Secrets Manager does: by name, by full ARN, or by
// partial ARN (the ARN without the random six-character suffix). Callers hold
// s.mu.
func (s *Server) lookup(id string) (*secret, bool) {
	if !strings.HasPrefix(id, "arn:") {
		sec, ok := s.secrets[id]
		return sec, ok
	}
	for _, sec := range s.secrets {
		if id == sec.arn || id == arnPrefix()+sec.name {
			return sec, true
		}
	}
	return nil, false
}

// pick selects the version a GetSecretValue request asked for and the stages
// it carries. An empty selector means AWSCURRENT, as in the real service.
func (sec *secret) pick(versionID, stage string) (version, []string, bool) {
	n := len(sec.versions)
	stagesOf := func(i int) []string {
		switch i {
		case n - 1:
			return []string{"AWSCURRENT"}
		case n - 2:
			return []string{"AWSPREVIOUS"}
		}
		return nil
	}
	if n == 0 {
		return version{}, nil, false
	}
	if versionID != "" {
		for i, v := range sec.versions {
			if v.id == versionID {
				st := stagesOf(i)
				if stage != "" && !contains(st, stage) {
					return version{}, nil, false
				}
				return v, st, true
			}
		}
		return version{}, nil, false
	}
	switch stage {
	case "", "AWSCURRENT":
		return sec.versions[n-1], stagesOf(n - 1), true
	case "AWSPREVIOUS":
		if n >= 2 {
			return sec.versions[n-2], stagesOf(n - 2), true
		}
	}
	return version{}, nil, false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func arnPrefix() string {
	return "arn:aws:secretsmanager:" + Region + ":" + AccountID + ":secret:"
}

// randomSuffix mimics the six random characters Secrets Manager appends to
// every ARN, so clients that wrongly build ARNs from names fail in tests too.
func randomSuffix() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// newVersionID returns a random UUID, the shape real VersionIds have.
func newVersionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
