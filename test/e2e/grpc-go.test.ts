// Through the proxy with kubelet's own gRPC library (grpc-go, dialing the socket as kubelet
// does): answers, errors, 16 concurrent ~0.85 MB lists and a stream equal the runtime's own.
// The :authority is sent as kubelet >= 1.28 does (cri-client: "localhost"), as grpc-go 1.58+ and
// crictl do (the percent-encoded socket path), and as this grpc-go 1.33 does by itself (the raw
// socket path, as kubelet 1.26-1.28 on grpc-go < 1.58 do): all on default flags.
// The runtime is asked directly with "localhost", which the fake (Bun) accepts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { ContainerStatusRequestSchema } from "../../src/gen/runtime/v1/api_pb.ts";
import { grpcGoClient, type GoCall, type GoResult } from "../support/grpc-go.ts";
import { startProxy, type ProxyProcess } from "../support/proxy-process.ts";
import { missing } from "../support/requires.ts";
import { tempSocket } from "../support/temp-socket.ts";

const skip = missing("grpc-go");

let client: Awaited<ReturnType<typeof grpcGoClient>>;
let fake: FakeRuntime;
let proxy: ProxyProcess;

beforeAll(async () => {
  if (skip) return;
  client = await grpcGoClient();
  fake = await startFakeRuntime({ socket: tempSocket("go-rt"), pods: 240, images: 3 });
  proxy = await startProxy(["--connect", fake.socket]);
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await fake?.stop();
});

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

test.skipIf(skip).each([
  ["localhost"],
  ["%2Frun%2Fcriproxy.sock"],
  [""], // the raw socket path, as grpc-go derives it
])(
  "grpc-go with :authority %p sees the same answers and errors through the proxy as directly, on default flags",
  async (authority) => {
    const calls: GoCall[] = [
      { method: "/runtime.v1.RuntimeService/Version" },
      { method: "/runtime.v1.RuntimeService/ListPodSandbox" },
      { method: "/runtime.v1.RuntimeService/ListContainers", parallel: 16, repeat: 2 },
      { method: "/runtime.v1.ImageService/ListImages" },
      {
        method: "/runtime.v1.RuntimeService/ContainerStatus",
        request: b64(
          toBinary(ContainerStatusRequestSchema, create(ContainerStatusRequestSchema, { containerId: "nope" })),
        ),
      },
      { method: "/runtime.v1.RuntimeService/StreamContainers", stream: true },
      { method: "/runtime.v1.RuntimeService/NotInThisCriVersion" },
    ];
    const [direct, proxied] = [
      await client(fake.socket, calls, "localhost"),
      await client(proxy.socket, calls, authority),
    ];
    // The fake's router answers an unknown method with bare HTTP 404 (grpc-go: Unimplemented);
    // the proxy turns that into grpc-status 12 with its own text. Codes must agree; texts may not.
    // Headers and trailers (a date among them) are checked in test/e2e/metadata.test.ts.
    const strip = (r: GoResult[]) =>
      r.map(({ message, headers: _h, trailers: _t, ...rest }) => ({
        ...rest,
        message: rest.method.endsWith("NotInThisCriVersion") ? "" : message,
      }));
    expect(strip(proxied)).toEqual(strip(direct));
    const byMethod = Object.fromEntries(proxied.map((r) => [r.method.split("/").pop(), r]));
    expect(byMethod.ListContainers).toMatchObject({ calls: 32, failed: 0 });
    expect(byMethod.ListContainers.answers).toHaveLength(1); // every one of the 32 answers identical
    expect(Buffer.from(byMethod.ListContainers.answers![0], "base64").length).toBeGreaterThan(800_000);
    expect(byMethod.ContainerStatus).toMatchObject({ code: 5, failed: 1 });
    expect(byMethod.NotInThisCriVersion).toMatchObject({ code: 12 });
    expect(byMethod.StreamContainers.answers!.length).toBeGreaterThan(1);
  },
  60_000,
);
