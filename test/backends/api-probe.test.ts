// Which CRI API a runtime speaks: probed with Version on v1, then v1alpha2 on Unimplemented;
// probed again on every reconnect; or forced by the configuration without asking the other.
import { fromBinary } from "@bufbuild/protobuf";
import { VersionResponseSchema } from "../../src/gen/runtime/v1/api_pb.ts";
import { afterEach, describe, expect, test } from "bun:test";
import { Backend } from "../../src/backends/backend.ts";
import { startFakeRuntime, type FakeRuntimeOptions } from "../../src/fake/runtime.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { waitFor } from "../support/wait.ts";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function fake(api: FakeRuntimeOptions["api"], socket = tempSocket("probe")) {
  const f = await startFakeRuntime({ socket, api });
  cleanup.push(() => f.stop());
  return f;
}

function backend(socket: string, api?: "v1" | "v1alpha2") {
  const b = new Backend({ name: "vm", socket, connectTimeoutMs: 1000, api });
  cleanup.push(() => b.close());
  b.start();
  return b;
}

describe("probing", () => {
  test.each<{ desc: string; serves: FakeRuntimeOptions["api"]; expect: string; versionCalls: string[] }>([
    {
      desc: "a v1 runtime speaks v1",
      serves: "v1" as const,
      expect: "v1",
      versionCalls: ["runtime.v1.RuntimeService"],
    },
    {
      desc: "a runtime serving both (containerd 1.6) speaks v1, never asked in v1alpha2",
      serves: "both" as const,
      expect: "v1",
      versionCalls: ["runtime.v1.RuntimeService"],
    },
    {
      desc: "a v1alpha2-only runtime: v1 is Unimplemented, then v1alpha2 answers",
      serves: "v1alpha2" as const,
      expect: "v1alpha2",
      versionCalls: ["runtime.v1alpha2.RuntimeService"],
    },
  ])("$desc", async ({ serves, expect: want, versionCalls }) => {
    const f = await fake(serves);
    const b = backend(f.socket);
    expect(b.api).toBeUndefined(); // not known before it answers
    await b.ready(5000);
    expect(b.api).toBe(want as never);
    expect(fromBinary(VersionResponseSchema, b.version!).runtimeName).toBe("fake"); // the answer as the runtime sent it
    // The fake records calls its services handle; a v1 call to a v1alpha2-only fake is refused by its router, unrecorded.
    expect(f.calls.filter((c) => c.method === "Version").map((c) => c.service)).toEqual(versionCalls);
  });

  test("a reconnect probes again: the runtime behind the socket may have changed", async () => {
    const socket = tempSocket("probe-re");
    const v1 = await fake("v1", socket);
    const b = backend(socket);
    await b.ready(5000);
    expect(b.api).toBe("v1");
    await v1.stop();
    await waitFor(() => b.state !== "ready", 3000, "the lost connection noticed");
    await fake("v1alpha2", socket);
    await b.ready(5000);
    expect(b.api).toBe("v1alpha2");
  });
});

describe("forced by the configuration", () => {
  test("v1alpha2 is spoken to a runtime serving both, without a v1 probe", async () => {
    const f = await fake("both");
    const b = backend(f.socket, "v1alpha2");
    expect(b.api).toBe("v1alpha2");
    await b.ready(5000);
    expect(f.calls.map((c) => c.service)).toEqual(["runtime.v1alpha2.RuntimeService"]);
  });

  test("a forced API the runtime does not serve does not fall back to the other", async () => {
    const f = await fake("v1alpha2");
    const b = backend(f.socket, "v1");
    await b.ready(5000); // Version answered with a status (Unimplemented): the runtime is there
    expect(b.api).toBe("v1");
    expect(f.calls).toEqual([]);
  });
});
