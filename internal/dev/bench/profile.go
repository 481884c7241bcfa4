package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/attr-eraser/attr-eraser/internal/app"
	"github.com/attr-eraser/attr-eraser/internal/config"
)

// ProfileLabel marks the function's side of a profile: every goroutine
// the handler starts inherits it, the stand-in's do not, so
// `go tool pprof -tagfocus=side=function` shows the function alone.
const ProfileLabel = "side"

// ProfileCPU writes a CPU profile of the real handler (app.New, as main
// builds it) in process, over batches of shape s, to w: the event decoded
// and the answer encoded as the Lambda runtime does (lambda.NewHandler
// around the handler's Invoke),
// audit lines and metrics written to /dev/null through a file, as to
// stdout. The stand-in (CPURate, CPULatency) runs in this process too,
// unlabelled. A warm-up invocation and one untimed batch come first.
func (h *Harness) ProfileCPU(ctx context.Context, w io.Writer, s CPUShape) error {
	srv, err := h.tencent(CPULatency)
	if err != nil {
		return err
	}
	defer srv.Close()
	env := map[string]string{
		config.EnvBaseURL:   srv.URL(),
		config.EnvSecretID:  h.ARN,
		config.EnvRateLimit: strconv.Itoa(CPURate),
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer devNull.Close()
	handler := lambda.NewHandler(app.New(ctx, cfg, nil, devNull, app.Options{}))

	shape := Shape{Messages: s.Messages, AccountsPerMessage: s.AccountsPerMessage}
	payloads := make([][]byte, s.Batches+1)
	for k := range payloads {
		bodies := make([]string, s.Messages)
		for m := range bodies {
			bodies[m] = shape.Body(fmt.Sprintf("p%d", k), m)
		}
		if payloads[k], err = json.Marshal(lambdaEvents(bodies, s.Messages)[0]); err != nil {
			return err
		}
	}
	invoke := func(id string, payload []byte) error {
		ictx, cancel := lambdaContext(id)
		defer cancel()
		out, err := handler.Invoke(ictx, payload)
		if err != nil {
			return fmt.Errorf("invocation %s: %w", id, err)
		}
		return checkResponse(out)
	}
	// The label is set before the warm-up: the HTTP client's connection
	// goroutines, started then and kept alive, inherit it.
	var runErr error
	pprof.Do(ctx, pprof.Labels(ProfileLabel, "function"), func(context.Context) {
		if runErr = invoke("warm-up", smallEventJSON()); runErr != nil {
			return
		}
		if runErr = invoke("untimed", payloads[0]); runErr != nil {
			return
		}
		time.Sleep(1100 * time.Millisecond) // an empty rate window, as in row 1
		if runErr = pprof.StartCPUProfile(w); runErr != nil {
			return
		}
		defer pprof.StopCPUProfile()
		for k, payload := range payloads[1:] {
			if runErr = invoke("profiled-"+strconv.Itoa(k), payload); runErr != nil {
				return
			}
		}
	})
	return runErr
}
