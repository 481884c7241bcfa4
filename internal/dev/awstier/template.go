package awstier

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a SAM template with CloudFormation's short-form tags turned
// into the long form ({"Ref": x}, {"Fn::GetAtt": [r, a]}, {"Fn::FindInMap":
// [...]}), the way internal/dev/deploy reads it, so that values can be
// looked up and resolved against parameter defaults and mappings.
type Template struct {
	root map[string]any
}

// LoadTemplate reads and converts the template at path.
func LoadTemplate(path string) (*Template, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := ParseTemplate(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ParseTemplate converts a template's YAML source.
func ParseTemplate(src []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	v, err := longForm(&doc)
	if err != nil {
		return nil, err
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("top level is %T, want a mapping", v)
	}
	return &Template{root: root}, nil
}

// longForm converts a YAML node, expanding short-form intrinsics: !Ref x ->
// {"Ref": x}, !GetAtt a.b -> {"Fn::GetAtt": [a, b]}, !X v -> {"Fn::X": v}.
func longForm(n *yaml.Node) (any, error) {
	switch {
	case n.Kind == yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, errors.New("empty document")
		}
		return longForm(n.Content[0])
	case n.Kind == yaml.AliasNode:
		return longForm(n.Alias)
	case strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!"):
		key := "Fn::" + n.Tag[1:]
		if n.Tag == "!Ref" || n.Tag == "!Condition" {
			key = n.Tag[1:]
		}
		if n.Kind == yaml.ScalarNode {
			if n.Tag == "!GetAtt" {
				res, attr, _ := strings.Cut(n.Value, ".")
				return map[string]any{key: []any{res, attr}}, nil
			}
			return map[string]any{key: n.Value}, nil
		}
		plain := *n
		plain.Tag = ""
		v, err := longForm(&plain)
		return map[string]any{key: v}, err
	case n.Kind == yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := longForm(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case n.Kind == yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := longForm(c)
			if err != nil {
				return nil, err
			}
			s[i] = v
		}
		return s, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!int", "!!float", "!!bool":
		var v any
		err := n.Decode(&v)
		return v, err
	}
	return n.Value, nil
}

// get walks maps by key; a missing step yields nil.
func get(v any, path ...string) any {
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// Resource returns a resource's definition, nil if there is none.
func (t *Template) Resource(id string) map[string]any {
	m, _ := get(t.root, "Resources", id).(map[string]any)
	return m
}

// ResourcesOfType returns the logical IDs of the resources of a type, sorted.
func (t *Template) ResourcesOfType(typ string) []string {
	var ids []string
	res, _ := get(t.root, "Resources").(map[string]any)
	for id, r := range res {
		if get(r, "Type") == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// ErrUnresolved marks a value that depends on something only a deployment
// knows: a parameter without a default, a resource, a pseudo parameter.
var ErrUnresolved = errors.New("depends on the deployment")

// Resolve evaluates v as a deployment with every parameter at its default
// would: literals as they are, Ref to a parameter as its Default (a
// CommaDelimitedList as []string), Fn::FindInMap through Mappings, with
// nested intrinsics resolved first. Anything else is ErrUnresolved.
func (t *Template) Resolve(v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return v, nil
	}
	if name, ok := m["Ref"].(string); ok {
		param, _ := get(t.root, "Parameters", name).(map[string]any)
		def, has := param["Default"]
		switch {
		case param == nil:
			return nil, fmt.Errorf("reference to %s: %w", name, ErrUnresolved)
		case !has:
			return nil, fmt.Errorf("parameter %s has no default: %w", name, ErrUnresolved)
		}
		if get(param, "Type") == "CommaDelimitedList" {
			s, _ := def.(string)
			return strings.Split(s, ","), nil
		}
		return def, nil
	}
	if args, ok := m["Fn::FindInMap"].([]any); ok {
		if len(args) != 3 {
			return nil, fmt.Errorf("Fn::FindInMap needs 3 arguments, has %d", len(args))
		}
		keys := make([]string, 3)
		for i, a := range args {
			r, err := t.Resolve(a)
			if err != nil {
				return nil, fmt.Errorf("Fn::FindInMap argument %d: %w", i+1, err)
			}
			keys[i] = fmt.Sprint(r)
		}
		val := get(t.root, "Mappings", keys[0], keys[1], keys[2])
		if val == nil {
			return nil, fmt.Errorf("Fn::FindInMap %v: no such entry", keys)
		}
		return val, nil
	}
	for k := range m {
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return nil, fmt.Errorf("%s: %w", k, ErrUnresolved)
		}
	}
	return v, nil
}

// Int resolves v to an integer; CloudFormation writes numbers as YAML
// numbers or as strings (mapping values must be strings).
func (t *Template) Int(v any) (int, error) {
	r, err := t.Resolve(v)
	if err != nil {
		return 0, err
	}
	switch x := r.(type) {
	case int:
		return x, nil
	case string:
		return strconv.Atoi(strings.TrimSpace(x))
	case float64:
		if x == float64(int(x)) {
			return int(x), nil
		}
	}
	return 0, fmt.Errorf("%v (%T) is not an integer", r, r)
}

// String resolves v to a string (numbers and booleans as CloudFormation
// passes them to an environment variable).
func (t *Template) String(v any) (string, error) {
	r, err := t.Resolve(v)
	if err != nil {
		return "", err
	}
	switch x := r.(type) {
	case string:
		return x, nil
	case int, float64, bool:
		return fmt.Sprint(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("%v (%T) is not a scalar", r, r)
}

// getAttTarget returns the resource an {"Fn::GetAtt": [id, attr]} names.
func getAttTarget(v any, attr string) (string, bool) {
	args, _ := get(v, "Fn::GetAtt").([]any)
	if len(args) != 2 || args[1] != attr {
		return "", false
	}
	id, ok := args[0].(string)
	return id, ok
}

// refTarget returns the name a {"Ref": x} names.
func refTarget(v any) (string, bool) {
	s, ok := get(v, "Ref").(string)
	return s, ok
}
