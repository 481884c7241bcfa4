package timtest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
	"github.com/attr-eraser/attr-eraser/internal/usersig"
)

func Example() {
	key := []byte("secret")
	s, err := timtest.Start(timtest.Config{Key: key}) // 127.0.0.1, a free port
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	sig, _ := usersig.Generate(timtest.DefaultSDKAppID, timtest.DefaultIdentifier, key, time.Now(), time.Hour)
	q := url.Values{
		"sdkappid":    {fmt.Sprint(timtest.DefaultSDKAppID)},
		"identifier":  {timtest.DefaultIdentifier},
		"usersig":     {sig},
		"random":      {"12345"},
		"contenttype": {"json"},
	}
	body := `{"UserAttrs":[{"To_Account":"u1","Attrs":["sex","city"]}]}`
	resp, err := http.Post(s.URL()+timtest.PathRemoveAttr+"?"+q.Encode(), "application/json", strings.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	fmt.Println(s.Removed("u1"), s.Stats().RemoveCalls)
	// Output: [city sex] 1
}

func ExampleServer_SetTags() {
	key := []byte("secret")
	s, err := timtest.Start(timtest.Config{Key: key})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	s.SetTags("u1", "vip", "beta")

	sig, _ := usersig.Generate(timtest.DefaultSDKAppID, timtest.DefaultIdentifier, key, time.Now(), time.Hour)
	q := url.Values{
		"sdkappid":    {fmt.Sprint(timtest.DefaultSDKAppID)},
		"identifier":  {timtest.DefaultIdentifier},
		"usersig":     {sig},
		"random":      {"12345"},
		"contenttype": {"json"},
	}
	resp, err := http.Post(s.URL()+timtest.PathTimPushClearAllTags+"?"+q.Encode(), "application/json", strings.NewReader(`{"To_Account":["u1"]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	c := s.AllCalls()[0]
	fmt.Println(s.Tags("u1"), s.TagsCleared("u1"), c.Family, c.Op)
	// Output: [] 1 timpush remove_all_tags
}
