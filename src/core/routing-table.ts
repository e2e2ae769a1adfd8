// The routing table: which named backends exist and where each RuntimeClass handler goes.
// Handlers are claimed three ways, settled by one rule (first wins):
//   1. the configuration: `--runtime-handler H=NAME[:BH]` (or a backend's `handlers:`);
//   2. a runtime's name: handler `vm` goes to runtime vm, which sees its default handler "";
//   3. Status.runtime_handlers: the primary keeps its own; a handler only named runtimes
//      report goes to the first of them in --connect order, under its own name.
import { isBackendName, isHandlerName } from "./names.ts";

/** A RuntimeClass handler claimed by a backend, and the handler name that backend sees ("" = its default). */
export interface HandlerClaim {
  readonly backend: string;
  readonly handler: string;
}

/** How a claim came about, in the order claims win. */
export type ClaimOrigin = "configured" | "runtime-name" | "primary" | "reported";

/** A handler a runtime reports that goes elsewhere: the rule's loser, logged once. */
export interface HandlerConflict {
  /** The handler as kubelet sends it. */
  readonly handler: string;
  /** The runtime that reports it ("" = the primary). */
  readonly reporter: string;
  /** Where kubelet's handler goes instead ("" = the primary). */
  readonly winner: string;
  readonly origin: ClaimOrigin;
}

export interface RoutingTable {
  /** Named backends in --connect order; the primary is "" and not listed. */
  readonly names: readonly string[];
  readonly nameSet: ReadonlySet<string>;
  /** kubelet's RuntimeClass handler -> the backend and the handler that backend sees; an unlisted handler is the primary's. */
  readonly handlers: ReadonlyMap<string, HandlerClaim>;
  /** The reverse of handlers: backend -> the handler it reports -> the first name kubelet knows it by. */
  readonly kubeletHandlers: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Like kubeletHandlers, with every name kubelet can route to that backend handler, in precedence order. */
  readonly kubeletNames: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /** The configured claims the table was built from (to rebuild it with new reports). */
  readonly configured: readonly (readonly [string, HandlerClaim])[];
  /** Reported handlers that go elsewhere. */
  readonly conflicts: readonly HandlerConflict[];
}

export type HandlerClaims = Iterable<readonly [string, HandlerClaim]> | Readonly<Record<string, HandlerClaim>>;

/** Handlers each runtime reported in Status.runtime_handlers, by runtime name. */
export type ReportedHandlers = ReadonlyMap<string, readonly string[]>;

/**
 * Builds the routing table: configured claims, runtime names, and the handlers runtimes report
 * (named runtimes in `reported`, the primary's in `primaryHandlers`). Throws on a bad name, a
 * duplicate, or a configured claim for an unknown backend; reports never throw.
 */
