package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
	"github.com/attr-eraser/attr-eraser/internal/receipts"
	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// devAuditKey is the audit key of the development secret.
func devAuditKey() []byte { return signingkey.AuditKey(localrun.DevKey()) }

// name names the deployment's resources in moto.
const name = "attr-eraser"

// tencentRateLimit is Tencent's limit: calls per second per API for the
// whole app, shared by every instance.
const tencentRateLimit = 100

// tencentLatency is how long the stand-in takes to answer: tens of
// milliseconds, as measured against the real API (the tier's value).
var tencentLatency = timtest.Faults{Latency: 20 * time.Millisecond, LatencyJitter: 30 * time.Millisecond}

// options configure run.
type options struct {
	template, bootstrap, rie string
	scale                    float64
	verbose                  bool
	// fault, when set, names the fault injected into the Tencent stand-in
	// (faults).
	fault string
	// hurry, when closed after the stop, ends invocations in flight at
	// once instead of waiting for them.
	hurry <-chan struct{}
	// ready, when set, is called once everything runs (tests publish
	// through it).
	ready func(*stack)
}

// stack is what run started.
type stack struct {
	settings awstier.Settings
	scaled   awstier.Scaled
	moto     *awstier.Moto
	clients  *awstier.Clients
	tencent  *timtest.Server
	fault    fault
	dep      *awstier.Deployment
	receipts receiptsRoute
	stacks   []*localrun.Stack
	poller   *awstier.Poller
	inFlight atomic.Int32
	out      *printer

	// closers stop what was started, last first (shutdown).
	closers      []func()
	closeOnce    sync.Once
	instancesOff sync.Once
}

// receiptsRoute is the receipts bus and the queue its rule feeds.
type receiptsRoute struct {
	Bus, QueueURL, QueueARN, Rule string
}

// run starts the stack, prints how to use it, and runs until ctx ends;
// then it stops the poller, prints what happened and stops everything.
// Without moto_server it returns awstier.ErrNoMoto.
func run(ctx context.Context, o options, w io.Writer) error {
	if !(o.scale > 0 && o.scale <= 1) {
		return fmt.Errorf("-scale %v: want 0 < scale <= 1", o.scale)
	}
	s := &stack{out: &printer{w: w}}
	if o.fault != "" {
		f, err := faultNamed(o.fault)
		if err != nil {
			return err
		}
		s.fault = f
	}
	tmpl, err := awstier.LoadTemplate(o.template)
	if err != nil {
		return err
	}
	if s.settings, err = tmpl.Settings(); err != nil {
		return fmt.Errorf("%s: %w", o.template, err)
	}
	s.scaled = s.settings.Scale(o.scale)
	sc := s.scaled

	s.out.printf("Starting moto_server, the template's resources and %d emulators ...\n", sc.MaxConcurrency)
	defer s.shutdown()
	if s.moto, err = awstier.StartMoto(ctx); err != nil {
		return s.stopped(ctx, err)
	}
	s.closers = append(s.closers, s.moto.Close)
	s.clients = awstier.NewClients(s.moto.URL)

	key := timtest.NewKey()
	standIn := timtest.Config{Key: key, RateLimit: tencentRateLimit, Faults: tencentLatency}
	if s.fault.otherKey {
		standIn.Key = timtest.NewKey()
	}
	standIn.Faults = s.fault.faults
	standIn.Faults.Latency, standIn.Faults.LatencyJitter = tencentLatency.Latency, tencentLatency.LatencyJitter
	if s.tencent, err = timtest.Start(standIn); err != nil {
		return fmt.Errorf("start the Tencent Chat stand-in: %w", err)
	}
	s.closers = append(s.closers, s.tencent.Close)
	tencentURL := s.tencent.URL()
	if s.fault.refuse {
		front, err := startRefuser(s.tencent)
		if err != nil {
			return err
		}
		s.closers = append(s.closers, front.Close)
		tencentURL = front.url
	}

	// The secret carries the development audit key, so that the hashes of
	// the audit lines are those eraserctl computes from the development
	// secret file, run after run.
	secret := awstier.SecretValueWithAuditKey(key, timtest.DefaultSDKAppID, string(devAuditKey()))
	if s.dep, err = awstier.Deploy(ctx, s.clients, name, sc, s.settings.DetailTypes, secret); err != nil {
		return s.stopped(ctx, err)
	}
	if s.receipts, err = deployReceipts(ctx, s.clients, name+"-receipts"); err != nil {
		return s.stopped(ctx, err)
	}

	env, err := awstier.FunctionEnv(s.settings, sc, s.dep, tencentURL)
	if err != nil {
		return err
	}
	env = append(env, config.EnvReceiptEventBus+"="+s.receipts.Bus)
	// The receipts go to EventBridge: point its service variable at moto
	// too, in case this machine's environment sets one.
	awsEnv := append(s.clients.FunctionEnv(), "AWS_ENDPOINT_URL_EVENTBRIDGE="+s.moto.URL)
	s.closers = append(s.closers, s.closeInstances)
	invokers := make([]awstier.Invoker, sc.MaxConcurrency)
	for i := range sc.MaxConcurrency {
		st, err := localrun.Start(ctx, localrun.Options{
			Bootstrap:     o.bootstrap,
			RIE:           o.rie,
			SharedTencent: s.tencent,
			AWS:           &localrun.AWS{SecretID: s.dep.SecretARN, Env: awsEnv},
			Env:           env,
			Timeout:       sc.FunctionTimeout,
			Output:        &lineWriter{instance: i, out: s.out, verbose: o.verbose},
		})
		if err != nil {
			return s.stopped(ctx, fmt.Errorf("instance %d: %w", i, err))
		}
		s.stacks = append(s.stacks, st)
		invokers[i] = &tracked{instance: i, stack: st, s: s}
	}
	s.poller = &awstier.Poller{
		SQS: s.clients.SQS, QueueURL: s.dep.QueueURL, QueueARN: s.dep.QueueARN,
		BatchSize: sc.BatchSize, Window: sc.BatchingWindow,
		Instances: invokers,
		// The emulator enforces the timeout; this bounds a hung exchange.
		Timeout: sc.FunctionTimeout + 30*time.Second,
		Logf:    func(format string, args ...any) { s.out.linef(format, args...) },
	}
	s.poller.Start()
	s.printBanner(o.template, o.scale)
	if o.ready != nil {
		o.ready(s)
	}

	<-ctx.Done()
	s.stop(context.Cause(ctx), o.hurry)
	err = s.report()
	s.shutdown()
	s.out.printf("\nStopped: the poller, %d emulators, the Tencent stand-in and moto_server.\n", len(s.stacks))
	return err
}

