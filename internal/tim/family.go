package tim

import (
	"fmt"
	"strings"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// Family is one of Tencent's two API families serving the same push data
// with the same query, limits and answers, under different paths. The zero
// value means AllMemberPush, so a Client that never names one keeps the
// paths it always used.
type Family string

// The families.
const (
	// AllMemberPush is v4/all_member_push, the default.
	AllMemberPush Family = "all_member_push"
	// TimPush is v4/timpush, the newer Push service.
	TimPush Family = "timpush"
)

// Operation names what a call does, whatever the family. Its values are the
// keys of a caller's per-API rate windows: a Client uses exactly one family,
// so each Operation stands for exactly one of its APIs.
type Operation string

// The operations.
const (
	// OpRemoveAttr removes attributes of up to 100 accounts.
	OpRemoveAttr Operation = "remove_attr"
	// OpGetAttrName lists the app's attribute names.
	OpGetAttrName Operation = "get_attr_name"
	// OpRemoveAllTags removes every tag of up to 100 accounts.
	OpRemoveAllTags Operation = "remove_all_tags"
	// OpGetAttr reads the attributes of up to 100 accounts back.
	OpGetAttr Operation = "get_attr"
	// OpGetTag reads the tags of up to 100 accounts back.
	OpGetTag Operation = "get_tag"
)

// API paths, relative to the base URL. pathRemoveAttr and pathGetAttrName
// keep their names from before the families; they are all_member_push's.
const (
	pathRemoveAttr    = "/v4/all_member_push/im_remove_attr"
	pathGetAttrName   = "/v4/all_member_push/im_get_attr_name"
	pathRemoveAllTags = "/v4/all_member_push/im_remove_all_tags"
	pathGetAttr       = "/v4/all_member_push/im_get_attr"
	pathGetTag        = "/v4/all_member_push/im_get_tag"

	pathTimPushRemoveAttr   = "/v4/timpush/remove_attr"
	pathTimPushGetAttrName  = "/v4/timpush/get_attr_name"
	pathTimPushClearAllTags = "/v4/timpush/clear_all_tags"
	pathTimPushGetAttr      = "/v4/timpush/get_attr"
	pathTimPushGetTag       = "/v4/timpush/get_tag"
)

// paths is the one table of which path serves which operation.
var paths = map[Family]map[Operation]string{
	AllMemberPush: {
		OpRemoveAttr:    pathRemoveAttr,
		OpGetAttrName:   pathGetAttrName,
		OpRemoveAllTags: pathRemoveAllTags,
		OpGetAttr:       pathGetAttr,
		OpGetTag:        pathGetTag,
	},
	TimPush: {
		OpRemoveAttr:    pathTimPushRemoveAttr,
		OpGetAttrName:   pathTimPushGetAttrName,
		OpRemoveAllTags: pathTimPushClearAllTags,
		OpGetAttr:       pathTimPushGetAttr,
		OpGetTag:        pathTimPushGetTag,
	},
}

// operations returns every operation, in a fixed order, for a caller that
// sets up one rate window per API.
func operations() []Operation {
	return []Operation{OpRemoveAttr, OpGetAttrName, OpRemoveAllTags, OpGetAttr, OpGetTag}
}

// ParseFamily reads a family name, as in configuration. The empty string is
// the zero Family, AllMemberPush; case is ignored.
func ParseFamily(s string) (Family, error) {
	f := Family(strings.ToLower(s)).orDefault()
	if _, ok := paths[f]; !ok {
		return "", &familyError{Value: s}
	}
	return f, nil
}

// String returns the family's name; the zero Family is "all_member_push".
func (f Family) String() string { return string(f.orDefault()) }

// Path returns the path of op in f, or "" if f or op is not one of this
// package's.
func (f Family) Path(op Operation) string { return paths[f.orDefault()][op] }

// apiName returns the name Tencent gives op in f, such as "im_remove_attr"
// or "clear_all_tags": the last element of its path, and the Op of the
// errors of such a call. It is "" where Path is.
func (f Family) apiName(op Operation) string {
	p := f.Path(op)
	return p[strings.LastIndexByte(p, '/')+1:]
}

func (f Family) orDefault() Family {
	if f == "" {
		return AllMemberPush
	}
	return f
}

// familyError is a family name that is neither all_member_push nor timpush,
// from ParseFamily or in Client.Family; no request is made with it.
type familyError struct {
	Value string
}

func (e *familyError) Error() string {
	return fmt.Sprintf("tim: API family %q is neither %s nor %s", erasure.Truncate(e.Value, 32), AllMemberPush, TimPush)
}
