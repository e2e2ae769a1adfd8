// Whether something accepts connections on a Unix socket: the health check's view of criproxy.
import { createConnection } from "node:net";

/** Resolves true when a connection to the socket at `path` opens within `timeoutMs`. */
export function socketAccepts(path: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ path });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}
