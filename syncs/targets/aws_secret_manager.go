package targets

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	sb "switchboard"
)

// SecretManager writes to AWS Secrets Manager: many-to-one (the default)
// keeps every key in one JSON secret named app, read and written back so
// keys the sync did not write survive; one-to-one makes a secret per key.
type SecretManager struct{}

func init() {
	register(Info{Slug: "aws-secret-manager", Title: "AWS Secrets Manager", Auth: "accessId = access key id, accessToken = secret access key",
		Fields: []string{"region", "app", "metadata.mappingBehavior"}, ConnectionApp: "aws", New: func() Target { return SecretManager{} }})
}

// Mapping behaviours of AWS Secrets Manager (Infisical's values).
const (
	ManyToOne = "many-to-one"
	OneToOne  = "one-to-one"
)

// Validate implements Target.
func (SecretManager) Validate(v sb.Validation, s *Spec) {
	validateRegion(v, s)
	s.App = strings.TrimSpace(s.App)
	switch s.Metadata.MappingBehavior {
	case "":
		s.Metadata.MappingBehavior = ManyToOne
	case ManyToOne, OneToOne:
	default:
		v.Add("metadata.mappingBehavior", "Invalid enum value. Expected 'one-to-one' | 'many-to-one'")
	}
	if s.App == "" && s.Metadata.MappingBehavior == ManyToOne {
		v.Add("app", "Required: the name of the AWS secret")
	}
	validateTags(v, s)
}

func (SecretManager) client(c *Call) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{Region: c.Spec.Region, Credentials: awsCredentials(c), HTTPClient: c.HTTP,
		BaseEndpoint: awsEndpoint(c, "SECRETS_MANAGER"), Retryer: aws.NopRetryer{}})
}

const smVendor = "AWS Secrets Manager"

func (t SecretManager) readOne(ctx context.Context, cl *secretsmanager.Client, name string) (map[string]string, bool, error) {
	res, err := cl.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if awsErrCode(err) == "ResourceNotFoundException" {
		return map[string]string{}, false, nil
	}
	if err != nil {
		return nil, false, awsErr(smVendor, "GetSecretValue", err)
	}
	m := map[string]string{}
	if s := aws.ToString(res.SecretString); s != "" {
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return nil, true, &VendorError{Vendor: smVendor, Message: "secret " + name + " does not hold a JSON object of strings; refusing to overwrite it"}
		}
	}
	return m, true, nil
}

func (t SecretManager) tags(c *Call) []types.Tag {
	var out []types.Tag
	for _, tg := range c.Spec.Metadata.SecretAWSTag {
		out = append(out, types.Tag{Key: aws.String(tg.Key), Value: aws.String(tg.Value)})
	}
	return out
}

func (t SecretManager) write(ctx context.Context, c *Call, cl *secretsmanager.Client, name, value string, exists bool) error {
	if exists {
		if _, err := cl.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)}); err != nil {
			return awsErr(smVendor, "PutSecretValue", err)
		}
		return nil
	}
	in := &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value), Tags: t.tags(c)}
	if c.Spec.Metadata.KMSKeyID != "" {
		in.KmsKeyId = aws.String(c.Spec.Metadata.KMSKeyID)
	}
	if _, err := cl.CreateSecret(ctx, in); err != nil {
		return awsErr(smVendor, "CreateSecret", err)
	}
	return nil
}

// List implements Target.
func (t SecretManager) List(ctx context.Context, c *Call) (map[string]Existing, error) {
	cl := t.client(c)
	out := map[string]Existing{}
	if c.Spec.Metadata.MappingBehavior != OneToOne {
		m, _, err := t.readOne(ctx, cl, c.Spec.App)
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			out[k] = Existing{Value: v, Readable: true}
		}
		return out, nil
	}
	var next *string
	for range 100 {
		res, err := cl.ListSecrets(ctx, &secretsmanager.ListSecretsInput{NextToken: next})
		if err != nil {
			return nil, awsErr(smVendor, "ListSecrets", err)
		}
		for _, s := range res.SecretList {
			out[aws.ToString(s.Name)] = Existing{}
		}
		if next = res.NextToken; next == nil {
			break
		}
	}
	return out, nil
}

// Apply implements Target.
func (t SecretManager) Apply(ctx context.Context, c *Call, put map[string]string, remove []string) error {
	cl := t.client(c)
	if c.Spec.Metadata.MappingBehavior != OneToOne {
		cur, exists, err := t.readOne(ctx, cl, c.Spec.App)
		if err != nil {
			return err
		}
		for k, v := range put {
			cur[k] = v
		}
		for _, k := range remove {
			delete(cur, k)
		}
		b, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		return t.write(ctx, c, cl, c.Spec.App, string(b), exists)
	}
	have, err := t.List(ctx, c)
	if err != nil {
		return err
	}
	for _, k := range sortedKeys(put) {
		_, exists := have[k]
		if err := t.write(ctx, c, cl, k, put[k], exists); err != nil {
			return err
		}
	}
	for _, k := range remove {
		_, err := cl.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(k), ForceDeleteWithoutRecovery: aws.Bool(true)})
		if err != nil && awsErrCode(err) != "ResourceNotFoundException" {
			return awsErr(smVendor, "DeleteSecret", err)
		}
	}
	return nil
}
