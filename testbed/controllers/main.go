// Command testbed-controllers runs what turns the test bed's workloads into pods that roll out:
// kube-controller-manager, built from the same k8s.io/kubernetes module as the test bed's apiserver, and a node
// stand-in (kubelet.go) that registers one Ready Node, binds pods to it and reports their status through the
// API's status subresource, Ready or not on command. A module of its own (not a command of testbed-server), so
// that adding it did not change that binary's cache key.
package main

import (
	"fmt"
	"os"

	"k8s.io/component-base/cli"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

const usage = `usage: testbed-controllers <command> [flags]

commands:
  controller-manager  run kube-controller-manager (all its flags)
  kubelet             run the node stand-in (--kubeconfig, --node-name)`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "controller-manager":
		cmd := controllermanager.NewControllerManagerCommand()
		cmd.SetArgs(args)
		os.Exit(cli.Run(cmd))
	case "kubelet":
		if err := runKubelet(args); err != nil {
			fmt.Fprintln(os.Stderr, "kubelet:", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n%s\n", os.Args[1], usage)
		os.Exit(2)
	}
}
