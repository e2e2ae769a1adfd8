// The first interceptor: each call's method table row, from its path. The server knows only
// the path (it binds its socket before the generated CRI API is loaded); everything after
// this reads the row.
import { methodTable } from "../core/methods.ts";
import type { Interceptor } from "../grpc/call.ts";

/** Fills in `call.row` from the method table (undefined for a method this build does not know). */
export const resolveRows: Interceptor = (next) => ({
  unary(call) {
    call.row = methodTable.get(call.path);
    return next.unary(call);
  },
  stream(call, send) {
    call.row = methodTable.get(call.path);
    return next.stream(call, send);
  },
});