// stopped returns nil for a start cut short by the stop, else err.
func (s *stack) stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, awstier.ErrNoMoto) {
		s.out.printf("Stopped (%v) before the stack was up.\n", context.Cause(ctx))
		return nil
	}
	return err
}

// stop stops the poller: the batch being gathered is dropped, the
// invocations in flight finish and are acknowledged, unless hurry closes.
func (s *stack) stop(cause error, hurry <-chan struct{}) {
	n := s.inFlight.Load()
	s.out.printf("\n== Stopping (%v): the poller takes no new batch", cause)
	if n > 0 {
		s.out.printf("; waiting for %s in flight (up to %s; Ctrl-C again to cut them short)", count(int(n), "invocation"), human(s.scaled.FunctionTimeout))
	}
	s.out.printf(" ==\n")
	done := make(chan struct{})
	go func() {
		select {
		case <-hurry:
			s.out.linef("cutting the invocations in flight short: stopping the emulators")
			s.closeInstances()
		case <-done:
		}
	}()
	s.poller.Stop()
	close(done)
}

// closeInstances stops the emulators, once.
func (s *stack) closeInstances() {
	s.instancesOff.Do(func() {
		for _, st := range s.stacks {
			st.Close()
		}
	})
}

// shutdown stops everything started, last first, once.
func (s *stack) shutdown() {
	s.closeOnce.Do(func() {
		for i := len(s.closers) - 1; i >= 0; i-- {
			s.closers[i]()
		}
	})
}

// deployReceipts creates the receipts bus, a queue, and a rule sending
// every receipt (source attr-eraser) on the bus to the queue.
func deployReceipts(ctx context.Context, c *awstier.Clients, name string) (receiptsRoute, error) {
	r := receiptsRoute{Bus: name, Rule: name + "-rule"}
	var err error
	if r.QueueURL, r.QueueARN, err = createQueue(ctx, c, name); err != nil {
		return r, err
	}
	if _, err := c.Events.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(r.Bus)}); err != nil {
		return r, fmt.Errorf("create the receipts bus: %w", err)
	}
	pattern, _ := json.Marshal(map[string]any{"source": []string{receipts.Source}})
	if _, err := c.Events.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String(r.Rule), EventBusName: aws.String(r.Bus), EventPattern: aws.String(string(pattern)),
	}); err != nil {
		return r, fmt.Errorf("put the receipts rule: %w", err)
	}
	if _, err := c.Events.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String(r.Rule), EventBusName: aws.String(r.Bus),
		Targets: []ebtypes.Target{{Id: aws.String("ReceiptsQueue"), Arn: aws.String(r.QueueARN)}},
	}); err != nil {
		return r, fmt.Errorf("put the receipts rule's target: %w", err)
	}
	return r, nil
}

