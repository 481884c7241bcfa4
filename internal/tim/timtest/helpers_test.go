package timtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/dev/fakeclock"
	"github.com/attr-eraser/attr-eraser/internal/usersig"
)

// The test app. The key is Tencent's published vector key, used as ASCII.
const (
	testAppID = 1400000000
	testAdmin = "administrator"
	testKey   = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
)

// epoch is the fake clock's start; any fixed time works.
var epoch = time.Unix(1800000000, 0)

func newClock() *fakeclock.Clock { return fakeclock.New(epoch) }

// start runs a stand-in for the test app with cfg's zero fields filled in
// for it, and closes it when the test ends.
func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Key == nil {
		cfg.Key = []byte(testKey)
	}
	if cfg.Now == nil {
		cfg.Now = newClock().Now
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// sign makes a UserSig with the project's generator: the round trip this
// package exists to check.
func sign(t *testing.T, appID uint64, id, key string, issued time.Time, expire time.Duration) string {
	t.Helper()
	us, err := usersig.Generate(appID, id, []byte(key), issued, expire)
	if err != nil {
		t.Fatalf("usersig.Generate: %v", err)
	}
	return us
}

// query is a valid query for the test app at epoch; tests override fields.
func query(t *testing.T) url.Values {
	return url.Values{
		"sdkappid":    {"1400000000"},
		"identifier":  {testAdmin},
		"usersig":     {sign(t, testAppID, testAdmin, testKey, epoch, time.Hour)},
		"random":      {"4294967295"},
		"contenttype": {"json"},
	}
}

// result is the HTTP status, raw body and decoded answer of a call.
type result struct {
	Status int
	Body   string
	Reply  struct {
		ActionStatus string
		ErrorCode    int
		ErrorInfo    string
		ErrorList    []struct {
			Account   string `json:"To_Account"`
			ErrorCode int
		}
		AttrNames map[string]string
	}
}

// post sends one API call. net/http never retries a POST on a fresh
// connection error, so a reset surfaces as err.
func post(t *testing.T, s *Server, path string, q url.Values, body string) (result, error) {
	t.Helper()
	resp, err := http.Post(s.URL()+path+"?"+q.Encode(), "application/json", strings.NewReader(body))
	if err != nil {
		return result{}, err
	}
	return readResult(t, resp)
}

// readResult reads and closes an answer; a 200 must be JSON.
func readResult(t *testing.T, resp *http.Response) (result, error) {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	r := result{Status: resp.StatusCode, Body: string(b)}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &r.Reply); err != nil {
			t.Fatalf("answer is not JSON: %v: %s", err, b)
		}
	}
	return r, nil
}

// mustPost is post for calls that must get an HTTP answer.
func mustPost(t *testing.T, s *Server, path string, q url.Values, body string) result {
	t.Helper()
	r, err := post(t, s, path, q, body)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return r
}

// removeBody builds an im_remove_attr body for accounts, all with attrs.
func removeBody(attrs []string, accounts ...string) string {
	type ua struct {
		Account string   `json:"To_Account"`
		Attrs   []string `json:"Attrs"`
	}
	var req struct{ UserAttrs []ua }
	for _, a := range accounts {
		req.UserAttrs = append(req.UserAttrs, ua{a, attrs})
	}
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(req)
	return b.String()
}
