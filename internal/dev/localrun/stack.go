// Package localrun runs the built function under the AWS Lambda Runtime
// Interface Emulator, wired to the project's stand-ins for Tencent Chat and
// Secrets Manager: what `make run` shows and what the end-to-end tests
// drive. Nothing in it needs Docker or an AWS account. The real-AWS-semantics
// tier (internal/dev/awstier) runs several stacks against one shared
// Tencent stand-in and moto_server instead (Options.SharedTencent, AWS).
package localrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/dev/lambdasize"
	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/signingkey/secretstest"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// FunctionName is the emulated function's name; the emulator puts it in
// the invoked function's ARN (account 012345678912, us-east-1).
const FunctionName = "attr-eraser-local"

// SecretName is the stand-in secret holding the signing key.
const SecretName = "attr-eraser/local-signing-key"

// Options configure a Stack.
type Options struct {
	// Bootstrap and RIE are the paths of the function binary and of the
	// emulator (see Build).
	Bootstrap, RIE string
	// Tencent configures the Tencent Chat stand-in; its zero SDKAppID,
	// Identifier, Key and AttrNames are filled with local defaults.
	Tencent timtest.Config
	// Secret, when set, is the value the Secrets Manager stand-in holds
	// (the bare signing key or the secret's JSON, as in production; see
	// DevSecret). Its key also becomes Tencent.Key when that is nil. Empty
	// means {"key":<Tencent.Key>,"sdkAppId":<Tencent.SDKAppID>}. It does
	// not apply with AWS.
	Secret string
	// Env adds or overrides the function's environment ("KEY=value").
	Env []string
	// Timeout is the function timeout the emulator enforces; zero means 60 s.
	Timeout time.Duration
	// Output, when set, receives everything the emulator and the function
	// print, as they print it.
	Output io.Writer
	// MemoryMB, when set, runs the emulator and the bootstrap it starts in
	// a Lambda-sized group of that MemorySize (internal/dev/lambdasize),
	// told that size. Zero runs them unconfined, told 128 MB.
	MemoryMB int

	// SharedTencent, when set, is a running Tencent Chat stand-in used
	// instead of one started from Tencent, so that several stacks can share
	// it as the instances of one deployment share Tencent's rate limit.
	// Tencent.Key must then be the key it verifies (the secret stand-in
	// holds it) unless AWS is set. Close leaves it running.
	SharedTencent *timtest.Server
	// AWS, when set, replaces the Secrets Manager stand-in with AWS
	// services the caller runs (a moto_server, say). Close leaves them
	// running.
	AWS *AWS
}

// AWS names the AWS services a Stack's function uses instead of the
// Secrets Manager stand-in.
type AWS struct {
	// SecretID is the signing-key secret (SECRET_ID).
	SecretID string
	// Env configures the SDK's default chain ("KEY=value"): region,
	// credentials, AWS_ENDPOINT_URL.
	Env []string
}

// Stack is a running emulator with its stand-ins.
type Stack struct {
	Tencent *timtest.Server
	// Secrets is nil when Options.AWS is set.
	Secrets   *secretstest.Server
	SecretARN string
	// Key is the signing key the stand-ins share (the Tencent stand-in's,
	// when Options.Secret holds another); nil when both are provided by
	// the caller (Options.SharedTencent and Options.AWS).
	Key []byte
	// AuditKey is the key of the audit lines' account hashes, as the
	// function derives it from the secret stand-in (signingkey.AuditKey);
	// nil with Options.AWS.
	AuditKey []byte
	// Group holds the emulator and the bootstrap when Options.MemoryMB is
	// set (nil otherwise): its Stats are theirs. Close closes it.
	Group *lambdasize.Group

	ownTencent bool
	// bootstrapName is the bootstrap's command name (/proc/<pid>/comm).
	bootstrapName string

	invokeURL string
	cmd       *exec.Cmd
	output    *capture.Buffer
	exited    chan struct{}
}

