// Identifiers shaped like a real runtime's, so the proxy's prefixing sees realistic input.
import { createHash, randomBytes } from "node:crypto";

/** A fresh 64-hex id, like containerd's sandbox and container ids. */
export function newId(): string {
  return randomBytes(32).toString("hex");
}

/** A stable `sha256:` digest of some text: image ids and repo digests derive from names. */
export function digestOf(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/** A short url-safe token, as a streaming server hands out for Exec/Attach/PortForward. */
export function streamToken(): string {
  return randomBytes(6).toString("base64url");
}

/** Now as int64 nanoseconds since the epoch (CRI `created_at`). */
export function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
