package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// awsConfig is the operator's AWS configuration: the SDK's default chain
// (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...), as the AWS CLI uses.
func awsConfig(ctx context.Context) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx)
}
