// Package erasure holds the domain types every other package agrees on: what
// an erasure request is, and the limits that come from Tencent Cloud Chat and
// from the message contract.
//
// It has no dependencies beyond the standard library so that the parser, the
// batcher and the Tencent client can all share it without importing each
// other.
package erasure
