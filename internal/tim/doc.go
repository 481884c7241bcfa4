// Package tim is a client for the two Tencent Cloud Chat REST APIs the
// function uses: v4/all_member_push/im_remove_attr and im_get_attr_name.
//
// One Client call is one HTTP request. Retrying, rate limiting and splitting
// are the caller's business; Classify tells the caller what an error means.
package tim
