// Raw HTTP/2 for the peers here: frames written by hand, header blocks as HPACK literals (no
// table state), so that they can send what no HTTP/2 library would.
package main

import "encoding/binary"

const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

const (
	DATA, HEADERS, PRIORITY, RST, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 2, 3, 4, 6, 7, 8, 9
	END_STREAM, END_HEADERS                                                           = 1, 4
)

func fr(t, flags byte, id uint32, payload []byte) []byte {
	b := make([]byte, 9+len(payload))
	b[0], b[1], b[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	b[3], b[4] = t, flags
	binary.BigEndian.PutUint32(b[5:], id)
	copy(b[9:], payload)
	return b
}

// A header block of literals without indexing (no HPACK state needed).
func block(fields ...string) []byte {
	var b []byte
	for i := 0; i+1 < len(fields); i += 2 {
		b = append(b, 0, byte(len(fields[i])))
		b = append(b, fields[i]...)
		b = append(b, byte(len(fields[i+1])))
		b = append(b, fields[i+1]...)
	}
	return b
}

func u32(v uint32) []byte { p := make([]byte, 4); binary.BigEndian.PutUint32(p, v); return p }
