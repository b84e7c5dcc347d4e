package targets

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	sb "switchboard"
)

// ParameterStore writes each secret as a SecureString parameter named
// path + key (path "/a/b/", or the bare key when there is none), encrypted
// with kmsKeyId when given, tagged with secretAWSTag.
type ParameterStore struct{}

func init() {
	register(Info{Slug: "aws-parameter-store", Title: "AWS Systems Manager Parameter Store", Auth: "accessId = access key id, accessToken = secret access key",
		Fields: []string{"region", "path"}, ConnectionApp: "aws", New: func() Target { return ParameterStore{} }})
}

// Validate implements Target.
func (ParameterStore) Validate(v sb.Validation, s *Spec) {
	validateRegion(v, s)
	s.Path = strings.TrimSpace(s.Path)
	if s.Path != "" && (!strings.HasPrefix(s.Path, "/") || !strings.HasSuffix(s.Path, "/") || strings.Contains(s.Path, "//")) {
		v.Add("path", "must start and end with / (for example /app/prod/)")
	}
	validateTags(v, s)
}

func (ParameterStore) client(c *Call) *ssm.Client {
	return ssm.New(ssm.Options{Region: c.Spec.Region, Credentials: awsCredentials(c), HTTPClient: c.HTTP,
		BaseEndpoint: awsEndpoint(c, "SSM"), Retryer: aws.NopRetryer{}})
}

func (ParameterStore) name(c *Call, key string) string { return c.Spec.Path + key }

// List implements Target: the parameters directly under path.
func (t ParameterStore) List(ctx context.Context, c *Call) (map[string]Existing, error) {
	cl := t.client(c)
	path := c.Spec.Path
	if path == "" {
		path = "/"
	}
	out := map[string]Existing{}
	var next *string
	for range 100 {
		res, err := cl.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String(path), WithDecryption: aws.Bool(true), NextToken: next})
		if err != nil {
			return nil, awsErr("AWS Parameter Store", "GetParametersByPath", err)
		}
		for _, p := range res.Parameters {
			name := aws.ToString(p.Name)
			key := strings.TrimPrefix(name, c.Spec.Path)
			if c.Spec.Path == "" {
				key = strings.TrimPrefix(name, "/")
			}
			out[key] = Existing{Value: aws.ToString(p.Value), Readable: true}
		}
		if next = res.NextToken; next == nil {
			break
		}
	}
	return out, nil
}

// Apply implements Target.
func (t ParameterStore) Apply(ctx context.Context, c *Call, put map[string]string, remove []string) error {
	cl := t.client(c)
	for _, k := range sortedKeys(put) {
		in := &ssm.PutParameterInput{Name: aws.String(t.name(c, k)), Value: aws.String(put[k]), Type: types.ParameterTypeSecureString, Overwrite: aws.Bool(true)}
		if c.Spec.Metadata.KMSKeyID != "" {
			in.KeyId = aws.String(c.Spec.Metadata.KMSKeyID)
		}
		if _, err := cl.PutParameter(ctx, in); err != nil {
			return awsErr("AWS Parameter Store", "PutParameter", err)
		}
		if len(c.Spec.Metadata.SecretAWSTag) > 0 {
			tags := make([]types.Tag, 0, len(c.Spec.Metadata.SecretAWSTag))
			for _, tg := range c.Spec.Metadata.SecretAWSTag {
				tags = append(tags, types.Tag{Key: aws.String(tg.Key), Value: aws.String(tg.Value)})
			}
			// Tags cannot go with Overwrite in PutParameter.
			if _, err := cl.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String(t.name(c, k)), Tags: tags}); err != nil {
				return awsErr("AWS Parameter Store", "AddTagsToResource", err)
			}
		}
	}
	for i := 0; i < len(remove); i += 10 {
		names := []string{}
		for _, k := range remove[i:min(i+10, len(remove))] {
			names = append(names, t.name(c, k))
		}
		if _, err := cl.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: names}); err != nil {
			return awsErr("AWS Parameter Store", "DeleteParameters", err)
		}
	}
	return nil
}
