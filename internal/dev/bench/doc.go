// Package bench is the performance suite behind `make bench` (the command
// internal/cmd/bench, which prints one table): throughput at Tencent's
// ceiling against the stand-in, a naive baseline in the same run, the CPU
// and memory cost of parsing and planning, cold start under the Runtime
// Interface Emulator, the release binary's size and peak RSS, and the cost
// of an attribute-name lookup. The README's Performance section shows the
// headline table; this is how each of its rows is measured, how much they
// vary between runs, and why the function reaches the ceiling.
//
// Tencent allows 100 calls per second of 100 accounts per SDKAppID, so
// 10,000 accounts per second is the ceiling; efficiency is accounts/s
// divided by 10,000.
//
// # How each row is measured
//
// The command prints a shorter form of this under its table.
//
//  1. Throughput: the real handler, built by app.New as main builds it, in
//     process, against the Tencent stand-in enforcing 100 calls/s (a
//     sliding one-second window answering 60018 above it) with 30 ms or
//     100 ms added latency, RATE_LIMIT_PER_SECOND=100, the secret read
//     through the AWS SDK from the Secrets Manager stand-in; after a
//     warm-up, 5 batches back to back, accounts the stand-in removed
//     divided by the wall time of those 5 Handle calls (parse, planning,
//     the latency tail and audit logging all count). Shapes: (a) 100
//     messages of 100 accounts, (b) 10,000 messages of 1 account.
//  2. The naive consumer: one im_remove_attr per message, sequential, on
//     the same stand-in; its rate, measured on a sample of 30 or 300
//     messages, does not depend on batch size.
//  3. testing.Benchmark of erasure.Parse + eraser.NewPlan + eraser.Pack over
//     a 10,000-account batch, divided by 10,000.
//  4. The bootstrap under the Runtime Interface Emulator, 5 fresh starts,
//     the emulator's INIT REPORT.
//  5. The arm64 release binary as `sam build` builds it; VmHWM of the
//     bootstrap under the emulator after a 10,000-message (4.2 MB) batch.
//     Cold start and RSS use this machine's amd64 build; only the size is
//     the arm64 binary's. The size target was 10 MB; it is 11.5 MB since
//     the function grew to 10.29 MB and the check of the event source
//     mapping (SPEC 8.12) will link the Lambda SDK client
//     (github.com/aws/aws-sdk-go-v2/service/lambda v1.117.0): a throwaway
//     build of today's function calling ListEventSourceMappings measured
//     11,075,746 bytes against 10,289,314 without it (+0.79 MB), which
//     leaves about 0.4 MB to grow.
//  6. The real handler on a fresh stand-in (100 calls/s), warm and idle
//     1.1 s, then one batch of 3 × 10,000 accounts (300 calls), once with
//     the app's attribute names expired (so the batch looks them up first)
//     and once with them cached, alternating, three of each, medians. Each
//     Tencent API has its own rate window, so the lookup costs one round
//     trip, not a window: with a single shared window the same row
//     measured +33.2 % (30 ms) and +13.6 % (100 ms), because the lookup
//     pushed the 300th call into a fourth window.
//
// Rows added to the suite later describe their method beside their code.
//
// Row 3 is also a regular Go benchmark:
//
//	go test -run '^$' -bench ParsePlan -benchmem ./internal/dev/bench
//
// # Spread
//
// Over three consecutive runs of `make bench` on the project's 2-core
// machine (min / median / max):
//
//	efficiency (a) 100×100, 30 ms          0.957 / 0.962 / 0.964
//	efficiency (b) 10,000×1, 30 ms         0.979 / 0.986 / 0.991
//	efficiency (a) 100×100, 100 ms         0.958 / 0.961 / 0.963
//	efficiency (b) 10,000×1, 100 ms        0.990 / 0.992 / 0.996
//	stand-in rate-limit rejections         0 in every row of every run
//	ratio vs baseline (b), 30 ms           306.3 / 309.2 / 310.0×
//	ratio vs baseline (b), 100 ms          1,003.9 / 1,006.2 / 1,010.9×
//	parse + plan (b), per account          2,100 / 2,148 / 2,183 ns; 301 B; 3.00 allocs
//	init, median of 5 starts               15.7 / 15.8 / 16.7 ms
//	release binary                         9.31 MB every run
//	peak RSS, 10,000-message batch         47.4 / 50.1 / 50.5 MiB
//
// # Why it reaches the ceiling
//
// Accounts of all messages are merged and packed 100 to a call; up to 16
// calls are in flight, enough for 100 calls/s at 100 ms latency; and the
// rate limiter is a sliding window (internal/ratelimit) that admits at
// most RATE_LIMIT_PER_SECOND calls in any window of 1 s + 40 ms, each
// counted from the moment its request was written to the connection
// (reported by net/http/httptrace), so a slow TLS handshake cannot bunch
// calls together on their way to Tencent.
//
// A token bucket would have to choose: burst 1 wastes every moment no call
// is ready (measured with burst 1: efficiency 0.83 to 0.95), a larger burst
// lets more than 100 calls into one second. The 40 ms margin absorbs
// uneven network delay, which can bring two calls written one second apart
// to Tencent less than a second apart; it costs about 4 % of the ceiling,
// which is why a 100-account shape settles near 0.96. The
// 10,000-single-account shape reads slightly higher because each batch
// starts with slots its predecessor's latency tail left free.
//
// In a deployment the template divides the 100 calls/s between the
// concurrent instances, so one instance reaches 100 / MaxConcurrency of
// it.
package bench
