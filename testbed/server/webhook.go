package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	"sigs.k8s.io/aws-iam-authenticator/pkg/token"
)

// accessEntry is what an EKS access entry gives a principal: a username
// (EKS's default for a role is the assumed-role ARN with the session name)
// and Kubernetes groups.
type accessEntry struct {
	PrincipalArn     string   `json:"principalArn"`
	Username         string   `json:"username,omitempty"`
	KubernetesGroups []string `json:"kubernetesGroups"`
}

type accessEntriesFile struct {
	Entries []accessEntry `json:"entries"`
}

// runWebhook serves the TokenReview webhook the apiserver calls for every
// bearer token it does not know. Tokens are checked by aws-iam-authenticator's
// own verifier (prefix, encoding, STS host, whitelisted query, signed
// x-k8s-aws-id, X-Amz-Expires range, 15-minute validity); its STS
// GetCallerIdentity call is answered by stsEmulator (signature check, then
// moto). The access-entries file is re-read on every review so a test can add
// or remove entries while the apiserver runs.
func runWebhook(args []string) error {
	fs := flag.NewFlagSet("authn-webhook", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "listen address")
	portFile := fs.String("port-file", "", "file to write the chosen port to")
	certFile := fs.String("tls-cert-file", "", "serving certificate")
	keyFile := fs.String("tls-private-key-file", "", "serving key")
	clusterID := fs.String("cluster-id", "", "EKS cluster name tokens must be minted for")
	region := fs.String("region", "us-east-1", "cluster region")
	entriesFile := fs.String("access-entries", "", "JSON file of access entries")
	credsFile := fs.String("sts-credentials", "", "JSON file of credentials the emulated STS accepts")
	moto := fs.String("moto-endpoint", "", "moto server URL answering GetCallerIdentity")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for name, v := range map[string]string{"tls-cert-file": *certFile, "tls-private-key-file": *keyFile,
		"cluster-id": *clusterID, "access-entries": *entriesFile, "sts-credentials": *credsFile, "moto-endpoint": *moto} {
		if v == "" {
			return fmt.Errorf("--%s is required", name)
		}
	}
	// The verifier builds its http.Client without a Transport, so it uses
	// http.DefaultTransport: this process exists only to serve the webhook.
	http.DefaultTransport = &stsEmulator{credentialsFile: *credsFile, motoEndpoint: *moto}
	verifier := token.NewVerifier(*clusterID, "aws", *region)

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/authenticate", func(w http.ResponseWriter, r *http.Request) {
		review := authnv1.TokenReview{}
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
			http.Error(w, "malformed TokenReview", http.StatusBadRequest)
			return
		}
		status := authenticate(verifier, *entriesFile, review.Spec.Token)
		review.Spec = authnv1.TokenReviewSpec{} // never echo the token
		review.Status = status
		review.APIVersion, review.Kind = "authentication.k8s.io/v1", "TokenReview"
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(review)
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	if *portFile != "" {
		port := ln.Addr().(*net.TCPAddr).Port
		if err := os.WriteFile(*portFile, []byte(fmt.Sprint(port)), 0o600); err != nil {
			return err
		}
	}
	log.Printf("authn-webhook listening on %s for cluster %q", ln.Addr(), *clusterID)
	return http.ServeTLS(ln, mux, *certFile, *keyFile)
}

func authenticate(verifier token.Verifier, entriesFile, tok string) authnv1.TokenReviewStatus {
	id, err := verifier.Verify(tok)
	if err != nil {
		log.Printf("token refused: %v", err)
		return authnv1.TokenReviewStatus{Authenticated: false, Error: err.Error()}
	}
	entry, err := findEntry(entriesFile, id.CanonicalARN)
	if err != nil {
		log.Printf("principal %s refused: %v", id.CanonicalARN, err)
		return authnv1.TokenReviewStatus{Authenticated: false, Error: err.Error()}
	}
	username := entry.Username
	if username == "" {
		username = defaultUsername(id)
	}
	username = strings.NewReplacer("{{SessionName}}", id.SessionName, "{{AccountID}}", id.AccountID).Replace(username)
	log.Printf("authenticated %s as %s groups=%v", id.ARN, username, entry.KubernetesGroups)
	return authnv1.TokenReviewStatus{
		Authenticated: true,
		User: authnv1.UserInfo{
			Username: username,
			UID:      "aws-iam-authenticator:" + id.AccountID + ":" + id.UserID,
			Groups:   entry.KubernetesGroups,
			Extra: map[string]authnv1.ExtraValue{
				"arn":          {id.ARN},
				"canonicalArn": {id.CanonicalARN},
				"sessionName":  {id.SessionName},
				"accessKeyId":  {id.AccessKeyID},
				"principalId":  {id.UserID},
			},
		},
	}
}

// defaultUsername mirrors EKS: a role's default username is its assumed-role
// ARN with the session name; a user's is the user ARN.
func defaultUsername(id *token.Identity) string {
	if strings.Contains(id.CanonicalARN, ":role/") {
		roleName := id.CanonicalARN[strings.LastIndex(id.CanonicalARN, "/")+1:]
		return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/{{SessionName}}", id.AccountID, roleName)
	}
	return id.CanonicalARN
}

func findEntry(path, principal string) (*accessEntry, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f accessEntriesFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("access entries file: %w", err)
	}
	for i := range f.Entries {
		if f.Entries[i].PrincipalArn == principal {
			return &f.Entries[i], nil
		}
	}
	return nil, fmt.Errorf("no access entry for principal %s", principal)
}
