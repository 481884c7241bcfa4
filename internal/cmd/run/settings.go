package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/attr-eraser/attr-eraser/internal/config"
)

// wiring are the variables make run sets to connect the function to the
// local stand-ins. A value in the environment is ignored (it is most
// likely left over from other work and would point the function at a real
// service); an argument NAME=value still sets it.
var wiring = []string{config.EnvSecretID, config.EnvBaseURL, config.EnvRegion, config.EnvSDKAppID}

// setting is one variable of the function's environment that differs from
// make run's defaults.
type setting struct {
	name, value, from string
}

// settings returns the function's variables (config.Variables) found in the
// environment, then those given as NAME=value arguments, which win; and the
// wiring variables found in the environment and ignored.
func settings(lookup func(string) (string, bool), args []string) (set []setting, ignored []string, err error) {
	index := map[string]int{}
	add := func(s setting) {
		if i, ok := index[s.name]; ok {
			set[i] = s
			return
		}
		index[s.name] = len(set)
		set = append(set, s)
	}
	for _, name := range config.Variables {
		value, ok := lookup(name)
		switch {
		case !ok:
		case slices.Contains(wiring, name):
			ignored = append(ignored, name)
		default:
			add(setting{name, value, "environment"})
		}
	}
	for _, arg := range args {
		name, value, ok := strings.Cut(arg, "=")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, nil, fmt.Errorf("argument %q: want NAME=value, a variable of the function's environment (%s)",
				arg, strings.Join(config.Variables, ", "))
		}
		add(setting{name, value, "argument"})
	}
	return set, ignored, nil
}

// env returns set as "NAME=value" pairs.
func env(set []setting) []string {
	out := make([]string, len(set))
	for i, s := range set {
		out[i] = s.name + "=" + s.value
	}
	return out
}
