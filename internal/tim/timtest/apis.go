package timtest

// Family names one of Tencent's two API families in a [Call]. Both are
// served on the same state: attributes removed through one are removed for
// the other, as they are the same push data.
type Family string

// The families.
const (
	// FamilyAllMemberPush is v4/all_member_push.
	FamilyAllMemberPush Family = "all_member_push"

	// FamilyTimPush is v4/timpush, the newer Push service.
	FamilyTimPush Family = "timpush"
)

// Op names what a call does, the same in both families.
type Op string

// The operations.
const (
	// OpRemoveAttr removes push attributes (im_remove_attr, remove_attr).
	OpRemoveAttr Op = "remove_attr"

	// OpGetAttrName lists attribute names (im_get_attr_name,
	// get_attr_name).
	OpGetAttrName Op = "get_attr_name"

	// OpRemoveAllTags removes every push tag of accounts
	// (im_remove_all_tags, clear_all_tags).
	OpRemoveAllTags Op = "remove_all_tags"

	// OpGetAttr reads attributes back (im_get_attr, get_attr).
	OpGetAttr Op = "get_attr"

	// OpGetTag reads tags back (im_get_tag, get_tag).
	OpGetTag Op = "get_tag"
)

// route is what one served path does. Defined here rather than shared with
// package tim, so that the client's table and this one check each other.
type route struct {
	path   string
	family Family
	op     Op
}

// routes is every path the stand-in serves.
var routes = func() map[string]route {
	m := make(map[string]route, 10)
	for _, r := range []route{
		{PathRemoveAttr, FamilyAllMemberPush, OpRemoveAttr},
		{PathGetAttrName, FamilyAllMemberPush, OpGetAttrName},
		{PathRemoveAllTags, FamilyAllMemberPush, OpRemoveAllTags},
		{PathTimPushRemoveAttr, FamilyTimPush, OpRemoveAttr},
		{PathTimPushGetAttrName, FamilyTimPush, OpGetAttrName},
		{PathTimPushClearAllTags, FamilyTimPush, OpRemoveAllTags},
		{PathGetAttr, FamilyAllMemberPush, OpGetAttr},
		{PathGetTag, FamilyAllMemberPush, OpGetTag},
		{PathTimPushGetAttr, FamilyTimPush, OpGetAttr},
		{PathTimPushGetTag, FamilyTimPush, OpGetTag},
	} {
		m[r.path] = r
	}
	return m
}()

// Path returns the path serving op in family f, or "" if there is none.
func Path(f Family, op Op) string {
	for _, r := range routes {
		if r.family == f && r.op == op {
			return r.path
		}
	}
	return ""
}
