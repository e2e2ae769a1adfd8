// A request body that never ends is cut off; one that arrives is forgotten.
import { expect, test } from "bun:test";
import { Code, type ConnectError } from "@connectrpc/connect";
import { watchBody } from "../../src/server/body-watch.ts";
import { waitFor } from "../support/wait.ts";

test("a body that does not arrive in time expires with DeadlineExceeded; one that arrives does not", async () => {
  const expired: ConnectError[] = [];
  const slow = watchBody((e) => expired.push(e), 50);
  const quick = watchBody(() => expired.push(null as never), 50);
  quick();
  await waitFor(() => expired.length > 0, 3000, "the slow body expired");
  expect(expired).toHaveLength(1);
  expect(expired[0].code).toBe(Code.DeadlineExceeded);
  slow();
});
