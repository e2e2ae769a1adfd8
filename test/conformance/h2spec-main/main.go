// A command line for h2spec's library (the kit at ../shared/conformance/h2spec ships no cmd/):
// the flags criproxy's CI uses, stock h2spec's names.
//
//	h2spec -h 127.0.0.1 -p 8080 [-P /path] [-o 2] [-j report.xml] [-v] [section ...]
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/summerwind/h2spec"
	"github.com/summerwind/h2spec/config"
)

func main() {
	host := flag.String("h", "127.0.0.1", "target host")
	port := flag.Int("p", 0, "target port")
	path := flag.String("P", "/", "request path")
	timeout := flag.Int("o", 2, "seconds to wait for each answer")
	junit := flag.String("j", "", "JUnit report file")
	verbose := flag.Bool("v", false, "verbose")
	strict := flag.Bool("S", false, "strict mode")
	flag.Parse()
	c := &config.Config{
		Host:         *host,
		Port:         *port,
		Path:         *path,
		Timeout:      time.Duration(*timeout) * time.Second,
		MaxHeaderLen: 4000,
		JUnitReport:  *junit,
		Strict:       *strict,
		Verbose:      *verbose,
		Sections:     flag.Args(),
	}
	ok, err := h2spec.Run(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}
