package signingkey

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
)

// NewFromConfig builds a Provider for secretID on a Secrets Manager client
// from the SDK's default configuration chain, so the Lambda role's
// credentials, AWS_REGION and the standard AWS_ENDPOINT_URL_SECRETS_MANAGER /
// AWS_ENDPOINT_URL overrides all apply without custom settings. Call it once
// per container: the Provider's cache only helps if it outlives invocations.
//
// optFns are passed to config.LoadDefaultConfig (e.g. to limit retries).
// Errors are *Error with Op OpConfig.
func NewFromConfig(ctx context.Context, secretID string, optFns ...func(*config.LoadOptions) error) (*Provider, error) {
	if secretID == "" {
		return nil, &Error{Op: OpConfig, Err: errors.New("secret id is empty (set SECRET_ID)")}
	}
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		return nil, &Error{SecretID: secretID, Op: OpConfig, Err: err}
	}
	return New(cfg, secretID)
}

// New builds a Provider for secretID on a Secrets Manager client from cfg,
// for a caller that shares one AWS configuration among its clients.
func New(cfg aws.Config, secretID string) (*Provider, error) {
	if secretID == "" {
		return nil, &Error{Op: OpConfig, Err: errors.New("secret id is empty (set SECRET_ID)")}
	}
	return &Provider{
		// Reads are bounded by their callers' deadlines (the cutoff, or
		// the end's share of the invocation): retries are brief and never
		// outlive them.
		Client:   secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.Retryer = awsbatch.Retryer() }),
		SecretID: secretID,
	}, nil
}
