// What a client connection tells its owner about the server: its MAX_CONCURRENT_STREAMS, each
// freed stream slot, the stream ids left, and a GOAWAY's code, last stream and debug text.
import { expect, test } from "bun:test";
import { ErrorCode, goawayFrame } from "../../src/h2/frames.ts";
import { idsLeft, MAX_STREAM_ID } from "../../src/h2/peer-events.ts";
import { h2Pair, settle } from "../support/h2-pair.ts";

const REQUEST: [string, string][] = [[":method", "POST"], [":scheme", "http"], [":path", "/x"], [":authority", "localhost"]];

test("the server's MAX_CONCURRENT_STREAMS is known once its SETTINGS arrive, and each closed stream is told", async () => {
  const closed: number[] = [];
  let settings = 0;
  const pair = h2Pair({ maxConcurrentStreams: 7, onStream: (s) => (s.onEnd = () => s.sendHeaders([[":status", "200"]], true)) }, { onStreamClosed: (s) => void closed.push(s.id), onSettings: () => void settings++ });
  expect(pair.client.peerMaxConcurrentStreams).toBe(Infinity);
  await settle();
  expect(pair.client.peerMaxConcurrentStreams).toBe(7);
  expect(settings).toBe(1);
  pair.client.request(REQUEST, true);
  pair.client.request(REQUEST, true);
  await settle();
  expect(closed).toEqual([1, 3]);
});

test("GOAWAY's code, last stream id and debug text reach the owner", async () => {
  const seen: [number, number, string][] = [];
  const pair = h2Pair({}, { onGoaway: (code, last, debug) => void seen.push([code, last, debug]) });
  await settle();
  pair.server.output.push(goawayFrame(0, ErrorCode.ENHANCE_YOUR_CALM, "too many pings"));
  await settle();
  expect(seen).toEqual([[ErrorCode.ENHANCE_YOUR_CALM, 0, "too many pings"]]);
  expect(pair.client.goawayReceived).toBe(true);
});

test("stream ids run out at 2^31-1: the last one opens, the next request throws", async () => {
  expect(idsLeft(1)).toBe(2 ** 30);
  const pair = h2Pair({ onStream: (s) => (s.onEnd = () => s.sendHeaders([[":status", "200"]], true)) }, { firstStreamId: MAX_STREAM_ID - 2 });
  expect(idsLeft(pair.client.nextStreamId)).toBe(2);
  pair.client.request(REQUEST, true);
  expect(pair.client.request(REQUEST, true).id).toBe(MAX_STREAM_ID);
  expect(idsLeft(pair.client.nextStreamId)).toBe(0);
  expect(() => pair.client.request(REQUEST, true)).toThrow("no stream ids left");
  await settle();
});
