//go:build !devrate

package config

// maxRateLimit is Tencent's limit per app and API: calls per second.
const maxRateLimit = 100
