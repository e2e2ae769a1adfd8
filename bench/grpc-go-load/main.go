// The bench's load client on grpc-go, kubelet's gRPC library: one connection to a CRI
// socket (kubelet keeps one), raw-bytes calls (no client-side decode), each with a 2-minute
// deadline as kubelet's runtime request timeout sends, 16 MiB receive limit.
//
// One run, one JSON report on stdout:
//
//	grpc-go-load -socket S -method /runtime.v1.RuntimeService/Version -conc 16 -duration 5s
//
// Without -method it serves commands, one JSON line in and one out, on one connection, so the
// bench can interleave rounds and read a process's CPU around each one:
//
//	{"op":"round","method":"/runtime.v1.RuntimeService/Version","request":"<base64>","conc":16,"ms":1500,"latencies":true}
//	{"op":"call","method":"/runtime.v1.RuntimeService/ListContainers"}
//
// -raw-authority leaves :authority as grpc-go 1.33 derives it, the raw socket path (what
// kubelet 1.26-1.28, on grpc-go < 1.58, sends); by default it is "localhost" as kubelet >= 1.29 sends.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

const kubeletTimeout = 2 * time.Minute

type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error)      { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error { *(v.(*[]byte)) = data; return nil }
func (rawCodec) Name() string                               { return "proto" }

type command struct {
	Op        string `json:"op"`
	Method    string `json:"method"`
	Request   string `json:"request"` // base64
	Conc      int    `json:"conc"`
	Ms        int    `json:"ms"`
	Latencies bool   `json:"latencies"`
}

type report struct {
	Calls       int       `json:"calls"`
	Errors      int       `json:"errors"`
	FirstError  string    `json:"firstError,omitempty"`
	ElapsedMs   float64   `json:"elapsedMs"`
	CallsPerSec float64   `json:"callsPerSec"`
	P50Ms       float64   `json:"p50Ms"`
	P99Ms       float64   `json:"p99Ms"`
	AnswerBytes int       `json:"answerBytes"`
	LatenciesUs []float64 `json:"latenciesUs,omitempty"`
	Answer      string    `json:"answer,omitempty"` // base64, for "call"
	Error       string    `json:"error,omitempty"`  // a command that could not run
}

func main() {
	socket := flag.String("socket", "", "unix socket to dial")
	method := flag.String("method", "", "full method path; without it, read commands from stdin")
	request := flag.String("request", "", "base64 request message")
	conc := flag.Int("conc", 1, "concurrent callers on the one connection")
	duration := flag.Duration("duration", 5*time.Second, "how long to call")
	rawAuthority := flag.Bool("raw-authority", false, "send the raw socket path as :authority (grpc-go < 1.58, kubelet 1.26-1.28)")
	authority := flag.String("authority", "localhost", ":authority to send unless -raw-authority")
	flag.Parse()
	if *socket == "" {
		fmt.Fprintln(os.Stderr, "usage: grpc-go-load -socket PATH [-raw-authority] [-method M -conc N -duration D]")
		os.Exit(2)
	}
	conn, err := dial(*socket, *rawAuthority, *authority)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(1)
	}
	defer conn.Close()
	out := json.NewEncoder(os.Stdout)
	if *method != "" {
		out.Encode(run(conn, command{Op: "round", Method: *method, Request: *request, Conc: *conc, Ms: int(duration.Milliseconds())}))
		return
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	for in.Scan() {
		var c command
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			out.Encode(report{Error: err.Error()})
			continue
		}
		out.Encode(run(conn, c))
	}
}

// dial connects as kubelet's remote runtime does: the path as target, a unix dialer, 16 MiB messages.
func dial(socket string, rawAuthority bool, authority string) (*grpc.ClientConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dialer := func(ctx context.Context, addr string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", addr)
	}
	opts := []grpc.DialOption{grpc.WithInsecure(), grpc.WithBlock(), grpc.WithContextDialer(dialer),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16*1024*1024), grpc.MaxCallSendMsgSize(16*1024*1024))}
	if !rawAuthority {
		opts = append(opts, grpc.WithAuthority(authority))
	}
	return grpc.DialContext(ctx, socket, opts...)
}

func invoke(conn *grpc.ClientConn, method string, req []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), kubeletTimeout)
	defer cancel()
	var answer []byte
	err := conn.Invoke(ctx, method, &req, &answer, grpc.ForceCodec(rawCodec{}))
	return answer, err
}

func run(conn *grpc.ClientConn, c command) report {
	req, err := base64.StdEncoding.DecodeString(c.Request)
	if err != nil {
		return report{Error: "request: " + err.Error()}
	}
	if c.Op == "call" {
		answer, err := invoke(conn, c.Method, req)
		if err != nil {
			return report{Calls: 1, Errors: 1, FirstError: describe(err)}
		}
		return report{Calls: 1, AnswerBytes: len(answer), Answer: base64.StdEncoding.EncodeToString(answer)}
	}
	if c.Conc < 1 {
		c.Conc = 1
	}
	var mu sync.Mutex
	var r report
	var all []float64
	start := time.Now()
	end := start.Add(time.Duration(c.Ms) * time.Millisecond)
	var wg sync.WaitGroup
	for i := 0; i < c.Conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]float64, 0, 1024)
			errors, size, first := 0, 0, ""
			for time.Now().Before(end) {
				t0 := time.Now()
				answer, err := invoke(conn, c.Method, req)
				if err != nil {
					errors++
					if first == "" {
						first = describe(err)
					}
					continue
				}
				lat = append(lat, float64(time.Since(t0).Nanoseconds())/1000)
				size = len(answer)
			}
			mu.Lock()
			all = append(all, lat...)
			r.Errors += errors
			if r.FirstError == "" {
				r.FirstError = first
			}
			if size > 0 {
				r.AnswerBytes = size
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	r.Calls = len(all)
	r.ElapsedMs = float64(elapsed.Microseconds()) / 1000
	r.CallsPerSec = float64(r.Calls) / elapsed.Seconds()
	sort.Float64s(all)
	r.P50Ms, r.P99Ms = percentile(all, 50)/1000, percentile(all, 99)/1000
	if c.Latencies {
		r.LatenciesUs = all
	}
	return r
}

// percentile by nearest rank, as bench/stats.ts computes it.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	if rank < 0 {
		rank = 0
	}
	if rank >= len(sorted) {
		rank = len(sorted) - 1
	}
	return sorted[rank]
}

func describe(err error) string {
	st := status.Convert(err)
	return fmt.Sprintf("%s: %s", st.Code(), st.Message())
}
