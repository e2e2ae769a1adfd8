// A bare HTTP/2 gRPC call for tests that need what no well-behaved client sends.
import { connect as h2connect } from "node:http2";
import { connect } from "node:net";
import { frame } from "./grpc-frame.ts";

export interface RawAnswer {
  /** grpc-status from trailers or a trailers-only answer ("" if none). */
  status: string;
  message: string;
  /** grpc-message exactly as sent. */
  rawMessage: string;
  httpStatus: number;
  body: Buffer;
}

/** Sends `message` (length-prefixed unless rawBody) to `path` on the socket and collects the answer. */
export function rawCall(
  socket: string,
  path: string,
  message: Uint8Array,
  opts: { rawBody?: boolean; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = h2connect("http://localhost", { createConnection: () => connect(socket), maxSessionMemory: 256 });
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...opts.headers,
    });
    const chunks: Buffer[] = [];
    let httpStatus = 0;
    let status = "";
    let text = "";
    let rawMessage = "";
    const read = (h: Record<string, unknown>) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) {
        rawMessage = String(h["grpc-message"]);
        text = decodeURIComponent(rawMessage);
      }
    };
    stream.on("response", (h) => {
      httpStatus = Number(h[":status"]);
      read(h);
    });
    stream.on("trailers", read);
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", () => {});
    stream.on("close", () => {
      session.close();
      resolve({ status, message: text, rawMessage, httpStatus, body: Buffer.concat(chunks) });
    });
    stream.end(opts.rawBody ? Buffer.from(message) : frame(message));
  });
}
