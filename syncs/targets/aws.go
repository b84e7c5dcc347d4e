package targets

import (
	"errors"
	"os"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	sb "switchboard"
)

// AWS targets go through the official SDK (aws-sdk-go-v2), which signs every
// request with SigV4. The endpoint is the auth's url when set, else the
// standard AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL variable (how
// tests and LocalStack-style setups point the SDK elsewhere), else AWS's own.
// The SDK does not retry: the sync engine does, with its own backoff.

var awsRegion = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)

func validateRegion(v sb.Validation, s *Spec) {
	s.Region = strings.TrimSpace(s.Region)
	if s.Region == "" {
		v.Add("region", "Required: the AWS region, for example us-east-1")
	} else if !awsRegion.MatchString(s.Region) {
		v.Add("region", "Invalid AWS region")
	}
}

func awsEndpoint(c *Call, envService string) *string {
	if u := strings.TrimSpace(c.Creds.URL); u != "" {
		return aws.String(u)
	}
	for _, name := range []string{"AWS_ENDPOINT_URL_" + envService, "AWS_ENDPOINT_URL"} {
		if u := os.Getenv(name); u != "" {
			return aws.String(u)
		}
	}
	return nil
}

func awsCredentials(c *Call) aws.CredentialsProvider {
	return aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(c.Creds.AccessID, c.Creds.AccessToken, ""))
}

// awsErr turns an SDK error into a VendorError with AWS's code and message.
func awsErr(vendor, op string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &VendorError{Vendor: vendor, Message: op + ": " + ae.ErrorCode() + ": " + ae.ErrorMessage()}
	}
	return &VendorError{Vendor: vendor, Message: op + ": " + err.Error()}
}

func awsErrCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func validateTags(v sb.Validation, s *Spec) {
	for _, t := range s.Metadata.SecretAWSTag {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			v.Add("metadata.secretAWSTag", "each tag needs a key (1–128 characters) and a value of at most 256 characters")
			return
		}
	}
}
