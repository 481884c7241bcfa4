//go:build devrate

package config

// maxRateLimit lets a development build (go build -tags devrate) call a
// stand-in far faster than Tencent allows, so that the tests of the
// function's memory can send the largest batch's 7,100 calls in seconds:
// the rate changes nothing the function holds in memory. Release builds
// never have this tag.
const maxRateLimit = 1_000_000
