package standin

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// AWS is a stand-in for the JSON 1.1 protocol of AWS Systems Manager
// Parameter Store and AWS Secrets Manager. Every request must carry a valid
// SigV4 signature made with a key pair it knows; the signature is recomputed
// here from the request, following AWS's documented algorithm (canonical
// request, string to sign, derived signing key), never trusted.
type AWS struct {
	base
	// Keys maps access key ids to secret access keys.
	Keys map[string]string
	// Region is the only region it serves.
	Region string
	// Now is the clock for the signature's time check.
	Now     func() time.Time
	params  map[string]string // parameter name → value
	secrets map[string]string // secret name → SecretString
	tags    map[string]map[string]string
}

// Parameters returns every parameter, name → value.
func (a *AWS) Parameters() map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return copyMap(a.params)
}

// Secrets returns every Secrets Manager secret, name → SecretString.
func (a *AWS) Secrets() map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return copyMap(a.secrets)
}

// Tags returns the tags of a parameter.
func (a *AWS) Tags(name string) map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return copyMap(a.tags[name])
}

// PutParameter sets a parameter directly, as another writer would.
func (a *AWS) PutParameter(name, value string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.init()
	a.params[name] = value
}

// PutSecret sets a secret directly.
func (a *AWS) PutSecret(name, value string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.init()
	a.secrets[name] = value
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (a *AWS) init() {
	if a.params == nil {
		a.params, a.secrets, a.tags = map[string]string{}, map[string]string{}, map[string]map[string]string{}
	}
}

func awsError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

// ServeHTTP implements http.Handler.
func (a *AWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	a.mu.Lock()
	defer a.mu.Unlock()
	a.init()
	if a.fail != nil {
		awsError(w, a.fail.Status, "InternalServerError", a.fail.Message)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	service, action, _ := strings.Cut(target, ".")
	signing := map[string]string{"AmazonSSM": "ssm", "secretsmanager": "secretsmanager"}[service]
	if signing == "" || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "unknown operation "+target)
		return
	}
	if typ, why := a.verify(r, body, signing); why != "" {
		a.refused++
		awsError(w, http.StatusForbidden, typ, why)
		return
	}
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		awsError(w, http.StatusBadRequest, "SerializationException", "body is not JSON")
		return
	}
	str := func(k string) string { s, _ := in[k].(string); return s }
	ok := func(v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(v)
	}
	switch service + "." + action {
	case "AmazonSSM.PutParameter":
		name := str("Name")
		if str("Type") != "SecureString" {
			awsError(w, http.StatusBadRequest, "ValidationException", "stand-in expects SecureString parameters")
			return
		}
		if _, exists := a.params[name]; exists && in["Overwrite"] != true {
			awsError(w, http.StatusBadRequest, "ParameterAlreadyExists", "The parameter already exists.")
			return
		}
		if in["Overwrite"] == true && in["Tags"] != nil {
			awsError(w, http.StatusBadRequest, "ValidationException", "Invalid request: tags and overwrite can't be used together.")
			return
		}
		a.params[name] = str("Value")
		a.wrote("ssm:" + name[:strings.LastIndex(name, "/")+1])
		ok(map[string]any{"Version": 1, "Tier": "Standard"})
	case "AmazonSSM.AddTagsToResource":
		name := str("ResourceId")
		if _, exists := a.params[name]; !exists {
			awsError(w, http.StatusBadRequest, "InvalidResourceId", "no such parameter")
			return
		}
		if a.tags[name] == nil {
			a.tags[name] = map[string]string{}
		}
		tags, _ := in["Tags"].([]any)
		for _, t := range tags {
			m, _ := t.(map[string]any)
			k, _ := m["Key"].(string)
			v, _ := m["Value"].(string)
			a.tags[name][k] = v
		}
		ok(map[string]any{})
	case "AmazonSSM.GetParametersByPath":
		path := str("Path")
		if !strings.HasSuffix(path, "/") {
			path += "/"
		}
		list := []map[string]any{}
		names := make([]string, 0, len(a.params))
		for n := range a.params {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			rest, under := strings.CutPrefix(n, path)
			if path == "/" && !strings.HasPrefix(n, "/") {
				rest, under = n, true
			}
			if under && !strings.Contains(rest, "/") {
				list = append(list, map[string]any{"Name": n, "Value": a.params[n], "Type": "SecureString", "Version": 1})
			}
		}
		ok(map[string]any{"Parameters": list})
	case "AmazonSSM.DeleteParameters":
		names, _ := in["Names"].([]any)
		if len(names) > 10 {
			awsError(w, http.StatusBadRequest, "ValidationException", "at most 10 names")
			return
		}
		deleted, invalid := []string{}, []string{}
		for _, n := range names {
			s, _ := n.(string)
			if _, exists := a.params[s]; exists {
				delete(a.params, s)
				deleted = append(deleted, s)
			} else {
				invalid = append(invalid, s)
			}
		}
		ok(map[string]any{"DeletedParameters": deleted, "InvalidParameters": invalid})
	case "secretsmanager.GetSecretValue":
		v, exists := a.secrets[str("SecretId")]
		if !exists {
			awsError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		ok(map[string]any{"Name": str("SecretId"), "SecretString": v, "VersionId": "v1"})
	case "secretsmanager.CreateSecret":
		if _, exists := a.secrets[str("Name")]; exists {
			awsError(w, http.StatusBadRequest, "ResourceExistsException", "the secret already exists")
			return
		}
		a.secrets[str("Name")] = str("SecretString")
		a.wrote("sm:" + str("Name"))
		ok(map[string]any{"Name": str("Name"), "ARN": "arn:aws:secretsmanager:" + a.Region + ":000000000000:secret:" + str("Name")})
	case "secretsmanager.PutSecretValue":
		if _, exists := a.secrets[str("SecretId")]; !exists {
			awsError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		a.secrets[str("SecretId")] = str("SecretString")
		a.wrote("sm:" + str("SecretId"))
		ok(map[string]any{"Name": str("SecretId"), "VersionId": "v2"})
	case "secretsmanager.ListSecrets":
		list := []map[string]any{}
		for n := range a.secrets {
			list = append(list, map[string]any{"Name": n})
		}
		ok(map[string]any{"SecretList": list})
	case "secretsmanager.DeleteSecret":
		if _, exists := a.secrets[str("SecretId")]; !exists {
			awsError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		delete(a.secrets, str("SecretId"))
		ok(map[string]any{"Name": str("SecretId")})
	default:
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "stand-in does not serve "+target)
	}
}

// verify checks the request's SigV4 signature (Authorization header form)
// and returns AWS's error type and message when it does not hold.
func (a *AWS) verify(r *http.Request, body []byte, service string) (string, string) {
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
	if !ok {
		return "MissingAuthenticationTokenException", "Missing Authentication Token"
	}
	fields := map[string]string{}
	for _, p := range strings.Split(auth, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		fields[k] = v
	}
	cred := strings.Split(fields["Credential"], "/")
	if len(cred) != 5 || cred[4] != "aws4_request" {
		return "IncompleteSignatureException", "malformed Credential"
	}
	secret, known := a.Keys[cred[0]]
	if !known {
		return "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	if cred[2] != a.Region || cred[3] != service {
		return "InvalidSignatureException", fmt.Sprintf("Credential should be scoped to a valid region and service %s", service)
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || cred[1] != amzDate[:8] {
		return "IncompleteSignatureException", "bad X-Amz-Date"
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	if d := now().Sub(t); d > 15*time.Minute || d < -15*time.Minute {
		return "InvalidSignatureException", "Signature expired"
	}
	bodyHash := sha256.Sum256(body)
	payload := hex.EncodeToString(bodyHash[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payload {
		return "InvalidSignatureException", "The provided x-amz-content-sha256 header does not match what was computed."
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	if !contains(signed, "host") || !contains(signed, "x-amz-date") {
		return "IncompleteSignatureException", "host and x-amz-date must be signed"
	}
	var canon bytes.Buffer
	canon.WriteString(r.Method + "\n")
	canon.WriteString(canonicalURI(r.URL) + "\n")
	canon.WriteString(canonicalQuery(r.URL.Query()) + "\n")
	for _, h := range signed {
		var v string
		switch h {
		case "host":
			v = r.Host
		case "content-length":
			v = strconv.FormatInt(r.ContentLength, 10)
		default:
			vs := r.Header.Values(h)
			for i := range vs {
				vs[i] = strings.Join(strings.Fields(vs[i]), " ")
			}
			v = strings.Join(vs, ",")
		}
		canon.WriteString(h + ":" + v + "\n")
	}
	canon.WriteString("\n" + fields["SignedHeaders"] + "\n" + payload)
	ch := sha256.Sum256(canon.Bytes())
	scope := strings.Join(cred[1:], "/")
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(ch[:])
	key := []byte("AWS4" + secret)
	for _, part := range cred[1:] {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		return "InvalidSignatureException", "The request signature we calculated does not match the signature you provided."
	}
	return "", ""
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	return p
}

func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string{}, q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, awsEscape(k)+"="+awsEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// awsEscape is SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~.
func awsEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
