// The ill-behaved runtime (server.mjs) as a Node child process, driven from a test.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { Behaviour } from "./behaviour.ts";

const SERVER = `${import.meta.dir}/server.mjs`;
const READY_MS = 10_000;
const COMMAND_MS = 5_000;
const STOP_MS = 3_000;

/** What the runtime answers on one :path when it behaves: encoded messages (one for unary). */
export interface ScriptedAnswer {
  readonly messages: readonly Uint8Array[];
  /** Server-streaming: every message, then OK. */
  readonly stream?: boolean;
  /** A stream that stays open after its messages (GetContainerEvents). */
  readonly open?: boolean;
}

export interface HostileStats {
  /** Requests received per :path since the start. */
  readonly counts: Readonly<Record<string, number>>;
  /** Streams open now (a stall the peer never ended stays here). */
  readonly open: number;
  /** HTTP/2 connections open now. */
  readonly sessions: number;
}

export interface HostileRuntime {
  readonly socket: string;
  readonly pid: number;
  /** Sets the normal answers of the given paths (a path without one answers Unimplemented). */
  setAnswers(answers: Readonly<Record<string, ScriptedAnswer>>): Promise<void>;
  /** From the next request on `path` ("*": every path without its own), misbehave; undefined clears. */
  behave(path: string, behaviour: Behaviour | undefined): Promise<void>;
  /** Every path answers normally again. */
  normal(): Promise<void>;
  stats(): Promise<HostileStats>;
  /** Requests received on `path` so far. */
  count(path: string): Promise<number>;
  /** Stops it (SIGTERM, SIGKILL after a bound); the socket file is removed. */
  stop(): Promise<void>;
}

/** Starts the hostile runtime on `socket`; resolves once it listens, with `answers` set. */
export async function startHostileRuntime(
  socket: string,
  answers: Readonly<Record<string, ScriptedAnswer>> = {},
): Promise<HostileRuntime> {
  const proc = spawn("node", [SERVER, socket], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const pending = new Map<number, { resolve(v: Record<string, unknown>): void; reject(e: Error): void }>();
  let nextId = 1;
  const ready = Promise.withResolvers<void>();
  proc.once("exit", (code) => {
    ready.reject(new Error(`hostile runtime exited before ready (code ${code})`));
    for (const p of pending.values()) p.reject(new Error("hostile runtime exited"));
    pending.clear();
  });
  createInterface({ input: proc.stdout! }).on("line", (line) => {
    const msg = JSON.parse(line) as Record<string, unknown>;
    if (msg.ready !== undefined) return ready.resolve();
    const p = pending.get(msg.id as number);
    pending.delete(msg.id as number);
    if (msg.error !== undefined) p?.reject(new Error(`hostile runtime: ${String(msg.error)}`));
    else p?.resolve(msg);
  });
  const timer = setTimeout(() => ready.reject(new Error(`hostile runtime not ready within ${READY_MS}ms`)), READY_MS);
  try {
    await ready.promise;
  } catch (e) {
    proc.kill("SIGKILL");
    throw e;
  } finally {
    clearTimeout(timer);
  }

  const send = (c: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`hostile runtime: no answer to ${String(c.op)} within ${COMMAND_MS}ms`));
      }, COMMAND_MS);
      pending.set(id, {
        resolve: (v) => (clearTimeout(t), resolve(v)),
        reject: (e) => (clearTimeout(t), reject(e)),
      });
      proc.stdin!.write(`${JSON.stringify({ ...c, id })}\n`);
    });
  };
  const runtime: HostileRuntime = {
    socket,
    pid: proc.pid!,
    async setAnswers(a) {
      const wire = Object.fromEntries(
        Object.entries(a).map(([path, s]) => [
          path,
          { messages: s.messages.map((m) => Buffer.from(m).toString("base64")), stream: s.stream, open: s.open },
        ]),
      );
      await send({ op: "answers", answers: wire });
    },
    async behave(path, behaviour) {
      await send({ op: "behave", path, behaviour });
    },
    async normal() {
      await send({ op: "normal" });
    },
    async stats() {
      return (await send({ op: "stats" })) as unknown as HostileStats;
    },
    async count(path) {
      return (await runtime.stats()).counts[path] ?? 0;
    },
    stop: () => stopChild(proc, exited),
  };
  await runtime.setAnswers(answers);
  return runtime;
}

async function stopChild(proc: ChildProcess, exited: Promise<void>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), STOP_MS);
  await exited;
  clearTimeout(timer);
}
