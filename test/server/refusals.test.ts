// A stream the server still refuses (not gRPC, too many at once) is logged once per connection,
// at -v 0, with the reason and the client's user-agent: an operator sees which client it is.
import { expect, test } from "bun:test";
import { connect } from "node:http2";
import { connect as netConnect } from "node:net";
import { ByteBudget } from "../../src/grpc/byte-budget.ts";
import { startServer } from "../../src/server/server.ts";
import { tempSocket } from "../support/temp-socket.ts";

test("refused streams: one line per connection, naming the reason and the user-agent", async () => {
  const lines: string[] = [];
  const listen = tempSocket("refusals");
  const server = await startServer({
    listen,
    handlers: { unary: async () => new Uint8Array(), stream: async () => {} },
    budget: new ByteBudget(1e9),
    onFault: () => {},
    onClient: (w) => lines.push(w),
  });
  try {
    const session = connect("http://localhost", { createConnection: () => netConnect(listen) });
    const get = () =>
      new Promise<number>((resolve) => {
        const s = session.request({ ":method": "GET", ":path": "/", "user-agent": "curl/8.5.0" });
        s.on("response", (h) => resolve(Number(h[":status"])));
        s.resume();
        s.end();
      });
    expect([await get(), await get(), await get()]).toEqual([405, 405, 405]);
    session.close();
    expect(lines).toEqual([
      'a client\'s stream was refused: GET :method, not POST (HTTP 405) (user-agent "curl/8.5.0"); further refusals on this connection are not logged',
    ]);
  } finally {
    await server.close(100);
  }
});
