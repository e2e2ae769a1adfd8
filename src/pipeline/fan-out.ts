// Unary calls that go to every runtime: merged lists, fan-in, Status, UpdateRuntimeConfig,
// and images named by digest. The primary's answer flows on as it arrives; each named
// runtime's part is whole or absent (named-part.ts).
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Backend } from "../backends/backend.ts";
import { unaryRaw } from "../backends/raw-call.ts";
import { pickHolder } from "../core/fan-out-policy.ts";
import { mergeMetricDescriptors, mergeStatus, mergeStrategy } from "../core/merge.ts";
import type { RouteKind } from "../core/methods.ts";
import { ListMetricDescriptorsResponseSchema, StatusResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import type { Answer } from "../grpc/answer.ts";
import type { Call } from "../grpc/call.ts";
import { MAX_MESSAGE_BYTES } from "../grpc/envelope.ts";
import { answerMetadata } from "../grpc/metadata.ts";
import type { RawAnswer } from "../grpc/raw-answer.ts";
import { hasMethod, targetOf } from "./api-target.ts";
import type { CallContext } from "./call-context.ts";
import { namedPart, type Fetch } from "./named-part.ts";

type FanOutKind = Extract<RouteKind, "list" | "fan-in" | "status" | "all" | "image">;

/** The handler of unary fan-out calls, by route kind. */
export function createFanOut(ctx: CallContext): (call: Call) => Promise<Answer> {
  const { primary, named } = ctx;

  /**
   * The primary's answer: it must answer, or the call fails (a list without it would look like
   * every pod gone); a primary whose API lacks the method fails the call with Unimplemented.
   */
  async function fromPrimary(call: Call): Promise<RawAnswer> {
    const callOpts = ctx.callOptions(call);
    call.routedTo.push(primary.label);
    await ctx.whenReady(primary, callOpts);
    const t = targetOf(call, primary);
    return unaryRaw(primary, t.path, t.message, callOpts);
  }

  const whole =
    (call: Call): Fetch =>
    async (b, opts) => {
      const t = targetOf(call, b);
      return [await (await unaryRaw(b, t.path, t.message, opts)).message()];
    };

  /** The primary's answer and each named runtime's part (undefined: left out), in --connect order. */
  const everyone = (call: Call) =>
    Promise.all([fromPrimary(call), ...named.map((b) => namedPart(ctx, call, b, whole(call)))]);

  async function merged(call: Call): Promise<Answer> {
    const [first, ...rest] = await everyone(call);
    const present = rest.flatMap((p) => p ?? []);
    if (present.length === 0) return first;
    const schema = call.row!.method.output;
    const strategy = mergeStrategy(schema);
    // Protobuf merges concatenated messages: list answers merge without being read.
    if (strategy === "concat") {
      const sizes = [await first.messageLength(), ...rest.map((p) => (p ?? []).reduce((n, m) => n + m.length, 0))];
      const total = sizes.reduce((a, b) => a + b, 0);
      if (total > MAX_MESSAGE_BYTES) {
        const shares = sizes.map((n, i) => `${i === 0 ? primary.label : named[i - 1].label} ${n}`).join(", ");
        throw new ConnectError(
          `merged answer to ${call.path} would be ${total} bytes (${shares}), more than kubelet's ${MAX_MESSAGE_BYTES} byte limit`,
          Code.ResourceExhausted,
        );
      }
      return [first, ...present];
    }
    if (strategy === "metric-descriptors") {
      const all = [await first.message(), ...present].map((p) => fromBinary(ListMetricDescriptorsResponseSchema, p));
      return toBinary(ListMetricDescriptorsResponseSchema, mergeMetricDescriptors(all));
    }
    throw new ConnectError(`no merge for ${schema.typeName}`, Code.Internal);
  }

  // Every Status answer updates what each runtime reports (the routing table's discovered
  // part) before kubelet's view is merged from it: runtime_handlers match the routing.
  async function status(call: Call): Promise<Answer> {
    const [first, ...rest] = await everyone(call);
    if (named.length === 0) return first;
    // Each answer is decoded once, for both the reports and the merge.
    const primaryStatus = fromBinary(StatusResponseSchema, await first.message());
    ctx.runtimes.handlers.noteDecoded("", primaryStatus);
    const others = [];
    for (const [i, part] of rest.entries()) {
      if (part === undefined) continue;
      const answer = decodeStatus(part[0]);
      if (answer !== undefined) ctx.runtimes.handlers.noteDecoded(named[i].name, answer);
      others.push({ backend: named[i].name, answer: answer ?? create(StatusResponseSchema) });
    }
    return toBinary(StatusResponseSchema, mergeStatus(primaryStatus, others, ctx.table));
  }

  // UpdateRuntimeConfig reaches every runtime; the runtime set gives it to those that connect later.
  async function all(call: Call): Promise<Answer> {
    ctx.runtimes.rememberConfig(call.path, call.request);
    const [first] = await everyone(call);
    return first;
  }

  /** An image named by digest: every runtime is asked, and pickHolder chooses whose answer kubelet gets. */
  async function anyHolder(call: Call): Promise<Answer> {
    const backends: Backend[] = [primary, ...named];
    const metas = backends.map(() => answerMetadata());
    const answers = await Promise.all(
      backends.map(async (b, i) => {
        try {
          // A named runtime whose breaker is open is not asked: it holds no image kubelet can wait for.
          if (
            i > 0 &&
            (!(await ctx.joins(b, call)) || !hasMethod(call, b) || ctx.runtimes.breaker(b.name).refusal() !== undefined)
          )
            return { ok: false as const };
          const opts = { ...ctx.callOptions(call, i === 0 ? undefined : ctx.budgetMs), answer: metas[i] };
          call.routedTo.push(b.label);
          if (i === 0) await ctx.whenReady(b, opts);
          const t = targetOf(call, b);
          return { ok: true as const, bytes: await (await unaryRaw(b, t.path, t.message, opts)).message() };
        } catch (e) {
          return { ok: false as const, error: e };
        }
      }),
    );
    const i = pickHolder(answers.map((a) => (a.ok ? { ok: true, length: a.bytes.length } : { ok: false })));
    if (i === undefined) throw (answers[0] as { error: unknown }).error;
    // kubelet gets the headers and trailers of the runtime whose answer it gets.
    call.answerMetadata?.headers.push(...metas[i].headers);
    call.answerMetadata?.trailers.push(...metas[i].trailers);
    return ctx.rewrite.message(call.row, backends[i], (answers[i] as { bytes: Buffer }).bytes);
  }

  const kinds: Record<FanOutKind, (call: Call) => Promise<Answer>> = {
    list: merged,
    "fan-in": merged,
    status,
    all,
    image: anyHolder,
  };
  return (call) => kinds[call.row!.kind as FanOutKind](call);
}

// A named runtime's garbled Status adds nothing: no handlers recorded, an empty answer merged.
function decodeStatus(bytes: Uint8Array) {
  try {
    return fromBinary(StatusResponseSchema, bytes);
  } catch {
    return undefined;
  }
}
