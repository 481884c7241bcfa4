// Package secretstest is an in-process stand-in for AWS Secrets Manager that
// the real aws-sdk-go-v2 client can talk to, in the spirit of
// net/http/httptest: tests exercise the same code path production uses
// (endpoint resolution, SigV4 signing, awsJson1.1 serde, typed errors)
// without network access or credentials.
//
// Only GetSecretValue is implemented; it is the one call the function makes.
//
// A client reaches the stub through the SDK's standard endpoint override, so
// nothing in production code needs a test hook:
//
//	srv, err := secretstest.Start()
//	if err != nil { ... }
//	defer srv.Close()
//	arn := srv.Put("tim/signing-key", `{"key":"..."}`)
//	srv.SetEnv(t.Setenv)
//	cfg, _ := config.LoadDefaultConfig(ctx) // now points at the stub
//
// Env is also suitable for exec.Cmd.Env when the function binary runs under
// the Lambda Runtime Interface Emulator.
package secretstest
