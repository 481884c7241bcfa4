// Command bootstrap is the attr-eraser Lambda function: it erases users'
// push attributes in Tencent Cloud Chat for the accounts named in SQS
// messages. Everything but the wiring lives in internal/.
package main

import (
	"context"
	"os"
	"runtime/debug"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/attr-eraser/attr-eraser/internal/app"
	"github.com/attr-eraser/attr-eraser/internal/config"
)

func main() {
	ctx := context.Background()
	if limit := app.GoMemoryLimit(lambdacontext.MemoryLimitInMB); limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	cfg, cfgErr := config.Load(os.Getenv)
	h := app.New(ctx, cfg, cfgErr, os.Stdout, app.Options{})
	// h decodes the event itself (sqsq.Handler.Invoke): cheaper than
	// aws-lambda-go's decoding of events.SQSEvent, with the same answers.
	lambda.StartWithOptions(h, lambda.WithContext(ctx), lambda.WithEnableSIGTERM(func() {
		// Every line is written to stdout before its invocation returns,
		// so there is nothing to flush. Lambda sends SIGTERM only between
		// invocations; exiting at once spares it the wait before SIGKILL.
		h.Eraser.Logger.Info("SIGTERM received; shutting down")
		os.Exit(0)
	}))
}
