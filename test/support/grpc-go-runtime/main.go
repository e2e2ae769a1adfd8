// A CRI runtime on grpc-go (containerd's gRPC library) that answers pre-encoded bytes: each
// method given with -answer returns that file's bytes as its answer message, every other
// method is Unimplemented as grpc-go answers it. Encoding is done once, before start
// (test/support/grpc-go-runtime.ts writes the files with protobuf-es), so a call costs only
// grpc-go's own work: the baseline of bench/main.ts and "a grpc-go server as the runtime".
//
//	criruntime -socket /run/x.sock -name vm \
//	  -answer /runtime.v1.RuntimeService/Version=/tmp/version.bin -answer ...
//
// With -record FILE it serves every method through one handler instead (a unary answer and a
// stream of one message are the same on the wire), appends each call's method and metadata to
// FILE as a JSON line, and answers with header x-runtime and trailer x-runtime-trailer = its name.
//
// Prints "ready SOCKET" on stdout once listening; SIGTERM/SIGINT stop it and remove the socket.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// recorder serves every method: it records what the call carried and answers with metadata of its own.
func recorder(a answers, name, file string) grpc.StreamHandler {
	var mu sync.Mutex
	return func(_ interface{}, stream grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(stream)
		md, _ := metadata.FromIncomingContext(stream.Context())
		line, _ := json.Marshal(map[string]interface{}{"method": method, "metadata": md})
		mu.Lock()
		f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			f.Write(append(line, '\n'))
			f.Close()
		}
		mu.Unlock()
		var request []byte
		if err := stream.RecvMsg(&request); err != nil {
			return err
		}
		stream.SetHeader(metadata.Pairs("x-runtime", name))
		stream.SetTrailer(metadata.Pairs("x-runtime-trailer", name))
		answer, ok := a[method]
		if !ok {
			if strings.HasSuffix(method, "/GetContainerEvents") || strings.Contains(method, "/Stream") {
				return nil // a stream with no messages
			}
			return status.Errorf(codes.Unimplemented, "%s: no answer for %s", name, method)
		}
		return stream.SendMsg(&answer)
	}
}

// rawCodec hands message bytes through unchanged: requests are not decoded, answers are the files' bytes.
type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error)      { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error { *(v.(*[]byte)) = data; return nil }
func (rawCodec) String() string                             { return "proto" }

// answers maps "/service/method" to the answer bytes read at start.
type answers map[string][]byte

func (a answers) String() string { return fmt.Sprint(len(a)) }

func (a answers) Set(v string) error {
	i := strings.LastIndex(v, "=")
	if i < 0 || !strings.HasPrefix(v, "/") || strings.Count(v[:i], "/") != 2 {
		return fmt.Errorf("want /service/method=FILE, got %q", v)
	}
	data, err := ioutil.ReadFile(v[i+1:])
	if err != nil {
		return err
	}
	a[v[:i]] = data
	return nil
}

// serviceDescs builds one ServiceDesc per service named in the answers, with a unary handler per method:
// grpc-go's registered-method path, as containerd's CRI server is served.
func serviceDescs(a answers) []*grpc.ServiceDesc {
	byService := map[string]*grpc.ServiceDesc{}
	paths := make([]string, 0, len(a))
	for p := range a {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		parts := strings.Split(p[1:], "/")
		sd := byService[parts[0]]
		if sd == nil {
			sd = &grpc.ServiceDesc{ServiceName: parts[0], HandlerType: (*interface{})(nil)}
			byService[parts[0]] = sd
		}
		answer := a[p]
		sd.Methods = append(sd.Methods, grpc.MethodDesc{
			MethodName: parts[1],
			Handler: func(_ interface{}, _ context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
				var req []byte
				if err := dec(&req); err != nil {
					return nil, err
				}
				return &answer, nil
			},
		})
	}
	out := make([]*grpc.ServiceDesc, 0, len(byService))
	for _, sd := range byService {
		out = append(out, sd)
	}
	return out
}

func main() {
	a := answers{}
	socket := flag.String("socket", "", "unix socket to listen on")
	name := flag.String("name", "runtime", "name in log lines")
	maxMsg := flag.Int("max-msg", 16*1024*1024, "max message size each way, bytes (containerd: 16 MiB)")
	flag.Var(a, "answer", "/service/method=FILE: answer this method with the file's bytes (repeatable)")
	echo := flag.Bool("echo-unknown", false, "answer a method not given with -answer with its own request (tests of large requests)")
	record := flag.String("record", "", "serve every method through one handler that appends each call's method and metadata to this file")
	flag.Parse()
	if *socket == "" {
		fmt.Fprintln(os.Stderr, "usage: criruntime -socket PATH [-name NAME] -answer /svc/Method=FILE ...")
		os.Exit(2)
	}
	os.Remove(*socket)
	lis, err := net.Listen("unix", *socket)
	if err != nil {
		fmt.Fprintln(os.Stderr, *name, "listen:", err)
		os.Exit(1)
	}
	opts := []grpc.ServerOption{grpc.CustomCodec(rawCodec{}), grpc.MaxRecvMsgSize(*maxMsg), grpc.MaxSendMsgSize(*maxMsg)}
	if *echo {
		opts = append(opts, grpc.UnknownServiceHandler(func(_ interface{}, stream grpc.ServerStream) error {
			var request []byte
			if err := stream.RecvMsg(&request); err != nil {
				return err
			}
			return stream.SendMsg(&request)
		}))
	}
	if *record != "" {
		opts = append(opts, grpc.UnknownServiceHandler(recorder(a, *name, *record)))
	}
	s := grpc.NewServer(opts...)
	var impl struct{}
	for _, sd := range serviceDescs(a) {
		if *record == "" {
			s.RegisterService(sd, &impl)
		}
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		s.Stop()
	}()
	fmt.Printf("ready %s\n", *socket)
	if err := s.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, *name, "serve:", err)
	}
	os.Remove(*socket)
}
