// A runtime played by the test over an in-memory HTTP/2 pair: each call's server-side stream
// is handed to the next script, which answers (or misbehaves) with real frames.
import type { H2Stream } from "../../src/h2/stream.ts";
import type { HeaderList } from "../../src/h2/hpack.ts";
import { h2Pair, type Pair } from "./h2-pair.ts";

/** The runtime's side of one call: its stream and the request headers. */
export type Script = (stream: H2Stream, headers: HeaderList, pair: Pair) => void;

/** A CallTarget whose calls the scripts answer in order. */
export function scriptedRuntime(label: string, scripts: Script[]) {
  const failures: string[] = [];
  const requests: { headers: HeaderList; body: Buffer[] }[] = [];
  const streams: H2Stream[] = [];
  const pair: Pair = h2Pair({
    onStream(stream, headers) {
      const request = { headers, body: [] as Buffer[] };
      requests.push(request);
      streams.push(stream);
      stream.onData = (chunk) => void request.body.push(chunk);
      const script = scripts[requests.length - 1];
      if (!script) throw new Error(`call ${requests.length} was not scripted`);
      script(stream, headers, pair);
    },
  });
  return {
    label,
    pair,
    requests,
    /** The runtime-side streams, in call order. */
    streams,
    failures,
    open: (headers: () => readonly (readonly [string, string])[]) => pair.client.request(headers()),
    failed: (e: { message: string }) => void failures.push(e.message),
  };
}

/** gRPC's usual answer headers and trailers. */
export const OK_HEADERS: [string, string][] = [
  [":status", "200"],
  ["content-type", "application/grpc"],
];
export const trailers = (code = 0, message?: string): [string, string][] => [
  ["grpc-status", String(code)],
  ...(message === undefined ? [] : [["grpc-message", message] as [string, string]]),
];
