package main

import (
	"fmt"
	"runtime/debug"
)

// printVersions reports the module versions linked into this binary, so the
// test bed can prove which kube-apiserver, etcd and authenticator it runs.
func printVersions() {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Println("unknown")
		return
	}
	want := map[string]bool{
		"k8s.io/kubernetes":                 true,
		"k8s.io/apiserver":                  true,
		"go.etcd.io/etcd/server/v3":         true,
		"sigs.k8s.io/aws-iam-authenticator": true,
	}
	fmt.Printf("go %s\n", info.GoVersion)
	for _, dep := range info.Deps {
		if want[dep.Path] {
			v := dep.Version
			if dep.Replace != nil {
				v = dep.Replace.Version
			}
			fmt.Printf("%s %s\n", dep.Path, v)
		}
	}
}
