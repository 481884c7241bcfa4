package app_test

import (
	"context"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/app"
	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/signingkey/secretstest"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// inProcess is the real handler, built by app.New as main builds it, wired
// to both stand-ins; the AWS SDK reaches the Secrets Manager stand-in
// through the process environment, as in Lambda.
type inProcess struct {
	tencent   *timtest.Server
	secrets   *secretstest.Server
	secretARN string
	h         *sqsq.Handler
	out       *capture.Buffer
}

// startInProcess starts the Tencent stand-in with tcfg, stores secretValue
// as secretName, and builds the handler at debug level (the most output).
// The configuration names the secret by ARN when byARN is set, else by name.
func startInProcess(t *testing.T, tcfg timtest.Config, secretName, secretValue string, byARN bool, opts app.Options) *inProcess {
	t.Helper()
	tencent, err := timtest.Start(tcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tencent.Close)
	secrets, err := secretstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(secrets.Close)
	arn := secrets.Put(secretName, secretValue)
	secrets.SetEnv(t.Setenv)

	secretID := secretName
	if byARN {
		secretID = arn
	}
	env := map[string]string{
		config.EnvSecretID: secretID,
		config.EnvBaseURL:  tencent.URL(),
		config.EnvLogLevel: "debug",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	out := &capture.Buffer{}
	h := app.New(context.Background(), cfg, nil, out, opts)
	return &inProcess{tencent: tencent, secrets: secrets, secretARN: arn, h: h, out: out}
}
