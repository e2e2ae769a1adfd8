// The routing table: which named backends exist and which RuntimeClass handlers they claim.
import { isBackendName } from "./names.ts";

/** A RuntimeClass handler claimed by a backend, and the handler name that backend sees ("" = its default). */
export interface HandlerClaim {
  readonly backend: string;
  readonly handler: string;
}

export interface RoutingTable {
  /** Named backends in --connect order; the primary is "" and not listed. */
  readonly names: readonly string[];
  readonly nameSet: ReadonlySet<string>;
  /** kubelet's RuntimeClass handler -> the backend and the handler that backend sees. */
  readonly handlers: ReadonlyMap<string, HandlerClaim>;
  /** The reverse of handlers: backend -> the handler it reports -> the name kubelet knows it by. */
  readonly kubeletHandlers: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

export type HandlerClaims = Iterable<readonly [string, HandlerClaim]> | Readonly<Record<string, HandlerClaim>>;

/** Builds and validates a routing table; throws on a bad name, a duplicate, or a claim for an unknown backend. */
export function routingTable(names: readonly string[], handlers: HandlerClaims = []): RoutingTable {
  const nameSet = new Set<string>();
  for (const name of names) {
    if (!isBackendName(name)) throw new Error(`invalid runtime name "${name}": must be a lowercase DNS subdomain`);
    if (nameSet.has(name)) throw new Error(`runtime "${name}" is configured twice`);
    nameSet.add(name);
  }
  const entries = Symbol.iterator in handlers ? [...(handlers as Iterable<readonly [string, HandlerClaim]>)] : Object.entries(handlers);
  const claims = new Map<string, HandlerClaim>();
  const reverse = new Map<string, Map<string, string>>();
  for (const [kubeletName, claim] of entries) {
    if (claim.backend !== "" && !nameSet.has(claim.backend)) {
      throw new Error(`runtime handler "${kubeletName}" is claimed by unknown runtime "${claim.backend}"`);
    }
    if (claims.has(kubeletName)) throw new Error(`runtime handler "${kubeletName}" is claimed twice`);
    claims.set(kubeletName, { backend: claim.backend, handler: claim.handler });
    const byHandler = reverse.get(claim.backend) ?? new Map<string, string>();
    // Two kubelet names for one backend handler: answers report the first.
    if (!byHandler.has(claim.handler)) byHandler.set(claim.handler, kubeletName);
    reverse.set(claim.backend, byHandler);
  }
  return { names: [...names], nameSet, handlers: claims, kubeletHandlers: reverse };
}

/** The backend that claims kubelet's handler name, or undefined when none does (then it is the primary's own). */
export function handlerOwner(table: RoutingTable, kubeletHandler: string): string | undefined {
  return table.handlers.get(kubeletHandler)?.backend;
}