export function routingTable(
  names: readonly string[],
  configured: HandlerClaims = [],
  reported: ReportedHandlers = new Map(),
  primaryHandlers: readonly string[] = [],
): RoutingTable {
  const nameSet = new Set<string>();
  for (const name of names) {
    if (!isBackendName(name)) throw new Error(`invalid runtime name "${name}": must be a lowercase DNS subdomain`);
    if (nameSet.has(name)) throw new Error(`runtime "${name}" is configured twice`);
    nameSet.add(name);
  }
  const entries =
    Symbol.iterator in configured
      ? [...(configured as Iterable<readonly [string, HandlerClaim]>)]
      : Object.entries(configured);
  const claims = new Map<string, HandlerClaim>();
  const origins = new Map<string, ClaimOrigin>();
  const claim = (kubeletName: string, c: HandlerClaim, origin: ClaimOrigin) => {
    claims.set(kubeletName, { backend: c.backend, handler: c.handler });
    origins.set(kubeletName, origin);
  };
  for (const [kubeletName, c] of entries) {
    if (c.backend !== "" && !nameSet.has(c.backend))
      throw new Error(`runtime handler "${kubeletName}" is claimed by unknown runtime "${c.backend}"`);
    if (claims.has(kubeletName)) throw new Error(`runtime handler "${kubeletName}" is claimed twice`);
    claim(kubeletName, c, "configured");
  }
  const reports = (name: string) => (reported.get(name) ?? []).filter(isHandlerName);
  // A runtime that reports a handler of its own name sees that one; otherwise its default.
  for (const name of names)
    if (!claims.has(name))
      claim(name, { backend: name, handler: reports(name).includes(name) ? name : "" }, "runtime-name");
  const conflicts: HandlerConflict[] = [];
  const primaryOwn = new Set(primaryHandlers.filter(isHandlerName));
  for (const h of primaryOwn) {
    const c = claims.get(h);
    if (c !== undefined && c.backend !== "")
      conflicts.push({ handler: h, reporter: "", winner: c.backend, origin: origins.get(h)! });
  }
  for (const name of names) {
    for (const h of reports(name)) {
      const c = claims.get(h);
      if (c !== undefined) {
        if (c.backend !== name)
          conflicts.push({ handler: h, reporter: name, winner: c.backend, origin: origins.get(h)! });
      } else if (primaryOwn.has(h)) {
        conflicts.push({ handler: h, reporter: name, winner: "", origin: "primary" });
      } else {
        claim(h, { backend: name, handler: h }, "reported");
      }
    }
  }
  const { first, all } = reverse(claims);
  return {
    names: [...names],
    nameSet,
    handlers: claims,
    kubeletHandlers: first,
    kubeletNames: all,
    configured: entries,
    conflicts,
  };
}

/** The same configuration with new reports: what runtimes said in Status since. */
export function withReports(
  table: RoutingTable,
  reported: ReportedHandlers,
  primaryHandlers: readonly string[],
): RoutingTable {
  return routingTable(table.names, table.configured, reported, primaryHandlers);
}

/** The backend that claims kubelet's handler name, or undefined when none does (then it is the primary's own). */
export function handlerOwner(table: RoutingTable, kubeletHandler: string): string | undefined {
  return table.handlers.get(kubeletHandler)?.backend;
}

/** Every name under which kubelet reaches `handler` of `backend`: what Status may report for it. */
export function kubeletNamesOf(table: RoutingTable, backend: string, handler: string): readonly string[] {
  const named = table.kubeletNames.get(backend)?.get(handler) ?? [];
  // The primary's own handlers are reached under their own name unless someone else claims it.
  return backend === "" && !table.handlers.has(handler) ? [handler, ...named] : named;
}

/** A conflict as one log line: which runtime reports what, and where it goes instead, by which rule. */
export function describeConflict(c: HandlerConflict): string {
  const who = (b: string) => (b === "" ? "the primary runtime" : `runtime ${JSON.stringify(b)}`);
  const why: Record<ClaimOrigin, string> = {
    configured: "the configuration (--runtime-handler) claims it",
    "runtime-name": "it is that runtime's name",
    primary: "the primary runtime reports it too, and the primary comes first",
    reported: "that runtime reports it too and comes first in --connect order",
  };
  return `runtime handler ${JSON.stringify(c.handler)} reported by ${who(c.reporter)} goes to ${who(c.winner)}: ${why[c.origin]}`;
}

function reverse(claims: ReadonlyMap<string, HandlerClaim>) {
  const first = new Map<string, Map<string, string>>();
  const all = new Map<string, Map<string, string[]>>();
  for (const [kubeletName, { backend, handler }] of claims) {
    const f = first.get(backend) ?? new Map<string, string>();
    // Two kubelet names for one backend handler: rewritten answers report the first.
    if (!f.has(handler)) f.set(handler, kubeletName);
    first.set(backend, f);
    const a = all.get(backend) ?? new Map<string, string[]>();
    a.set(handler, [...(a.get(handler) ?? []), kubeletName]);
    all.set(backend, a);
  }
  return { first, all };
}
