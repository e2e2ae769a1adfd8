// Ill-behaved HTTP/2 peers for criproxy's flood tests, one binary (built with Debian's Go):
//
//	h2-peers flood ...            floods at criproxy's socket from the kubelet side, and the good client beside them (flood.go)
//	h2-peers hostile-runtime ...  a named runtime that floods criproxy from the runtime side (hostile-runtime.go)
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "flood":
			floodMain(os.Args[2:])
			return
		case "hostile-runtime":
			hostileRuntimeMain(os.Args[2:])
			return
		}
	}
	fmt.Fprintln(os.Stderr, "usage: h2-peers flood|hostile-runtime -socket S ...")
	os.Exit(2)
}
