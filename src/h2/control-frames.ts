// The frames that steer a connection rather than carry a call: RST_STREAM, PRIORITY, SETTINGS,
// PING, GOAWAY, WINDOW_UPDATE, PUSH_PROMISE and unknown types, each checked as RFC 9113 §6 says
// (size, stream 0 or not, values), each flood-prone one charged to the connection's calm budget.
import type { ConnectionCore } from "./connection-options.ts";
import { ConnectionError, DEFAULT_MAX_FRAME, ErrorCode, F, frame, MAX_WINDOW, S, T } from "./frames.ts";

/** Handles one control frame for `c`; throws ConnectionError for a connection error. */
export function controlFrame(c: ConnectionCore, type: number, flags: number, id: number, payload: Buffer): void {
  switch (type) {
    case T.RST_STREAM:
      if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
      if (payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM of the wrong size");
      c.spend("stream resets"); // rapid reset (CVE-2023-44487)
      if (c.admit(id, "RST_STREAM") !== undefined) c.closeStream(id, payload.readUInt32BE(0), "reset-by-peer");
      return;
    case T.PRIORITY:
      // Parsed only to be checked (§6.3): gRPC has no use for priorities.
      if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0");
      if (payload.length !== 5) return c.streamError(id, ErrorCode.FRAME_SIZE_ERROR, "PRIORITY of the wrong size");
      c.spend("PRIORITY frames");
      if ((payload.readUInt32BE(0) & 0x7fffffff) === id)
        return c.streamError(id, ErrorCode.PROTOCOL_ERROR, "a stream depending on itself");
      return void c.admit(id, "PRIORITY");
    case T.SETTINGS:
      return settings(c, flags, id, payload);
    case T.PING:
      if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
      if (payload.length !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "PING of the wrong size");
      if (flags & F.ACK) return;
      // A PING after we sent something is how grpc-go measures bandwidth: free. Others are counted.
      if (!c.sentSincePing) c.spend("PING frames");
      c.sentSincePing = false;
      return c.owe(frame(T.PING, F.ACK, 0, payload));
    case T.GOAWAY: {
      if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
      if (payload.length < 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY too short");
      if (c.goawayReceived) c.spend("GOAWAY frames");
      return c.goawayFrom(
        payload.readUInt32BE(4),
        payload.readUInt32BE(0) & 0x7fffffff,
        payload.subarray(8, 8 + 1024).toString("utf8"),
      );
    }
    case T.WINDOW_UPDATE:
      return windowUpdate(c, id, payload);
    case T.PUSH_PROMISE:
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE: push is disabled");
    default:
      c.spend("frames of unknown types"); // ignored, as §5.5 says, but not for free
  }
}

function settings(c: ConnectionCore, flags: number, id: number, payload: Buffer): void {
  if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
  if (flags & F.ACK) {
    if (payload.length !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
    return;
  }
  if (payload.length % 6 !== 0)
    throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS of a size not a multiple of 6");
  c.spend("SETTINGS frames");
  let slots = false;
  for (let at = 0; at < payload.length; at += 6) {
    const key = payload.readUInt16BE(at);
    const value = payload.readUInt32BE(at + 2);
    if (key === S.ENABLE_PUSH) {
      if (value > 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH ${value}`);
    } else if (key === S.INITIAL_WINDOW_SIZE) {
      if (value > MAX_WINDOW)
        throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE too large");
      const delta = value - c.peerInitialWindow;
      // §6.9.2: a change that takes a stream's send window past 2^31-1 is a connection error.
      for (const s of c.streams.values())
        if (s.sendWindow + delta > MAX_WINDOW)
          throw new ConnectionError(
            ErrorCode.FLOW_CONTROL_ERROR,
            `SETTINGS_INITIAL_WINDOW_SIZE takes stream ${s.id}'s window past 2^31-1`,
          );
      c.peerInitialWindow = value;
      for (const s of c.streams.values()) s.sendWindow += delta;
    } else if (key === S.MAX_FRAME_SIZE) {
      if (value < DEFAULT_MAX_FRAME || value > 16777215)
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS_MAX_FRAME_SIZE out of range");
      c.sender.maxFrame = value;
    } else if (key === S.MAX_CONCURRENT_STREAMS) {
      slots ||= value > c.peerMaxConcurrentStreams;
      c.peerMaxConcurrentStreams = value;
    }
  }
  c.owe(frame(T.SETTINGS, F.ACK, 0));
  c.sender.pump();
  if (slots && !c.opts.server) c.opts.onStreamSlot?.();
}

function windowUpdate(c: ConnectionCore, id: number, payload: Buffer): void {
  if (payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE of the wrong size");
  const increment = payload.readUInt32BE(0) & 0x7fffffff;
  if (id === 0) {
    if (increment === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
    if (c.sender.window + increment > MAX_WINDOW)
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window overflow");
    c.sender.window += increment;
  } else {
    if (c.admit(id, "WINDOW_UPDATE") === undefined) return;
    const stream = c.streams.get(id)!;
    if (increment === 0) return c.streamError(id, ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
    if (stream.sendWindow + increment > MAX_WINDOW)
      return c.streamError(id, ErrorCode.FLOW_CONTROL_ERROR, "stream window overflow");
    stream.sendWindow += increment;
  }
  c.sender.pump();
}
