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
