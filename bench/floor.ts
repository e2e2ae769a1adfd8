// The startup floor: a Bun process that does nothing but serve HTTP/2 on a Unix socket.
// `bench/main.ts` times it beside criproxy to show what bounds criproxy's own start.
//   bun bench/floor.ts --listen PATH
import { createServer, type ServerHttp2Stream } from "node:http2";

const listen = process.argv[process.argv.indexOf("--listen") + 1];
const server = createServer();
server.on("stream", (s) => {
  const stream = s as ServerHttp2Stream;
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end(Buffer.alloc(5));
});
server.listen(listen);
process.on("SIGTERM", () => process.exit(0));
