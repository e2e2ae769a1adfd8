// The HTTP/2 layer's own cost per unary call: client and server connections of one checkout in
// one process, bytes handed over in memory, CPU time per call. Given two checkouts, both run
// in the same process in alternating rounds (a shared machine's load drifts between processes):
//   bun bench/h2-hot-path.ts CHECKOUT_A [CHECKOUT_B] [--rounds 12]
const roots = process.argv.slice(2).filter((a) => !a.startsWith("--") && !/^\d+$/.test(a));
const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 12;
if (roots.length === 0) roots.push(`${import.meta.dir}/..`);

const REQ = [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/runtime.v1.RuntimeService/Version"],
  [":authority", "localhost"],
  ["content-type", "application/grpc"],
  ["user-agent", "grpc-go/1.56.3"],
  ["te", "trailers"],
  ["grpc-timeout", "1999961u"],
];
const SETTINGS = {
  maxConcurrentStreams: 256,
  streamWindow: 1 << 20,
  connectionWindow: 16 << 20,
  maxHeaderListSize: 64 * 1024,
};
const body = Buffer.alloc(40);

/** A client and server of one checkout; `run(n)` makes n calls and resolves with CPU µs per call. */
async function pair(root: string) {
  const { H2Connection } = await import(`${root}/src/h2/connection.ts`);
  const { encodeHeaders } = await import(`${root}/src/h2/hpack.ts`);
  const OK = encodeHeaders([
    [":status", "200"],
    ["content-type", "application/grpc"],
  ]);
  const TRAILERS = encodeHeaders([["grpc-status", "0"]]);
  const q: (() => void)[] = [];
  let c: any, s: any;
  const sink = (to: () => { receive(b: Uint8Array): void }) => ({
    write: (b: Uint8Array) => (
      q.push(
        (
          (copy) => () =>
            to().receive(copy)
        )(Buffer.from(b)),
      ),
      b.length
    ),
    end() {},
  });
  s = new H2Connection(
    sink(() => c),
    {
      ...SETTINGS,
      server: true,
      onStream: (st: any) => (st.onEnd = () => (st.sendHeaders(OK), st.write(body), st.end(TRAILERS))),
    },
  );
  c = new H2Connection(
    sink(() => s),
    { ...SETTINGS, server: false },
  );
  const drain = async () => {
    while (q.length) {
      q.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  await drain();
  return async (n: number) => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i += 50) {
      for (let j = 0; j < 50; j++) {
        const st = c.request(REQ);
        st.write(body);
        st.end();
      }
      await drain();
    }
    const u = process.cpuUsage(t0);
    return (u.user + u.system) / n;
  };
}

const runs = await Promise.all(roots.map(pair));
const samples: number[][] = roots.map(() => []);
for (const run of runs) await run(2000); // warm-up
for (let r = 0; r < rounds; r++) for (let i = 0; i < runs.length; i++) samples[i].push(await runs[i](5000));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [i, root] of roots.entries())
  console.log(
    `${root}: ${median(samples[i]).toFixed(2)} µs/call (median of ${rounds}; ${samples[i].map((x) => x.toFixed(1)).join(" ")})`,
  );
if (roots.length === 2)
  console.log(`ratio ${roots[1]} / ${roots[0]}: ${(median(samples[1]) / median(samples[0])).toFixed(3)}`);
