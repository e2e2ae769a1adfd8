// A CRI client on grpc-go, kubelet's own gRPC library, dialing a Unix socket the way
// kubelet's remote runtime does (no WithAuthority: the socket path becomes :authority).
// It makes raw-bytes calls and prints one JSON line per call, for test/e2e/grpc-go.test.ts.
//
//	criclient -socket /run/x.sock -calls '[{"method":"/runtime.v1.RuntimeService/Version","request":"","repeat":1,"parallel":1}]'
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// rawCodec sends and receives message bytes unchanged.
type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

type call struct {
	Method    string            `json:"method"`
	Request   string            `json:"request"` // base64
	Repeat    int               `json:"repeat"`
	Parallel  int               `json:"parallel"`
	Stream    bool              `json:"stream"`
	Messages  int               `json:"messages"`  // for streams: stop after this many
	Metadata  map[string]string `json:"metadata"`  // sent with each call
	TimeoutMs int               `json:"timeoutMs"` // each call's deadline; 0: 10 s
}

type result struct {
	Method   string      `json:"method"`
	Code     uint32      `json:"code"`
	Message  string      `json:"message"`
	Answers  []string    `json:"answers"` // base64 of each distinct answer
	Calls    int         `json:"calls"`
	Failed   int         `json:"failed"`
	Headers  metadata.MD `json:"headers"`  // of the last call
	Trailers metadata.MD `json:"trailers"` // of the last call
}

func main() {
	socket := flag.String("socket", "", "unix socket path")
	calls := flag.String("calls", "[]", "JSON list of calls")
	userAgent := flag.String("user-agent", "", "the application's user-agent (kubelet's), which grpc-go prefixes to its own")
	authority := flag.String("authority", "", "send this :authority (kubelet >= 1.28 sends localhost); default: as grpc-go derives it from the socket path")
	flag.Parse()
	var list []call
	text := []byte(*calls)
	if strings.HasPrefix(*calls, "@") { // large requests do not fit on a command line
		var err error
		if text, err = os.ReadFile((*calls)[1:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	if err := json.Unmarshal(text, &list); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dialer := func(ctx context.Context, addr string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", addr)
	}
	// As kubelet's remote runtime: the path as target, a unix dialer, 16 MiB messages.
	opts := []grpc.DialOption{grpc.WithInsecure(), grpc.WithBlock(), grpc.WithContextDialer(dialer),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16*1024*1024), grpc.MaxCallSendMsgSize(16*1024*1024))}
	if *userAgent != "" {
		opts = append(opts, grpc.WithUserAgent(*userAgent))
	}
	if *authority != "" {
		opts = append(opts, grpc.WithAuthority(*authority))
	}
	conn, err := grpc.DialContext(ctx, *socket, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(1)
	}
	defer conn.Close()
	out := json.NewEncoder(os.Stdout)
	for _, c := range list {
		out.Encode(run(conn, c))
	}
}

func run(conn *grpc.ClientConn, c call) result {
	req, _ := base64.StdEncoding.DecodeString(c.Request)
	r := result{Method: c.Method}
	if c.Repeat < 1 {
		c.Repeat = 1
	}
	if c.Parallel < 1 {
		c.Parallel = 1
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for p := 0; p < c.Parallel; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < c.Repeat; i++ {
				answers, hdr, tr, err := once(conn, c, req)
				mu.Lock()
				r.Headers, r.Trailers = hdr, tr
				r.Calls++
				if err != nil {
					st := status.Convert(err)
					r.Failed++
					r.Code, r.Message = uint32(st.Code()), st.Message()
				}
				for _, a := range answers {
					enc := base64.StdEncoding.EncodeToString(a)
					if !seen[enc] {
						seen[enc] = true
						r.Answers = append(r.Answers, enc)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return r
}

func once(conn *grpc.ClientConn, c call, req []byte) ([][]byte, metadata.MD, metadata.MD, error) {
	timeout := 10 * time.Second
	if c.TimeoutMs > 0 {
		timeout = time.Duration(c.TimeoutMs) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if len(c.Metadata) > 0 {
		ctx = metadata.NewOutgoingContext(ctx, metadata.New(c.Metadata))
	}
	var hdr, tr metadata.MD
	if !c.Stream {
		var answer []byte
		err := conn.Invoke(ctx, c.Method, &req, &answer, grpc.ForceCodec(rawCodec{}), grpc.Header(&hdr), grpc.Trailer(&tr))
		return [][]byte{answer}, hdr, tr, err
	}
	desc := &grpc.StreamDesc{ServerStreams: true}
	s, err := conn.NewStream(ctx, desc, c.Method, grpc.ForceCodec(rawCodec{}))
	if err != nil {
		return nil, nil, nil, err
	}
	if err := s.SendMsg(&req); err != nil {
		return nil, nil, nil, err
	}
	s.CloseSend()
	var answers [][]byte
	for c.Messages == 0 || len(answers) < c.Messages {
		var m []byte
		if err := s.RecvMsg(&m); err != nil {
			if len(answers) > 0 && err.Error() == "EOF" {
				break
			}
			hdr, _ = s.Header()
			return answers, hdr, s.Trailer(), ignoreEOF(err)
		}
		answers = append(answers, m)
	}
	hdr, _ = s.Header()
	return answers, hdr, s.Trailer(), nil
}

func ignoreEOF(err error) error {
	if err != nil && err.Error() == "EOF" {
		return nil
	}
	return err
}