// tracked is one instance as the poller drives it: it counts the
// invocations in flight and reports a batch that failed as a whole (a
// function error, a timeout, a crash), which the function's summary line
// cannot tell.
type tracked struct {
	instance int
	stack    *localrun.Stack
	s        *stack
}

func (t *tracked) InvokeRaw(ctx context.Context, event []byte) (localrun.Response, error) {
	t.s.inFlight.Add(1)
	defer t.s.inFlight.Add(-1)
	res, err := t.stack.InvokeRaw(ctx, event)
	var ev events.SQSEvent
	_ = json.Unmarshal(event, &ev) // the poller's own JSON
	if v := awstier.Judge(res, err, ev.Records); v.BatchError != "" {
		t.s.out.linef("[%d] the whole batch (%s) failed, it stays in the queue: %.300s", t.instance, count(len(ev.Records), "message"), v.BatchError)
	}
	return res, err
}

func (s *stack) printBanner(template string, scale float64) {
	sc, st := s.scaled, s.settings
	scaleNote := "as deployed"
	if scale != 1 {
		scaleNote = fmt.Sprintf("times x %g, in-flight times x %.4g", sc.Factor, sc.InFlightFactor)
	}
	p := s.out.printf
	p("\n== attr-eraser stack: %s at scale %g (%s) ==\n\n", template, scale, scaleNote)
	p("  function       timeout %s, %d instances (MaximumConcurrency), %s calls/s each, batch %d, window %s\n",
		human(sc.FunctionTimeout), sc.MaxConcurrency, st.Env[config.EnvRateLimit], sc.BatchSize, human(sc.BatchingWindow))
	p("  queue          visibility %s, retention %s; a failed message comes back after min(%s x 2^(n-1), %s);\n",
		human(sc.VisibilityTimeout), human(sc.MessageRetention), human(sc.RetryBase), human(sc.RetryMax))
	p("                 the redrive policy moves it to the DLQ after %d receives; invalid ones go there at once\n", sc.MaxReceiveCount)
	p("\n")
	p("  moto_server    %s  (region %s, account %s, any credentials)\n", s.moto.URL, awstier.Region, awstier.Account)
	p("  queue          %s\n", s.dep.QueueURL)
	p("  DLQ            %s\n", s.dep.DeadLetterURL)
	p("  SNS topic      %s  (RawMessageDelivery false, the template's default)\n", s.dep.Topics[false])
	p("  SNS topic      %s  (RawMessageDelivery true)\n", s.dep.Topics[true])
	if s.dep.Bus != "" {
		p("  event bus      %s  (rule: detail-type %v -> queue)\n", s.dep.Bus, s.dep.DetailTypes)
	}
	p("  receipts bus   %s  (RECEIPT_EVENT_BUS; rule: source %s -> receipts queue)\n", s.receipts.Bus, receipts.Source)
	p("  receipts queue %s\n", s.receipts.QueueURL)
	p("  secret         %s\n", s.dep.SecretARN)
	p("  Tencent        %s  (stand-in: %d calls/s per API, answers in 20-50 ms, attributes %v)\n",
		s.tencent.URL(), tencentRateLimit, timtest.DefaultAttrNames)
	if s.fault.name == "" {
		p("  fault          none (make stack FAULT=rate-limit|flaky|signature|content|outage makes the Tencent stand-in fail)\n")
	} else {
		p("  fault          FAULT=%s: %s\n", s.fault.name, s.fault.does)
	}
	p("  audit key      the development one (auditKeyId %s), so account hashes match the tools:\n", telemetry.KeyID(devAuditKey()))
	p("                 go run ./internal/cmd/eraserctl hash -key-file %s -derive u1\n", localrun.DevSecretFile)
	p("\nTry, in another terminal (AWS CLI v1; the credentials are dummies moto accepts):\n")
	for _, c := range s.tryCommands() {
		p("\n  # %s\n  %s\n", c.what, c.line)
	}
	p("\nOne line per invocation below (-v: everything the emulators print). Ctrl-C: stop and show what happened.\n\n")
}

// tryCommand is a ready-to-paste shell command.
type tryCommand struct {
	what, line string
	// publishes says the command sends an erasure message.
	publishes bool
}

