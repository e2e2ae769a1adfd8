// Waiting for a condition, and a call's outcome as a gRPC code: shared by the end-to-end tests.

/** Polls `check` until it holds; throws after `ms`. */
export async function waitFor(check: () => Promise<boolean> | boolean, ms = 8000, what = "condition"): Promise<void> {
  const until = Date.now() + ms;
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > until) throw new Error(`${what} not met within ${ms}ms`);
    await Bun.sleep(25);
  }
}

/** A call's outcome as {code, details}; code 0 when it answered. */
export const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 0, details: "" }),
    (e: { code: number; details: string }) => ({ code: e.code, details: e.details }),
  );
