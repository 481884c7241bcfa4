package deploy

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepositoryStandsAlone: someone who clones the repository has nothing
// beside it, so no file may link to or run anything outside it.
func TestRepositoryStandsAlone(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	// Built from parts, so this file does not name them itself.
	outside := []string{".." + "/shared", "SPEC" + ".md", "SPEC" + " section"}
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == ".git" || name == "bin" || name == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for _, s := range outside {
			if strings.Contains(string(raw), s) {
				t.Errorf("%s refers to %q, outside the repository", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d files; the walk missed the repository", checked)
	}
}
