package awstier_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// TestAttrNames: the app's attribute names misbehave while the function
// runs, and a message is dead-lettered only for its own fault (issue 20,
// items 1 and 2).
//
//  1. im_get_attr_name fails. "nosuch" names {shared, attrs:[nosuch]};
//     "sex" names {shared, b, attrs:[sex]}. Both are held (delayed, never
//     sent, never dead-lettered) until the names can be read; then
//     "nosuch" is dead-lettered as invalid on its own and "sex" is erased.
//  2. Every instance has cached the names; `city` is then deleted in the
//     console. "default" {v1, v2} relies on the app's names and is erased
//     of the others; "city" {v1, attrs:[city]} is dead-lettered (content
//     when its instance learnt of the deletion from Tencent's 90033,
//     invalid when it had already read the names since).
func TestAttrNames(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "names")
	sc := tier.scaled
	all := timtest.DefaultAttrNames
	published := map[string]string{} // eventId -> id its route gave it
	publish := func(i int, m awstier.Erasure) {
		published[m.EventID] = s.publish(awstier.Routes[i%len(awstier.Routes)], m.JSON(), i, false)
	}

	// Phase 1: the names cannot be read.
	s.tencent.FailAttrNames(timtest.CodeInternal)
	publish(0, awstier.Erasure{Type: "gdpr.erasure", Accounts: []string{"names-shared"}, Attrs: []string{"nosuch"}, EventID: "nosuch"})
	publish(1, awstier.Erasure{Type: "gdpr.erasure", Accounts: []string{"names-shared", "names-b"}, Attrs: []string{"sex"}, EventID: "sex"})
	s.poller.Start()
	held := s.waitFor("both messages held twice", time.Minute, func() bool {
		_, ds := s.deliveries()
		per := receivesPerEvent(ds)
		return per["nosuch"] >= 2 && per["sex"] >= 2
	})
	if st := s.tencent.Stats(); st.RemoveCalls != 0 {
		t.Errorf("%d im_remove_attr calls while the names could not be read; a name must not be sent unchecked", st.RemoveCalls)
	}
	s.tencent.FailAttrNames(0)
	readable := time.Now()
	s.waitFor("the sex message erased", drainTimeout(), func() bool {
		return slices.Contains(s.tencent.Removed("names-b"), "sex") && slices.Contains(s.tencent.Removed("names-shared"), "sex")
	})
	s.waitFor("the queue drained", drainTimeout(), s.drained)

	// Every instance reads the names and caches them (a minute).
	warmups := 0
	for ; !s.everyInstanceInvokedSince(readable); warmups++ {
		i := warmups
		if i == 12 {
			t.Fatalf("not every one of %d instances was invoked after the names could be read", sc.MaxConcurrency)
		}
		warm := awstier.Erasure{Type: "user.deleted", Accounts: []string{fmt.Sprintf("names-warm-%d", i)}, EventID: fmt.Sprintf("warm-%d", i)}
		publish(i, warm)
		s.waitFor("a warm-up message erased", drainTimeout(), func() bool { return len(s.tencent.Removed(warm.Accounts[0])) == len(all) })
	}

	// Phase 2: city deleted in the console.
	before := s.tencent.Stats()
	left := slices.DeleteFunc(slices.Clone(all), func(n string) bool { return n == "city" })
	s.tencent.SetAttrNames(left...)
	publish(2, awstier.Erasure{Type: "user.deleted", Accounts: []string{"names-v1", "names-v2"}, EventID: "default"})
	publish(3, awstier.Erasure{Type: "gdpr.erasure", Accounts: []string{"names-v1"}, Attrs: []string{"city"}, EventID: "city"})
	slices.Sort(left)
	s.waitFor("the default message erased of the names left", drainTimeout(), func() bool {
		return slices.Equal(s.tencent.Removed("names-v1"), left) && slices.Equal(s.tencent.Removed("names-v2"), left)
	})
	s.waitFor("the queue drained", drainTimeout(), s.drained)
	s.poller.Stop()
	after := s.tencent.Stats()
	if n := after.Rejected[timtest.CodeInvalidAttr] - before.Rejected[timtest.CodeInvalidAttr]; n == 0 {
		t.Errorf("no call was rejected for the deleted name: the stale cache was not exercised")
	}

	// The dead letters: exactly the two messages at fault.
	want := map[string][]string{"nosuch": {string(erasure.Invalid)}, "city": {string(erasure.Content), string(erasure.Invalid)}}
	got := map[string]string{}
	for _, m := range s.deadLetters() {
		req, _ := erasure.Parse(aws.ToString(m.Body))
		attrs := attrStrings(m)
		got[req.EventID] = attrs[sqsq.AttrClass]
		if classes, ok := want[req.EventID]; !ok || !slices.Contains(classes, attrs[sqsq.AttrClass]) {
			t.Errorf("dead letter %q: class %s (%s), want one of %v", req.EventID, attrs[sqsq.AttrClass], attrs[sqsq.AttrReason], classes)
		}
		t.Logf("names: dead letter %q: class %s, reason %q", req.EventID, attrs[sqsq.AttrClass], attrs[sqsq.AttrReason])
	}
	for id := range want {
		if _, ok := got[id]; !ok {
			t.Errorf("message %q is not in the DLQ", id)
		}
	}
	_, ds := s.deliveries()
	per := receivesPerEvent(ds)
	var receives []string
	for _, id := range []string{"nosuch", "sex", "default", "city"} {
		receives = append(receives, id+":"+strconv.Itoa(per[id]))
	}
	t.Logf("names: held %v while the names could not be read; %d warm-up messages; receives %s; %d 90033 answers and %d lookups after city was deleted",
		held.Round(time.Millisecond), warmups, strings.Join(receives, " "), after.Rejected[timtest.CodeInvalidAttr]-before.Rejected[timtest.CodeInvalidAttr], after.AttrNameCalls-before.AttrNameCalls)
}

// everyInstanceInvokedSince tells whether every instance had an invocation
// with records that began at or after since.
func (s *scenario) everyInstanceInvokedSince(since time.Time) bool {
	seen := map[int]bool{}
	for _, inv := range s.poller.Invocations() {
		if len(inv.Records) > 0 && !inv.Start.Before(since) {
			seen[inv.Instance] = true
		}
	}
	return len(seen) == tier.scaled.MaxConcurrency
}
