// What a client sends, served by serveStream: requests bounded in size, server streams, and
// every :authority (never read).
import { describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ByteBudget } from "../../src/grpc/byte-budget.ts";
import type { H2Stream } from "../../src/h2/stream.ts";
import { frame } from "../support/grpc-frame.ts";
import { settle } from "../support/h2-pair.ts";
import { messageOf, server, STREAM, statusOf, UNARY } from "../support/served-stream.ts";

describe("bounded requests", () => {
  test("a request over 16 MiB is ResourceExhausted as soon as it passes the limit", async () => {
    const t = server({}, {});
    const { stream, seen } = t.request(UNARY, undefined, [], false);
    const piece = Buffer.alloc(60_000);
    for (let sent = 0; sent < 16 * 1024 * 1024 + 6 && !seen.headers; sent += piece.length) {
      if (
        !(await stream.write(piece).then(
          () => true,
          () => false,
        ))
      )
        break; // flow control paces it; the reset ends it
    }
    await settle();
    expect(statusOf(seen)).toBe(String(Code.ResourceExhausted));
    expect(t.calls).toEqual([]);
  }, 20_000);

  test("past the proxy's byte budget, ResourceExhausted naming the limit", async () => {
    const t = server({}, { budget: new ByteBudget(1000) });
    const { seen } = t.request(UNARY, frame(Buffer.alloc(2000)));
    await settle();
    expect(statusOf(seen)).toBe(String(Code.ResourceExhausted));
    expect(messageOf(seen)).toContain("--max-buffered-bytes");
    expect(t.budget.refused).toBe(1);
  });

  test("a prefix that does not match the body is InvalidArgument, naming the method", async () => {
    const t = server({});
    const { seen } = t.request(UNARY, Buffer.from([0, 0, 0, 0, 9, 1, 2]));
    await settle();
    expect(statusOf(seen)).toBe(String(Code.InvalidArgument));
    expect(messageOf(seen)).toContain(UNARY);
  });

  test("not gRPC: HTTP 415 or 405 with a line saying what is served", async () => {
    const t = server({});
    const s: H2Stream = t.pair.client.request(
      [
        [":method", "GET"],
        [":scheme", "http"],
        [":path", "/"],
        [":authority", "x"],
      ],
      true,
    );
    let status = "";
    s.onHeaders = (h) => (status = Object.fromEntries(h)[":status"]);
    await settle();
    expect(status).toBe("405");
    expect(t.refused).toEqual(["GET :method, not POST (HTTP 405)"]);
  });
});

describe("server streams", () => {
  test("no messages: trailers-only OK", async () => {
    const t = server({ stream: async () => {} });
    const { seen } = t.request(STREAM, frame(Buffer.from("")));
    await settle();
    expect(seen.trailers).toBeUndefined();
    expect(statusOf(seen)).toBe("0");
  });

  test("messages, then an error: the messages and the error in the trailers", async () => {
    const t = server({
      stream: async (_call, send) => {
        await send(Buffer.from("one"));
        throw new ConnectError(
          "runtime primary is unavailable: its connection closed during the call",
          Code.Unavailable,
        );
      },
    });
    const { seen } = t.request(STREAM, frame(Buffer.from("")));
    await settle();
    expect(Buffer.concat(seen.body).equals(frame(Buffer.from("one")))).toBe(true);
    expect(statusOf(seen)).toBe(String(Code.Unavailable));
  });
});

describe("every :authority is served (it is never read)", () => {
  test.each([
    ["absent", undefined],
    ["empty", ""],
    ["localhost", "localhost"],
    ["the raw socket path (grpc-go before 1.58)", "/run/criproxy.sock"],
    ["the percent-encoded path (grpc-go 1.58+)", "%2Frun%2Fcriproxy.sock"],
    ["anything else", 'a b@c"{}|\\'],
  ])("%s", async (_, authority) => {
    const t = server({ unary: async () => Buffer.from("ok") });
    const headers: [string, string][] = [
      [":method", "POST"],
      [":scheme", "http"],
      [":path", UNARY],
      ["content-type", "application/grpc"],
    ];
    if (authority !== undefined) headers.splice(3, 0, [":authority", authority]); // pseudo-headers come first (RFC 9113 §8.3)
    const s = t.pair.client.request(headers);
    let status: string | undefined;
    let trailers: string | undefined;
    s.onHeaders = (h) => {
      const f = Object.fromEntries(h);
      if (f["grpc-status"] !== undefined) trailers = f["grpc-status"];
      else status = f[":status"];
    };
    void s.write(frame(Buffer.from("req"))).catch(() => {});
    s.end();
    await settle();
    expect([status, trailers]).toEqual(["200", "0"]);
  });
});
