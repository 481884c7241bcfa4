package localrun

import (
	_ "embed" // DevSecret
	"fmt"

	"github.com/attr-eraser/attr-eraser/internal/signingkey"
)

// DevSecret is the development secret of `make run`: a fixed signing key and
// audit key, so that the account hashes of its audit lines are the same on
// every run and eraserctl hash can recompute them from DevSecretFile. They are
// development keys, not for production: they are public in this repository.
//
//go:embed dev-secret.json
var DevSecret string

// DevSecretFile is where DevSecret lives, relative to the module root, for
// `eraserctl hash -key-file DevSecretFile -derive`.
const DevSecretFile = "internal/dev/localrun/dev-secret.json"

// DevKey returns DevSecret parsed as the function parses its secret.
func DevKey() signingkey.Key {
	k, err := signingkey.Parse(DevSecret)
	if err != nil {
		// Unreachable: a test parses the embedded file.
		panic(fmt.Sprintf("localrun: %s: %v", DevSecretFile, err))
	}
	return k
}
