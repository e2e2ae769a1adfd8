// Test controls wrapped around every fake method: record, delay, fail, or refuse.
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";

/** One received call: the rpc name, the decoded request message, and the service it came in on. */
export interface RecordedCall {
  method: string;
  request: unknown;
  /** e.g. `runtime.v1.RuntimeService`, or `runtime.v1alpha2.ImageService` on a v1alpha2 fake. */
  service: string;
}

/** The knobs a test turns on the fake: recorded calls, queued failures, delays, unimplemented methods. */
export class Controls {
  readonly calls: RecordedCall[] = [];
  private readonly failures = new Map<string, ConnectError[]>();
  private readonly delays = new Map<string, number>();
  private readonly unimplemented = new Set<string>();

  /** Queue a one-shot failure for the next call of `method`. */
  failNext(method: string, error: ConnectError): void {
    const queue = this.failures.get(method) ?? [];
    queue.push(error);
    this.failures.set(method, queue);
  }

  /** Answer `method` after `ms` (0 removes the delay). */
  setDelay(method: string, ms: number): void {
    if (ms > 0) this.delays.set(method, ms);
    else this.delays.delete(method);
  }

  /** Make `method` answer Unimplemented, as an older runtime does for a newer CRI method. */
  setUnimplemented(method: string): void {
    this.unimplemented.add(method);
  }

  /** Run before every handler: record the call, then apply unimplemented, delay and failure in that order. */
  async before(service: DescService, method: string, request: unknown, signal: AbortSignal): Promise<void> {
    this.calls.push({ method, request, service: service.typeName });
    if (this.unimplemented.has(method)) {
      // grpc-go's wording for a method the server does not register.
      throw new ConnectError(`unknown method ${method} for service ${service.typeName}`, Code.Unimplemented);
    }
    const delay = this.delays.get(method);
    if (delay) await sleep(delay, signal);
    const failure = this.failures.get(method)?.shift();
    if (failure) throw failure;
  }
}

// A delay that ends early when the client cancels or its deadline passes.
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(ConnectError.from(signal.reason, Code.Canceled));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(ConnectError.from(signal.reason, Code.Canceled));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

// biome-ignore lint/suspicious/noExplicitAny: any service's methods, wrapped alike whatever their message types
type AnyImpl = Record<string, (request: any, context: HandlerContext) => any>;

/** Wrap every method of a service implementation with the controls (looping over the descriptor). */
export function instrument<T extends object>(service: DescService, impl: T, controls: Controls): T {
  const source = impl as AnyImpl;
  const wrapped: AnyImpl = {};
  for (const method of service.methods) {
    const handler = source[method.localName];
    if (!handler) throw new Error(`fake runtime: ${service.typeName}/${method.name} not implemented`);
    wrapped[method.localName] =
      method.methodKind === "server_streaming"
        ? async function* (request, context) {
            await controls.before(service, method.name, request, context.signal);
            yield* handler(request, context);
          }
        : async (request, context) => {
            await controls.before(service, method.name, request, context.signal);
            return handler(request, context);
          };
  }
  return wrapped as T;
}
