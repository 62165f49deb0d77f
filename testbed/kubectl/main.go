// Command testbed-kubectl is kubectl, built from the pinned k8s.io/kubectl module, so the test bed proves what
// `eks-secret-sync rbac --cluster` prints with the same kubectl an operator runs (apply, prune, ApplySets), without
// relying on a kubectl installed on the machine. A module of its own (not a command of testbed-server): adding it
// there would change that binary's cache key and rebuild the apiserver for every clone.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		// Print the error as kubectl does (and exit non-zero).
		util.CheckErr(err)
	}
	os.Exit(0)
}