// Start starts the stand-ins and the emulator, and waits until the
// emulator accepts invocations.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	tcfg := opts.Tencent
	if tcfg.SDKAppID == 0 {
		tcfg.SDKAppID = timtest.DefaultSDKAppID
	}
	if tcfg.Identifier == "" {
		tcfg.Identifier = timtest.DefaultIdentifier
	}
	var secret signingkey.Key
	if opts.Secret != "" && opts.AWS == nil {
		var err error
		if secret, err = signingkey.Parse(opts.Secret); err != nil {
			return nil, fmt.Errorf("localrun: Options.Secret: %w", err)
		}
		if tcfg.Key == nil {
			tcfg.Key = secret.Secret
		}
	}
	if tcfg.Key == nil && opts.SharedTencent == nil {
		tcfg.Key = timtest.NewKey()
	}
	if tcfg.AttrNames == nil {
		tcfg.AttrNames = timtest.DefaultAttrNames
	}
	if opts.SharedTencent != nil && opts.AWS == nil && tcfg.Key == nil {
		return nil, errors.New("localrun: SharedTencent without AWS needs Tencent.Key for the secret stand-in")
	}
	s := &Stack{Key: tcfg.Key, output: &capture.Buffer{Tee: opts.Output},
		bootstrapName: commandName(opts.Bootstrap)}
	var err error
	if s.Tencent = opts.SharedTencent; s.Tencent == nil {
		if s.Tencent, err = timtest.Start(tcfg); err != nil {
			return nil, fmt.Errorf("start Tencent Chat stand-in: %w", err)
		}
		s.ownTencent = true
	}
	var awsEnv []string
	if opts.AWS != nil {
		s.SecretARN = opts.AWS.SecretID
		awsEnv = opts.AWS.Env
	} else {
		if s.Secrets, err = secretstest.Start(); err != nil {
			s.Close()
			return nil, fmt.Errorf("start Secrets Manager stand-in: %w", err)
		}
		value := opts.Secret
		if value == "" {
			value = fmt.Sprintf(`{"key":%q,"sdkAppId":%d}`, tcfg.Key, tcfg.SDKAppID)
			secret = signingkey.Key{Secret: tcfg.Key}
		}
		s.SecretARN = s.Secrets.Put(SecretName, value)
		s.AuditKey = signingkey.AuditKey(secret)
		awsEnv = s.Secrets.Env()
	}

	// Another process may take a free port between freeAddr and the
	// emulator's bind: a few attempts, each with fresh ports.
	for attempt := 1; ; attempt++ {
		err = s.startEmulator(ctx, opts, awsEnv)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			s.Close()
			return nil, err
		}
		s.stopEmulator()
		s.cmd, s.Group = nil, nil
	}
}

// errPortTaken says the emulator lost one of its ports to another process.
var errPortTaken = errors.New("a port was taken before the emulator bound it")

// startEmulator starts the emulator on fresh ports, in a Lambda-sized group
// when opts.MemoryMB is set, and waits until it accepts invocations.
func (s *Stack) startEmulator(ctx context.Context, opts Options, awsEnv []string) error {
	invokeAddr, err := freeAddr()
	if err != nil {
		return err
	}
	runtimeAddr, err := freeAddr()
	if err != nil {
		return err
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	s.cmd = exec.Command(opts.RIE,
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
		opts.Bootstrap)
	s.cmd.Env = append(os.Environ(), awsEnv...)
	s.cmd.Env = append(s.cmd.Env,
		"SECRET_ID="+s.SecretARN,
		"TIM_BASE_URL="+s.Tencent.URL(),
		"TIM_REGION=",
		"TIM_SDKAPPID=",
		"TIM_ATTRS=*",
		"LOG_LEVEL=info",
		"AWS_LAMBDA_FUNCTION_NAME="+FunctionName,
		"AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(int(timeout.Seconds())),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
	)
	s.cmd.Env = append(s.cmd.Env, opts.Env...)
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	if opts.MemoryMB != 0 {
		if s.Group, err = lambdasize.New(opts.MemoryMB); err == nil {
			// Wrap also sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE to the size.
			err = s.Group.Wrap(s.cmd)
		}
		if err != nil {
			return err
		}
	}
	cmd, exited, outputMark := s.cmd, make(chan struct{}), len(s.Output())
	if err := cmd.Start(); err != nil {
		s.cmd = nil
		return fmt.Errorf("start the emulator: %w", err)
	}
	s.exited = exited
	go func() { _ = cmd.Wait(); close(exited) }()
	s.invokeURL = "http://" + invokeAddr + "/2015-03-31/functions/function/invocations"
	return s.waitReady(ctx, invokeAddr, outputMark)
}

// Invoke sends one event to the function and returns its raw response: the
// handler's JSON result, or Lambda's {"errorMessage":...} object.
func (s *Stack) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	res, err := s.InvokeRaw(ctx, event)
	if err != nil {
		return nil, err
	}
	if res.Status != http.StatusOK {
		return res.Payload, fmt.Errorf("invoke: HTTP %d: %s", res.Status, res.Payload)
	}
	return res.Payload, nil
}

