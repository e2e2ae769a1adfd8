// Unique Unix socket paths for tests, short enough for sun_path's 108 bytes.
import { tmpdir } from "node:os";
import { join } from "node:path";

let counter = 0;

/** A fresh socket path in the temp dir, unique per process and call. */
export function tempSocket(label = "cri"): string {
  return join(tmpdir(), `${label}-${process.pid}-${++counter}.sock`);
}
