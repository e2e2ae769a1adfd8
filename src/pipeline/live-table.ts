// The routing table a call uses: the configuration's, with the handlers runtimes report laid
// over it (core/routing-table.ts settles who wins). Rebuilt only when a report changes, so a
// call pays one number comparison; a handler a runtime starts reporting routes without a reload.
import { describeConflict, withReports, type HandlerConflict, type RoutingTable } from "../core/routing-table.ts";
import type { Logger } from "../log/logger.ts";
import type { HandlerReports } from "./handler-reports.ts";

/** Conflicts remembered as logged; past this many, new ones are still logged, but not remembered. */
const MAX_LOGGED = 1024;

/** Returns the current table for `configured` and the runtimes' reports; each conflict is logged once. */
export function liveTable(configured: RoutingTable, reports: HandlerReports, log: Logger): () => RoutingTable {
  let version = -1;
  let table = configured;
  const logged = new Set<string>();
  return () => {
    if (reports.version === version) return table;
    version = reports.version;
    table = withReports(configured, reports.all, reports.of(""));
    for (const c of table.conflicts) logOnce(c);
    return table;
  };

  // Kubelet asks Status every few seconds: a conflict is news once, not at every answer.
  function logOnce(c: HandlerConflict): void {
    const key = `${c.handler}\0${c.reporter}\0${c.winner}`;
    if (logged.has(key)) return;
    if (logged.size < MAX_LOGGED) logged.add(key);
    log.log(0, "W", "live-table.ts", describeConflict(c));
  }
}
