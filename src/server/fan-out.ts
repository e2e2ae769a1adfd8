// Unary calls that go to every runtime: lists, fan-in, Status, UpdateRuntimeConfig.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import type { Backend } from "../backends/backend.ts";
import type { RawAnswer } from "../backends/raw-answer.ts";
import { unaryRaw } from "../backends/raw-call.ts";
import { mergeMetricDescriptors, mergeStatus, mergeStrategy } from "../core/merge.ts";
import type { RouteKind } from "../core/methods.ts";
import { ListMetricDescriptorsResponseSchema, StatusResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import type { Answer, Call } from "./call.ts";
import { FANOUT_TIMEOUT_MS, type ProxyContext } from "./proxy.ts";

/** Lists kubelet reads as the truth of what exists: a vanished runtime's last answer stands in. */
const REMEMBERED = new Set(["ListPodSandbox", "ListContainers"]);

type FanOutKind = Extract<RouteKind, "list" | "fan-in" | "status" | "all" | "image">;

/** The handler for unary fan-out calls, by route kind; `dispose` drops its backend subscriptions. */
export function createFanOut(ctx: ProxyContext): { call(call: Call): Promise<Answer>; dispose(): void } {
  const { primary, named, log } = ctx;

  /** The primary's answer: it must answer, or the call fails (a list without it would look like every pod gone). */
  async function fromPrimary(call: Call): Promise<RawAnswer> {
    const callOpts = ctx.callOptions(call);
    call.routedTo.push(primary.label);
    await ctx.whenReady(primary, callOpts);
    return unaryRaw(primary, call.path, call.request, callOpts);
  }

  /** A named runtime's answer bytes, or undefined when it is absent or failed (logged). */
  async function fromNamed(call: Call, b: Backend): Promise<RawAnswer | undefined> {
    if (b.state !== "ready") return undefined;
    call.routedTo.push(b.label);
    try {
      return await unaryRaw(b, call.path, call.request, ctx.callOptions(call, FANOUT_TIMEOUT_MS));
    } catch (e) {
      log.log(2, "W", "fan-out.ts", `${call.path}: runtime ${b.label} left out: ${ConnectError.from(e).message}`);
      return undefined;
    }
  }

  /** Every runtime's part of a list, rewritten; a vanished runtime's last-known part for remembered lists. */
  async function parts(call: Call): Promise<[RawAnswer, ...(Uint8Array | undefined)[]]> {
    const key = REMEMBERED.has(call.row!.method.name) ? `${call.path}\0${call.request.toString("latin1")}` : undefined;
    const namedParts = named.map(async (b) => {
      const answer = await fromNamed(call, b);
      if (answer !== undefined) {
        const raw = await answer.message();
        if (key === undefined) return ctx.rewrite.message(call.row, b, raw);
        const part = ctx.lastKnown.rewritten(b.name, key, raw) ?? ctx.rewrite.message(call.row, b, raw);
        ctx.lastKnown.put(b.name, key, raw, part);
        return part;
      }
      const stale = key !== undefined && b.seen ? ctx.lastKnown.get(b.name, key) : undefined;
      if (!stale) return undefined;
      ctx.lastKnown.served++;
      log.log(2, "W", "fan-out.ts", `${call.path}: runtime ${b.label} is ${b.state}; serving its last-known answer (${Math.round(stale.ageMs / 1000)}s old)`);
      return stale.part;
    });
    return Promise.all([fromPrimary(call), ...namedParts]);
  }

  async function merged(call: Call): Promise<Answer> {
    const [first, ...rest] = await parts(call);
    const present = rest.filter((p): p is Uint8Array => p !== undefined);
    if (present.length === 0) return first;
    const schema = call.row!.method.output;
    const strategy = mergeStrategy(schema);
    // Protobuf merges concatenated messages: list answers merge without being read.
    if (strategy === "concat") return [first, ...present];
    if (strategy === "metric-descriptors") {
      const all = [await first.message(), ...present].map((p) => fromBinary(ListMetricDescriptorsResponseSchema, p));
      return toBinary(ListMetricDescriptorsResponseSchema, mergeMetricDescriptors(all));
    }
    throw new Error(`no merge for ${schema.typeName}`);
  }

  async function status(call: Call): Promise<Answer> {
    const [first, ...rest] = await Promise.all([fromPrimary(call), ...named.map((b) => fromNamed(call, b))]);
    const others = [];
    for (const [i, raw] of rest.entries()) if (raw !== undefined) others.push({ backend: named[i].name, answer: safeStatus(await raw.message().catch(() => Buffer.alloc(0))) });
    if (others.length === 0) return first;
    return toBinary(StatusResponseSchema, mergeStatus(fromBinary(StatusResponseSchema, await first.message()), others, ctx.table));
  }

  // UpdateRuntimeConfig reaches every runtime, and a runtime that connects later gets the last one.
  let lastConfig: { path: string; request: Buffer } | undefined;
  const unsubscribe = named.map((b) =>
    b.subscribe((backend) => {
      if (backend.state !== "ready" || !lastConfig) return;
      const { path, request } = lastConfig;
      unaryRaw(backend, path, request, { deadline: Date.now() + FANOUT_TIMEOUT_MS }).then(
        () => log.log(2, "I", "fan-out.ts", `replayed UpdateRuntimeConfig to runtime ${backend.label}`),
        (e) => log.log(2, "W", "fan-out.ts", `replaying UpdateRuntimeConfig to runtime ${backend.label}: ${ConnectError.from(e).message}`),
      );
    }),
  );
  async function all(call: Call): Promise<Answer> {
    lastConfig = { path: call.path, request: call.request };
    const [first] = await Promise.all([fromPrimary(call), ...named.map((b) => fromNamed(call, b))]);
    return first;
  }

  /**
   * An image named by digest: every runtime is asked; the first (in --connect order) that
   * answers something non-empty wins (ImageStatus of the runtime holding it), else the first
   * success (RemoveImage's empty answer), else the primary's error.
   */
  async function anyHolder(call: Call): Promise<Answer> {
    const [first, ...rest] = await Promise.allSettled([fromPrimary(call), ...named.map((b) => fromNamed(call, b))]);
    const answers = [];
    for (const [i, r] of [first, ...rest].entries()) {
      const answer = r.status === "fulfilled" ? r.value : undefined;
      const message = await answer?.message().catch(() => undefined);
      answers.push({ backend: i === 0 ? primary : named[i - 1], answer: message === undefined ? undefined : answer, length: message?.length ?? 0 });
    }
    const found = answers.find((a) => a.answer !== undefined && a.length > 0) ?? answers.find((a) => a.answer !== undefined);
    if (!found) throw (first as PromiseRejectedResult).reason;
    return ctx.rewrite.answer(call.row, found.backend, found.answer!);
  }

  const kinds: Record<FanOutKind, (call: Call) => Promise<Answer>> = { list: merged, "fan-in": merged, status, all, image: anyHolder };
  return {
    call: (call) => kinds[call.row!.kind as FanOutKind](call),
    dispose: () => unsubscribe.forEach((u) => u()),
  };
}

function safeStatus(raw: Buffer) {
  try {
    return fromBinary(StatusResponseSchema, raw);
  } catch {
    return create(StatusResponseSchema);
  }
}
