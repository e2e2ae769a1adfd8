// The HTTP/2 layer's own cost per unary call, client and server in one process, bytes handed over
// in memory: `bun bench/h2-hot-path.ts CHECKOUT_DIR` (run two checkouts in turn and compare).
const root = process.argv[2] ?? `${import.meta.dir}/..`;
const { H2Connection } = await import(`${root}/src/h2/connection.ts`);
const { encodeHeaders } = await import(`${root}/src/h2/hpack.ts`);
const SMALL = { maxConcurrentStreams: 256, streamWindow: 1 << 20, connectionWindow: 16 << 20, maxHeaderListSize: 64 * 1024 };
let c: any, s: any;
const q: (() => void)[] = [];
const sink = (to: () => any) => ({ write(b: Uint8Array) { const copy = Buffer.from(b); q.push(() => to().receive(copy)); return b.length; }, end() {} });
const REQ = [[":method", "POST"], [":scheme", "http"], [":path", "/runtime.v1.RuntimeService/Version"], [":authority", "localhost"], ["content-type", "application/grpc"], ["user-agent", "grpc-go/1.56.3"], ["te", "trailers"], ["grpc-timeout", "1999961u"]];
const OK = encodeHeaders([[":status", "200"], ["content-type", "application/grpc"]]);
const TR = encodeHeaders([["grpc-status", "0"]]);
const body = Buffer.alloc(40);
s = new H2Connection(sink(() => c), { ...SMALL, server: true, onStream: (st: any) => { st.onEnd = () => { st.sendHeaders(OK); st.write(body); st.end(TR); }; } });
c = new H2Connection(sink(() => s), { ...SMALL, server: false });
const drain = async () => { while (q.length) { q.shift()!(); await Promise.resolve(); await new Promise((r) => setImmediate(r)); } };
await drain();
const N = 20000, BATCH = 50;
const t0 = process.cpuUsage();
for (let i = 0; i < N; i += BATCH) {
  for (let j = 0; j < BATCH; j++) { const st = c.request(REQ); st.write(body); st.end(); }
  await drain();
}
const u = process.cpuUsage(t0);
console.log(`${root.split("/").pop()} ${(((u.user + u.system) / N)).toFixed(2)} us/call`);
