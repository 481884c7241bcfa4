// Package tim is a client for the Tencent Cloud Chat REST APIs the function
// uses: removing users' push attributes, listing the app's attribute names,
// removing every push tag of users, and reading attributes and tags back to
// verify an erasure.
//
// Tencent serves these in two families with the same query, limits and
// answers: v4/all_member_push (im_remove_attr, im_get_attr_name,
// im_remove_all_tags, im_get_attr, im_get_tag), the default, and v4/timpush
// (remove_attr, get_attr_name, clear_all_tags, get_attr, get_tag). Client.Family picks one; an Operation
// names a call whatever the family.
//
// One Client call is one HTTP request. Retrying, rate limiting and splitting
// are the caller's business; Classify tells the caller what an error means.
package tim
