// One fuzz input on its own connection: write it, read what the server does with each stream.
import { connect } from "node:net";
import { encodeFrame, Flag, FrameReader, FrameType, settingsFrame } from "./h2-frames.ts";
import type { FuzzInput } from "./grpc-inputs.ts";

/** How a stream ended, as far as the client saw. */
type Fate = "status" | "reset" | "refused" | "body-end";

export interface ExchangeResult {
  /** Owed streams with no status, reset or GOAWAY within the bound, on a connection still open. */
  readonly hanging: readonly number[];
  /** gRPC streams that ended with a body and no grpc status. */
  readonly noStatus: readonly number[];
  /** Owed streams left unanswered because the server closed the connection. */
  readonly dropped: readonly number[];
  /** Owed streams answered with a status (the rest: reset, refused, dropped or hanging). */
  readonly statuses: number;
  readonly serverClosed: boolean;
  readonly goaway: boolean;
}

export interface ExchangeBounds {
  /** How long owed streams may take to be answered. */
  readonly answerMs: number;
  /** How long an input that is owed nothing stays connected. */
  readonly lingerMs: number;
}

/** Writes `input` on a new connection to `socket` and watches the server's answers until done or bounded. */
export function exchange(socket: string, input: FuzzInput, bounds: ExchangeBounds): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const sock = connect(socket);
    const reader = new FrameReader();
    const fates = new Map<number, Fate>();
    const owed = new Set(input.owed);
    // A stuck reader never opens its window; every other input reads like a normal client.
    const reads = input.kind !== "stuck-reader";
    let serverClosed = false;
    let goaway = false;
    let finished = false;
    const settled = () => [...owed].every((s) => fates.has(s));
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.destroy();
      const open = [...owed].filter((s) => !fates.has(s));
      resolve({
        hanging: serverClosed ? [] : open,
        dropped: serverClosed ? open : [],
        noStatus: input.grpc.filter((s) => fates.get(s) === "body-end"),
        statuses: [...owed].filter((s) => fates.get(s) === "status").length,
        serverClosed,
        goaway,
      });
    };
    // A peer that never reads stays a while, so what the server owes it piles up (or is cut off).
    const never = input.kind === "never-reads";
    const timer = setTimeout(finish, owed.size > 0 ? bounds.answerMs : never ? bounds.lingerMs * 3 : bounds.lingerMs);
    const send = (b: Buffer) => {
      if (!sock.destroyed && sock.writable) sock.write(b);
    };
    sock.on("connect", () => {
      if (never) sock.pause(); // not a byte read: the socket's buffers fill and the server's queue must hold
      send(input.bytes);
    });
    sock.on("error", () => {});
    sock.on("close", () => {
      serverClosed = !finished;
      finish();
    });
    sock.on("data", (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.type === FrameType.SETTINGS && f.stream === 0 && !(f.flags & Flag.ACK)) send(settingsFrame([], true));
        if (f.type === FrameType.HEADERS && f.flags & Flag.END_STREAM) fates.set(f.stream, "status");
        if (f.type === FrameType.DATA && f.flags & Flag.END_STREAM) fates.set(f.stream, "body-end");
        if (f.type === FrameType.RST_STREAM) fates.set(f.stream, "reset");
        if (f.type === FrameType.GOAWAY && f.payload.length >= 4) {
          goaway = true;
          const last = f.payload.readUInt32BE(0) & 0x7fffffff;
          for (const s of owed) if (s > last && !fates.has(s)) fates.set(s, "refused");
        }
        if (reads && f.type === FrameType.DATA && f.payload.length > 0) {
          const inc = Buffer.alloc(4);
          inc.writeUInt32BE(f.payload.length);
          send(
            Buffer.concat([
              encodeFrame(FrameType.WINDOW_UPDATE, 0, 0, inc),
              encodeFrame(FrameType.WINDOW_UPDATE, 0, f.stream, inc),
            ]),
          );
        }
      }
      if (owed.size > 0 && settled()) finish();
    });
  });
}
