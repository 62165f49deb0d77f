// Command testbed-server is the one binary behind the test bed: a multi-call
// program that runs the real kube-apiserver, the real etcd, an EKS-like token
// authentication webhook built on aws-iam-authenticator's verifier, and a
// certificate generator. One binary means one link step and one cache entry.
package main

import (
	"fmt"
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
)

const usage = `usage: testbed-server <command> [flags]

commands:
  apiserver      run kube-apiserver (all kube-apiserver flags)
  etcd           run etcd (all etcd flags)
  authn-webhook  run the EKS-like token authentication webhook
  certs          generate a per-run CA, serving/client certificates and a service-account key
  version        print the pinned component versions`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "apiserver":
		cmd := apiserverapp.NewAPIServerCommand()
		cmd.SetArgs(args)
		os.Exit(cli.Run(cmd))
	case "etcd":
		etcdmain.Main(append([]string{"etcd"}, args...))
	case "authn-webhook":
		if err := runWebhook(args); err != nil {
			fmt.Fprintln(os.Stderr, "authn-webhook:", err)
			os.Exit(1)
		}
	case "certs":
		if err := runCerts(args); err != nil {
			fmt.Fprintln(os.Stderr, "certs:", err)
			os.Exit(1)
		}
	case "version":
		printVersions()
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n%s\n", os.Args[1], usage)
		os.Exit(2)
	}
}
