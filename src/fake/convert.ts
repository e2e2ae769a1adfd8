// Pure converters from the fake's records to CRI status, stats and metrics messages.
import { create } from "@bufbuild/protobuf";
import {
  ContainerStatsSchema,
  ContainerStatusSchema,
  MetricDescriptorSchema,
  MetricType,
  NamespaceMode,
  PodSandboxMetricsSchema,
  PodSandboxStatsSchema,
  PodSandboxStatusSchema,
  type ContainerStats,
  type ContainerStatus,
  type MetricDescriptor,
  type PodSandboxMetrics,
  type PodSandboxStats,
  type PodSandboxStatus,
} from "../gen/runtime/v1/api_pb.ts";
import type { FakeContainer, FakeSandbox, FakeState } from "./state.ts";

/** The `PodSandboxStatus` of a sandbox. */
export function toSandboxStatus(pod: FakeSandbox): PodSandboxStatus {
  const s = pod.sandbox;
  return create(PodSandboxStatusSchema, {
    id: s.id,
    metadata: s.metadata,
    state: s.state,
    createdAt: s.createdAt,
    network: { ip: pod.ip, additionalIps: [] },
    linux: {
      namespaces: { options: { network: NamespaceMode.POD, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD } },
    },
    labels: s.labels,
    annotations: s.annotations,
    runtimeHandler: s.runtimeHandler,
  });
}

/** The `ContainerStatus` of a container. */
export function toContainerStatus(c: FakeContainer): ContainerStatus {
  const k = c.container;
  return create(ContainerStatusSchema, {
    id: k.id,
    metadata: k.metadata,
    state: k.state,
    createdAt: k.createdAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    exitCode: c.exitCode,
    image: k.image,
    imageRef: k.imageRef,
    imageId: k.imageId,
    reason: c.reason,
    labels: k.labels,
    annotations: k.annotations,
    mounts: [],
    logPath: c.logPath,
    resources: { linux: c.resources ?? { cpuShares: 2n, memoryLimitInBytes: 0n, oomScoreAdj: 1000n } },
    user: { linux: { uid: 0n, gid: 0n, supplementalGroups: [0n] } },
  });
}

// Stable per-id pseudo-random numbers: stats look alive but tests can still compare runs.
function seedOf(id: string): bigint {
  return BigInt(`0x${id.replace(/[^0-9a-f]/g, "").slice(0, 8) || "1"}`);
}

/** `ContainerStats` for a container at time `now` (ns). */
export function toContainerStats(c: FakeContainer, now: bigint): ContainerStats {
  const k = c.container;
  const seed = seedOf(k.id);
  const running = c.finishedAt === 0n && c.startedAt !== 0n;
  const uptime = now > c.startedAt ? now - c.startedAt : 0n;
  const cpu = running ? uptime / 20n + (seed % 1_000_000n) : 0n;
  const memory = 8_000_000n + (seed % 200_000_000n);
  return create(ContainerStatsSchema, {
    attributes: { id: k.id, metadata: k.metadata, labels: k.labels, annotations: k.annotations },
    cpu: {
      timestamp: now,
      usageCoreNanoSeconds: { value: cpu },
      usageNanoCores: { value: running ? 1_000_000n + (seed % 50_000_000n) : 0n },
    },
    memory: {
      timestamp: now,
      workingSetBytes: { value: memory },
      availableBytes: { value: 1_073_741_824n - memory },
      usageBytes: { value: memory + 4_096_000n },
      rssBytes: { value: memory / 2n },
      pageFaults: { value: seed % 100_000n },
      majorPageFaults: { value: seed % 100n },
    },
    writableLayer: {
      timestamp: now,
      fsId: { mountpoint: "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs" },
      usedBytes: { value: 4096n + (seed % 10_000_000n) },
      inodesUsed: { value: 1n + (seed % 500n) },
    },
  });
}

/** `PodSandboxStats` for a sandbox and its containers at time `now` (ns). */
export function toSandboxStats(state: FakeState, pod: FakeSandbox, now: bigint): PodSandboxStats {
  const s = pod.sandbox;
  const containers = [...state.containers.values()]
    .filter((c) => c.container.podSandboxId === s.id)
    .map((c) => toContainerStats(c, now));
  const sum = (f: (c: ContainerStats) => bigint) => containers.reduce((acc, c) => acc + f(c), 0n);
  const seed = seedOf(s.id);
  return create(PodSandboxStatsSchema, {
    attributes: { id: s.id, metadata: s.metadata, labels: s.labels, annotations: s.annotations },
    linux: {
      cpu: { timestamp: now, usageCoreNanoSeconds: { value: sum((c) => c.cpu?.usageCoreNanoSeconds?.value ?? 0n) } },
      memory: { timestamp: now, workingSetBytes: { value: sum((c) => c.memory?.workingSetBytes?.value ?? 0n) } },
      network: {
        timestamp: now,
        defaultInterface: {
          name: "eth0",
          rxBytes: { value: seed % 1_000_000_000n },
          rxErrors: { value: 0n },
          txBytes: { value: seed % 700_000_000n },
          txErrors: { value: 0n },
        },
      },
      process: { timestamp: now, processCount: { value: BigInt(containers.length + 1) } },
      containers,
    },
  });
}

/** The metric descriptors the fake exposes (ListMetricDescriptors). */
export function metricDescriptors(): MetricDescriptor[] {
  return [
    [
      "container_cpu_usage_seconds_total",
      "Cumulative cpu time consumed in seconds.",
      ["container", "pod", "namespace"],
    ],
    ["container_memory_working_set_bytes", "Current working set in bytes.", ["container", "pod", "namespace"]],
    ["container_network_receive_bytes_total", "Cumulative count of bytes received.", ["interface", "pod", "namespace"]],
  ].map(([name, help, labelKeys]) =>
    create(MetricDescriptorSchema, { name: name as string, help: help as string, labelKeys: labelKeys as string[] }),
  );
}

/** `PodSandboxMetrics` for a sandbox at time `now` (ns). */
export function toSandboxMetrics(state: FakeState, pod: FakeSandbox, now: bigint): PodSandboxMetrics {
  const s = pod.sandbox;
  const meta = s.metadata!;
  const containers = [...state.containers.values()].filter((c) => c.container.podSandboxId === s.id);
  return create(PodSandboxMetricsSchema, {
    podSandboxId: s.id,
    metrics: [
      {
        name: "container_network_receive_bytes_total",
        timestamp: now,
        metricType: MetricType.COUNTER,
        labelValues: ["eth0", meta.name, meta.namespace],
        value: { value: seedOf(s.id) % 1_000_000_000n },
      },
    ],
    containerMetrics: containers.map((c) => {
      const stats = toContainerStats(c, now);
      const labels = [c.container.metadata?.name ?? "", meta.name, meta.namespace];
      return {
        containerId: c.container.id,
        metrics: [
          {
            name: "container_cpu_usage_seconds_total",
            timestamp: now,
            metricType: MetricType.COUNTER,
            labelValues: labels,
            value: { value: (stats.cpu?.usageCoreNanoSeconds?.value ?? 0n) / 1_000_000_000n },
          },
          {
            name: "container_memory_working_set_bytes",
            timestamp: now,
            metricType: MetricType.GAUGE,
            labelValues: labels,
            value: { value: stats.memory?.workingSetBytes?.value ?? 0n },
          },
        ],
      };
    }),
  });
}
