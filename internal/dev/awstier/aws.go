package awstier

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Region and Account are those of every ARN moto issues. Account is the
// one the Lambda emulator puts in the invoked function's ARN (it is fixed
// there), and moto is started in it, so that the function's wiring check
// finds its event source mapping.
const (
	Region  = "us-east-1"
	Account = "012345678912"
)

// Clients are the AWS service clients the tier uses, all pointed at one
// endpoint with static test credentials.
type Clients struct {
	Endpoint string
	SQS      *sqs.Client
	SNS      *sns.Client
	Events   *eventbridge.Client
	Secrets  *secretsmanager.Client
	Lambda   *lambda.Client
}

// NewClients returns clients for the AWS endpoint at url (a moto_server).
// The configuration is built by hand rather than by the SDK's default
// chain, so nothing in the developer's environment or ~/.aws can point the
// tier at a real account.
func NewClients(url string) *Clients {
	cfg := aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(url),
	}
	return &Clients{
		Endpoint: url,
		SQS:      sqs.NewFromConfig(cfg),
		SNS:      sns.NewFromConfig(cfg),
		Events:   eventbridge.NewFromConfig(cfg),
		Secrets:  secretsmanager.NewFromConfig(cfg),
		Lambda:   lambda.NewFromConfig(cfg),
	}
}

// FunctionEnv is the environment that points the function's SDK default
// chain (Secrets Manager, SQS, EventBridge) at the same endpoint, and away
// from any profile, credentials file or instance metadata of this machine.
func (c *Clients) FunctionEnv() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + c.Endpoint,
		// Service-specific variables win over AWS_ENDPOINT_URL: set them
		// too, in case the developer's environment has one.
		"AWS_ENDPOINT_URL_SQS=" + c.Endpoint,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + c.Endpoint,
		"AWS_ENDPOINT_URL_EVENTBRIDGE=" + c.Endpoint, // receipts
		"AWS_ENDPOINT_URL_LAMBDA=" + c.Endpoint,      // the wiring check
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false",
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_SESSION_TOKEN=",
		"AWS_PROFILE=",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}