// Response is the emulator's whole answer to one invocation.
type Response struct {
	// Status is the HTTP status.
	Status int
	// FunctionError is the X-Amz-Function-Error header Lambda's Invoke
	// API sets on a function error. The emulator leaves it out and only
	// answers with the {"errorMessage","errorType"} payload, so callers
	// must look at both.
	FunctionError string
	// Payload is the handler's result or the error object.
	Payload []byte
}

// InvokeRaw sends one event and returns the answer whatever its status;
// the error is for a failed exchange only.
func (s *Stack) InvokeRaw(ctx context.Context, event []byte) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.invokeURL, bytes.NewReader(event))
	if err != nil {
		return Response{}, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("invoke: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 6<<20))
	if err != nil {
		return Response{}, fmt.Errorf("invoke: read response: %w", err)
	}
	return Response{Status: res.StatusCode, FunctionError: res.Header.Get("X-Amz-Function-Error"), Payload: body}, nil
}

// Output returns everything the emulator and the function printed so far.
func (s *Stack) Output() string { return s.output.String() }

// Close stops the emulator and the stand-ins it started.
func (s *Stack) Close() {
	s.stopEmulator()
	if s.Secrets != nil {
		s.Secrets.Close()
	}
	if s.Tencent != nil && s.ownTencent {
		s.Tencent.Close()
	}
}

// stopEmulator stops the emulator and closes its group, if they started.
func (s *Stack) stopEmulator() {
	if s.cmd != nil && s.cmd.Process != nil {
		// SIGTERM first, as Lambda would, so the function can say goodbye.
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(2 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	if s.Group != nil {
		// Kills the bootstrap too, if the emulator left it behind. Close
		// has no error to return; a group left behind must not go unseen.
		if err := s.Group.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "localrun:", err)
		}
	}
}

// waitReady waits until the emulator listens on addr; the emulator's
// output from outputMark on is this start's.
func (s *Stack) waitReady(ctx context.Context, addr string, outputMark int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		ours, err := listensOn(s.cmd.Process.Pid, addr)
		if err != nil && !errors.Is(err, fs.ErrNotExist) { // gone: it exited
			return fmt.Errorf("is the emulator listening: %w", err)
		}
		if ours {
			return nil
		}
		select {
		case <-s.exited:
			if strings.Contains(s.Output()[outputMark:], "address already in use") {
				return fmt.Errorf("%w:\n%s", errPortTaken, s.Output())
			}
			return fmt.Errorf("the emulator exited before it was ready:\n%s", s.Output())
		case <-ctx.Done():
			return errors.New("the emulator did not start listening within 30 s")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// freeAddr asks the kernel for a free loopback port (fixed ports such as
// 9001 and 8080 are often taken). Another process can take it before the
// emulator binds it, so Start retries; tests replace it to make that
// happen.
var freeAddr = freeLoopbackAddr

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