func (s *stack) tryCommands() []tryCommand {
	cli := fmt.Sprintf("AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=%s aws --endpoint-url %s", awstier.Region, s.moto.URL)
	cmds := []tryCommand{
		{what: "an erasure through SNS (the queue gets SNS's envelope; the function unwraps it)", publishes: true,
			line: fmt.Sprintf(`%s sns publish --topic-arn %s --message '{"type":"gdpr.erasure","accounts":["u1","u2"],"eventId":"try-1"}'`, cli, s.dep.Topics[false])},
		{what: "an erasure straight to SQS, naming the attributes to remove", publishes: true,
			line: fmt.Sprintf(`%s sqs send-message --queue-url %s --message-body '{"type":"user.deleted","accounts":["u3"],"attrs":["city","sex"],"eventId":"try-2"}'`, cli, s.dep.QueueURL)},
	}
	if s.dep.Bus != "" {
		detail := `{\"type\":\"user.deleted\",\"accounts\":[\"u4\"],\"eventId\":\"try-3\"}`
		cmds = append(cmds, tryCommand{what: "an erasure through EventBridge (detail = the message)", publishes: true,
			line: fmt.Sprintf(`%s events put-events --entries '[{"EventBusName":"%s","Source":"com.example.accounts","DetailType":"%s","Detail":"%s"}]'`,
				cli, s.dep.Bus, s.dep.DetailTypes[0], detail)})
	}
	if s.fault.refuse {
		cmds = append(cmds, tryCommand{what: "an erasure with the account FAULT=content refuses: u6 erased, the message dead-lettered (class content)", publishes: true,
			line: fmt.Sprintf(`%s sqs send-message --queue-url %s --message-body '{"type":"user.deleted","accounts":["u6","%s"],"eventId":"try-content"}'`, cli, s.dep.QueueURL, refusedAccount)})
	}
	eraserctl := fmt.Sprintf("AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=%s AWS_ENDPOINT_URL=%s go run ./internal/cmd/eraserctl", awstier.Region, s.moto.URL)
	cmds = append(cmds,
		tryCommand{what: "the DLQ by class and reason (eraserctl redrive; add -class retryable to move those back)",
			line: fmt.Sprintf(`%s redrive -dlq-url %s`, eraserctl, s.dep.DeadLetterURL)},
		tryCommand{what: "a backfill of 3 accounts (eraserctl submit; -dry-run only counts)",
			line: fmt.Sprintf(`printf 'b1\nb2\nb3\n' | %s submit -secret-id %s -queue-url %s`, eraserctl, s.dep.SecretARN, s.dep.QueueURL)},
	)
	cmds = append(cmds,
		tryCommand{what: "an invalid message (unknown type): dead-lettered on its first receive, with a Rejected receipt", publishes: true,
			line: fmt.Sprintf(`%s sqs send-message --queue-url %s --message-body '{"type":"user.renamed","accounts":["u5"],"eventId":"try-bad"}'`, cli, s.dep.QueueURL)},
		tryCommand{what: "what sits in the DLQ (--visibility-timeout 0: reading leaves it there)",
			line: fmt.Sprintf(`%s sqs receive-message --queue-url %s --max-number-of-messages 10 --attribute-names All --message-attribute-names All --visibility-timeout 0`, cli, s.dep.DeadLetterURL)},
		tryCommand{what: "the receipts (EventBridge events from the function)",
			line: fmt.Sprintf(`%s sqs receive-message --queue-url %s --max-number-of-messages 10 --visibility-timeout 0`, cli, s.receipts.QueueURL)},
		tryCommand{what: "the queue's depth (visible, in flight, delayed by the retry schedule)",
			line: fmt.Sprintf(`%s sqs get-queue-attributes --queue-url %s --attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible ApproximateNumberOfMessagesDelayed`, cli, s.dep.QueueURL)},
	)
	return cmds
}

// count formats n things.
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// createQueue creates a queue with SQS's defaults and returns its URL and
// ARN.
func createQueue(ctx context.Context, c *awstier.Clients, name string) (url, arn string, err error) {
	out, err := c.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	got, err := c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", fmt.Errorf("queue %s ARN: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

// human formats a duration of the template: in days or hours when it is
// that long, else in seconds (to the millisecond).
func human(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= day && d%day == 0:
		return count(int(d/day), "day")
	case d >= day:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	}
	return strconv.FormatFloat(d.Round(time.Millisecond).Seconds(), 'f', -1, 64) + " s"
}
