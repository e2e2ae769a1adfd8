// A named runtime that floods criproxy over HTTP/2 from the runtime's side: criproxy dials it,
// and every connection it makes gets the flood (test/support/runtime-floods.ts drives it).
//
//	h2-peers hostile-runtime -socket S -attack NAME -duration 3s
//	  prints {"listening":true} once the socket is bound, then at the end
//	  {"attack":..,"connections":..,"frames":..,"closedAfterMs":..,"reads":..}
//
// closedAfterMs is when criproxy closed the first flooded connection (EOF or a failed write),
// counted from the flood's first frame; -1 if it never did. Attacks marked reads:false never
// read a byte of what criproxy owes them once the flood begins.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

var answerHeaders = block(":status", "200", "content-type", "application/grpc")
var okTrailers = block("grpc-status", "0")

type runtimeAttack struct {
	reads bool
	// Needs criproxy's first request (stream 1) before the flood: its frames are read until then.
	onStream bool
	start    func() []byte
	batch    func() []byte
}

// One 4000-byte field in the dynamic table, then 16000 references to it: 64 MB if decoded.
func bomb() []byte {
	big := []byte{0x40, 1, 'x', 0x7f, 0x80 + (4000-127)%128, (4000 - 127) / 128}
	for i := 0; i < 4000; i++ {
		big = append(big, 'a')
	}
	return append(append(append([]byte{}, answerHeaders...), big...), refs()...)
}

// 16000 references to the dynamic table's first entry.
func refs() []byte {
	r := make([]byte, 16000)
	for i := range r {
		r[i] = 0x80 | 62
	}
	return r
}

var runtimeAttacks = map[string]runtimeAttack{
	"ping":     {reads: false, batch: func() []byte { return fr(PING, 0, 0, make([]byte, 8)) }},
	"settings": {reads: false, batch: func() []byte { return fr(SETTINGS, 0, 0, nil) }},
	// The answer's headers, then empty DATA frames on it, forever.
	"empty-data": {reads: true, onStream: true, start: func() []byte { return fr(HEADERS, END_HEADERS, 1, answerHeaders) },
		batch: func() []byte { return fr(DATA, 0, 1, nil) }},
	// The answer's headers never end: empty CONTINUATION frames, forever.
	"continuation": {reads: true, onStream: true, start: func() []byte { return fr(HEADERS, 0, 1, answerHeaders) },
		batch: func() []byte { return fr(CONTINUATION, 0, 1, nil) }},
	// The call answered whole, then RST_STREAM on it again and again.
	"rst": {reads: true, onStream: true, start: func() []byte {
		return append(append(fr(HEADERS, END_HEADERS, 1, answerHeaders), fr(DATA, 0, 1, []byte{0, 0, 0, 0, 0})...), fr(HEADERS, END_HEADERS|END_STREAM, 1, okTrailers)...)
	}, batch: func() []byte { return fr(RST, 0, 1, u32(8)) }},
	// An answer whose headers expand 4000x (in two frames: a frame holds 16 KiB), then blocks of
	// references again and again.
	"hpack-bomb": {reads: true, onStream: true, start: func() []byte {
		b := bomb()
		return append(fr(HEADERS, 0, 1, b[:16000]), fr(CONTINUATION, END_HEADERS, 1, b[16000:])...)
	}, batch: func() []byte { return fr(HEADERS, END_HEADERS|END_STREAM, 1, refs()) }},
	// Windows opened wide, then nothing read and nothing answered: criproxy owes it its requests.
	"stop-reading": {reads: false, start: func() []byte {
		return append(fr(SETTINGS, 0, 0, append([]byte{0, 4}, u32(1<<31-1)...)), fr(WINDOW_UPDATE, 0, 0, u32(1<<31-1-65535))...)
	}},
}

type result struct {
	mu          sync.Mutex
	connections int
	frames      int
	closedAfter float64
}

// Reads frames until stream 1's HEADERS (criproxy's first request) has arrived.
func awaitStream(r *bufio.Reader) error {
	if _, err := io.ReadFull(r, make([]byte, 24)); err != nil { // the client preface
		return err
	}
	head := make([]byte, 9)
	for {
		if _, err := io.ReadFull(r, head); err != nil {
			return err
		}
		n := int(head[0])<<16 | int(head[1])<<8 | int(head[2])
		if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
			return err
		}
		if head[3] == HEADERS && binary.BigEndian.Uint32(head[5:])&0x7fffffff == 1 {
			return nil
		}
	}
}

func serve(c net.Conn, a runtimeAttack, until time.Time, res *result, first bool) {
	defer c.Close()
	r := bufio.NewReader(c)
	if _, err := c.Write(fr(SETTINGS, 0, 0, nil)); err != nil {
		return
	}
	if a.onStream {
		if err := awaitStream(r); err != nil {
			return
		}
	}
	closed := make(chan time.Duration, 2)
	start := time.Now()
	if a.reads {
		go func() { io.Copy(io.Discard, r); closed <- time.Since(start) }()
	}
	if a.start != nil {
		if _, err := c.Write(a.start()); err != nil {
			closed <- time.Since(start)
		}
	}
	frames := 0
	for time.Now().Before(until) && len(closed) == 0 {
		if a.batch == nil {
			time.Sleep(10 * time.Millisecond) // stop-reading: hold the connection
			continue
		}
		var buf []byte
		for len(buf) < 32*1024 {
			buf = append(buf, a.batch()...)
			frames++
		}
		c.SetWriteDeadline(until)
		if _, err := c.Write(buf); err != nil {
			if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
				closed <- time.Since(start)
			}
			break
		}
	}
	res.mu.Lock()
	defer res.mu.Unlock()
	res.frames += frames
	if first {
		select {
		case at := <-closed:
			res.closedAfter = float64(at.Microseconds()) / 1000
		default:
		}
	}
}

func hostileRuntimeMain(args []string) {
	flag := flag.NewFlagSet("hostile-runtime", flag.ExitOnError)
	socket := flag.String("socket", "", "the socket to serve on (criproxy's --connect NAME:SOCKET)")
	name := flag.String("attack", "", "the flood")
	duration := flag.Duration("duration", 3*time.Second, "how long each connection is flooded, from the first")
	flag.Parse(args)
	a, ok := runtimeAttacks[*name]
	if !ok {
		fmt.Fprintln(os.Stderr, "unknown attack", *name)
		os.Exit(2)
	}
	l, err := net.Listen("unix", *socket)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(`{"listening":true}`)
	// Flooding starts at the first connection and lasts -duration; stdin closing ends it early.
	res := &result{closedAfter: -1}
	var wg sync.WaitGroup
	var until time.Time
	done := make(chan struct{})
	var once sync.Once
	finish := func() { once.Do(func() { close(done) }) }
	go func() { io.Copy(io.Discard, os.Stdin); finish() }()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			res.mu.Lock()
			first := res.connections == 0
			if first {
				until = time.Now().Add(*duration)
				go func() { time.Sleep(*duration); finish() }()
			}
			res.connections++
			end := until
			res.mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); serve(c, a, end, res, first) }()
		}
	}()
	<-done
	l.Close()
	wg.Wait()
	out, _ := json.Marshal(map[string]interface{}{"attack": *name, "connections": res.connections, "frames": res.frames, "closedAfterMs": res.closedAfter, "reads": a.reads})
	fmt.Println(string(out))
}
