// What each runtime said in Status.runtime_handlers, as the proxy learns it: once when a runtime
// becomes ready, and from every Status fan-out (kubelet asks every few seconds). A runtime that
// goes away keeps its handlers, so a pod for it fails fast instead of landing on the primary;
// a runtime removed from the configuration loses them.
import { fromBinary } from "@bufbuild/protobuf";
import { StatusResponseSchema, type StatusResponse } from "../gen/runtime/v1/api_pb.ts";

/** The most handlers remembered per runtime: a runtime cannot grow the routing table without bound. */
export const MAX_HANDLERS = 256;

/** Handler names reported per runtime ("" = the primary), with a version that changes when they do. */
export class HandlerReports {
  private readonly byRuntime = new Map<string, readonly string[]>();
  /** Bumped on every change: a cheap check for "rebuild the routing table". */
  version = 0;

  /** The handlers runtime `name` reported last; [] if none yet. */
  of(name: string): readonly string[] {
    return this.byRuntime.get(name) ?? [];
  }

  /** Every runtime's last report. */
  get all(): ReadonlyMap<string, readonly string[]> {
    return this.byRuntime;
  }

  /** Records a runtime's report (kept as reported, first MAX_HANDLERS names); true when it changed. */
  note(name: string, handlers: readonly string[]): boolean {
    const next = [...new Set(handlers)].slice(0, MAX_HANDLERS);
    const have = this.byRuntime.get(name);
    if (have !== undefined && have.length === next.length && have.every((h, i) => h === next[i])) return false;
    this.byRuntime.set(name, next);
    this.version++;
    return true;
  }

  /** Records the handlers in an encoded StatusResponse; a garbled answer records nothing. */
  noteStatus(name: string, status: Uint8Array): boolean {
    let decoded: StatusResponse;
    try {
      decoded = fromBinary(StatusResponseSchema, status);
    } catch {
      return false;
    }
    return this.noteDecoded(name, decoded);
  }

  /** Records the handlers in a StatusResponse already decoded (a Status fan-out merges it too). */
  noteDecoded(name: string, status: StatusResponse): boolean {
    return this.note(
      name,
      status.runtimeHandlers.map((h) => h.name),
    );
  }

  /** Forgets runtimes no longer configured. */
  keepOnly(names: ReadonlySet<string>): void {
    for (const name of [...this.byRuntime.keys()]) {
      if (names.has(name)) continue;
      this.byRuntime.delete(name);
      this.version++;
    }
  }
}
