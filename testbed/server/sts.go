package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

type stsCredential struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken,omitempty"`
}

// stsEmulator answers the pre-signed GetCallerIdentity GET that the verifier
// sends to sts.<region>.amazonaws.com. moto does not check signatures, so this
// does what real STS does first: look up the access key, recompute the SigV4
// query signature over the headers the token says it signed (including the
// x-k8s-aws-id the verifier sets to its own cluster name, so a token minted
// for another cluster fails here), check the session token and the 15-minute
// window. Only then is moto asked who the caller is, with a header-signed
// call made from the same credentials; its answer is returned as the JSON
// real STS gives for Accept: application/json.
type stsEmulator struct {
	credentialsFile string
	motoEndpoint    string
}

const sigV4DateFormat = "20060102T150405Z"

func (s *stsEmulator) RoundTrip(req *http.Request) (*http.Response, error) {
	q := req.URL.Query()
	scope := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(scope) != 5 || scope[3] != "sts" || scope[4] != "aws4_request" {
		return stsError(http.StatusBadRequest, "IncompleteSignature", "malformed X-Amz-Credential"), nil
	}
	cred, err := s.lookup(scope[0])
	if err != nil {
		return nil, err
	}
	if cred == nil {
		return stsError(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."), nil
	}
	if cred.SessionToken != q.Get("X-Amz-Security-Token") {
		return stsError(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."), nil
	}
	date, err := time.Parse(sigV4DateFormat, q.Get("X-Amz-Date"))
	if err != nil || time.Since(date) > 15*time.Minute || time.Until(date) > 15*time.Minute {
		return stsError(http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired"), nil
	}
	if !hmac.Equal([]byte(presignedSignature(req, cred.SecretAccessKey, scope)), []byte(q.Get("X-Amz-Signature"))) {
		return stsError(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."), nil
	}
	client := sts.New(sts.Options{
		Region:       scope[2],
		BaseEndpoint: aws.String(s.motoEndpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.SecretAccessKey, cred.SessionToken),
		HTTPClient:   &http.Client{Transport: &http.Transport{}},
	})
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		return stsError(http.StatusInternalServerError, "InternalFailure", "moto GetCallerIdentity: "+err.Error()), nil
	}
	body, _ := json.Marshal(map[string]any{
		"GetCallerIdentityResponse": map[string]any{
			"GetCallerIdentityResult": map[string]string{
				"Account": aws.ToString(out.Account),
				"Arn":     aws.ToString(out.Arn),
				"UserId":  aws.ToString(out.UserId),
			},
			"ResponseMetadata": map[string]string{"RequestId": "testbed"},
		},
	})
	return response(http.StatusOK, body), nil
}

func (s *stsEmulator) lookup(accessKeyID string) (*stsCredential, error) {
	raw, err := os.ReadFile(s.credentialsFile)
	if err != nil {
		return nil, err
	}
	var creds []stsCredential
	if err := json.Unmarshal(raw, &creds); err != nil {
		return nil, fmt.Errorf("sts credentials file: %w", err)
	}
	for i := range creds {
		if creds[i].AccessKeyID == accessKeyID {
			return &creds[i], nil
		}
	}
	return nil, nil
}

// presignedSignature is SigV4 for query-string authentication: the canonical
// request over every query parameter but the signature, the headers listed in
// X-Amz-SignedHeaders, and the hash of the empty body.
func presignedSignature(req *http.Request, secret string, scope []string) string {
	q := req.URL.Query()
	q.Del("X-Amz-Signature")
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var query []string
	for _, k := range keys {
		query = append(query, sigv4Escape(k)+"="+sigv4Escape(q.Get(k)))
	}
	signed := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	var headers strings.Builder
	for _, h := range signed {
		v := req.Header.Get(h)
		if h == "host" {
			v = req.URL.Host
		}
		headers.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	emptyHash := sha256.Sum256(nil)
	canonical := strings.Join([]string{"GET", "/", strings.Join(query, "&"), headers.String(),
		q.Get("X-Amz-SignedHeaders"), hex.EncodeToString(emptyHash[:])}, "\n")
	crHash := sha256.Sum256([]byte(canonical))
	stringToSign := strings.Join([]string{"AWS4-HMAC-SHA256", q.Get("X-Amz-Date"),
		strings.Join(scope[1:], "/"), hex.EncodeToString(crHash[:])}, "\n")
	key := []byte("AWS4" + secret)
	for _, part := range scope[1:] {
		key = hmacSHA256(key, part)
	}
	return hex.EncodeToString(hmacSHA256(key, stringToSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func sigv4Escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func stsError(status int, code, message string) *http.Response {
	body, _ := json.Marshal(map[string]any{"Error": map[string]string{"Code": code, "Message": message, "Type": "Sender"}})
	return response(status, body)
}

func response(status int, body []byte) *http.Response {
	return &http.Response{
		StatusCode: status,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(body)),
		ProtoMajor: 1, ProtoMinor: 1,
	}
}
