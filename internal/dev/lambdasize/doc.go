// Package lambdasize runs processes the size of a Lambda function: a
// MemorySize of N MB is N MiB of memory, swap included, and N/1769 of one
// CPU (1,769 MB is one vCPU, 128 MB about 7 %). A Group is one uniquely
// named set of cgroups with those limits; Wrap makes a command start inside
// it, children included, and tells it the size through
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE, as the Lambda emulator expects; Stats
// reports the group's peak memory, CPU time and out-of-memory kills.
//
// cgroup v1 (memory, cpu and cpuacct hierarchies) and v2 (memory and cpu
// controllers) are both supported; v1 is used when its memory hierarchy is
// mounted, since a controller is in one of them only. Making groups needs
// root (or a writable delegated hierarchy); Available says why it cannot.
// Tests use Require, which skips loudly when groups cannot be made, and
// fails instead under CI=true as root.
//
// It is a development tool: nothing that ships imports it.
package lambdasize
