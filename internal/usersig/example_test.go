package usersig_test

import (
	"fmt"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/usersig"
)

func ExampleSignature() {
	key := []byte("5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e")
	fmt.Println(usersig.Signature(1400000000, "xiaojun", key, time.Unix(1700000000, 0), 15552000*time.Second))
	// Output: LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=
}

func ExampleCache() {
	var c usersig.Cache // zero value: 24h UserSigs, refreshed 20 min early
	a, _ := c.Get(1400000000, "administrator", []byte("key"))
	b, _ := c.Get(1400000000, "administrator", []byte("key"))
	fmt.Println(a == b)
	// Output: true
}
