// Server-streaming calls: one runtime's stream, and the Stream* lists fanned in. Every message
// is taken by kubelet's side before the next is read from the runtime (backpressure).
import type { Backend } from "../backends/backend.ts";
import { streamRaw, type CallOptions } from "../backends/raw-call.ts";
import type { Call } from "../grpc/call.ts";
import { MAX_MESSAGE_BYTES, tooLarge } from "../grpc/envelope.ts";
import { targetOf } from "./api-target.ts";
import type { CallContext } from "./call-context.ts";
import { namedPart, refuseIfOpen, type Fetch } from "./named-part.ts";

/** Writes one message to kubelet; resolves once it is taken. */
export type Send = (message: Uint8Array) => Promise<void>;

/** The stream handlers: `one` runtime's stream, and `fanIn` of a Stream* list from every runtime. */
export function createStreamCalls(ctx: CallContext) {
  const { primary, named } = ctx;
  // Streams are open-ended: only kubelet's own deadline applies, not --request-timeout.
  const streamOptions = (call: Call, signal = call.signal): CallOptions => ({
    deadline: call.deadline,
    signal,
    metadata: call.metadata,
    span: call.span,
    answer: call.answerMetadata,
  });
  const forward = (call: Call, b: Backend, send: Send) => (msg: Buffer) => send(ctx.rewrite.message(call.row, b, msg));

  /** One runtime's stream, each message rewritten as kubelet must see it. */
  async function one(call: Call, b: Backend, message: Uint8Array, send: Send): Promise<void> {
    call.routedTo.push(b.label);
    refuseIfOpen(ctx, b);
    await ctx.whenReady(b, streamOptions(call));
    const t = targetOf(call, b, message);
    await streamRaw(b, t.path, t.message, forward(call, b, send), streamOptions(call));
  }

  /** A named runtime's whole Stream* answer, bounded like a unary list answer. */
  const whole =
    (call: Call): Fetch =>
    async (b, opts) => {
      const messages: Buffer[] = [];
      let bytes = 0;
      const what = `stream of runtime ${b.label} on ${call.path}`;
      const t = targetOf(call, b);
      await streamRaw(
        b,
        t.path,
        t.message,
        (m) => {
          bytes += m.length;
          if (bytes > MAX_MESSAGE_BYTES) throw tooLarge(what, bytes);
          call.ledger.take(m.length, what);
          messages.push(m);
        },
        opts,
      );
      return messages;
    };

  /**
   * A Stream* list from every runtime: the primary's messages flow as they arrive and its
   * failure fails the call; a named runtime's part is sent only once whole (or its last-known
   * part, or none), so kubelet never sees a silently truncated part of it.
   */
  async function fanIn(call: Call, send: Send): Promise<void> {
    const opts = streamOptions(call);
    call.routedTo.push(primary.label);
    await ctx.whenReady(primary, opts);
    const t = targetOf(call, primary);
    const parts = Promise.all(
      named.map(async (b) => {
        const messages = await namedPart(ctx, call, b, whole(call));
        for (const m of messages ?? []) await send(m);
      }),
    );
    parts.catch(() => {}); // when the primary fails first, the call's error is the primary's
    await streamRaw(primary, t.path, t.message, forward(call, primary, send), opts);
    await parts;
  }

  return { one, fanIn };
}
