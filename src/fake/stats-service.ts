// Stats and metrics of the fake RuntimeService: numbers that look alive.
import type { ServiceImpl } from "@connectrpc/connect";
import type { RuntimeService } from "../gen/runtime/v1/api_pb.ts";
import { metricDescriptors, toContainerStats, toSandboxMetrics, toSandboxStats } from "./convert.ts";
import { batches, type FakeContext } from "./fake-context.ts";
import { filterContainers, filterSandboxes } from "./filters.ts";
import { nowNanos } from "./ids.ts";
import { getContainer, getSandbox } from "./state.ts";

/** The stats and metrics part of the fake RuntimeService. */
export function statsService(ctx: FakeContext): Partial<ServiceImpl<typeof RuntimeService>> {
  const { state } = ctx;
  const containerStats = (filter: Parameters<typeof filterContainers>[1]) => {
    const now = nowNanos();
    return filterContainers(state, filter).map((c) => toContainerStats(c, now));
  };
  const sandboxStats = (filter: Parameters<typeof filterSandboxes>[1]) => {
    const now = nowNanos();
    return filterSandboxes(state, filter).map((p) => toSandboxStats(state, p, now));
  };
  const sandboxMetrics = () => {
    const now = nowNanos();
    return [...state.sandboxes.values()].map((p) => toSandboxMetrics(state, p, now));
  };
  return {
    containerStats(req) {
      return { stats: toContainerStats(getContainer(state, req.containerId), nowNanos()) };
    },
    listContainerStats(req) {
      return { stats: containerStats(req.filter) };
    },
    async *streamContainerStats(req) {
      for (const batch of batches(containerStats(req.filter))) yield { containerStats: batch };
    },
    podSandboxStats(req) {
      return { stats: toSandboxStats(state, getSandbox(state, req.podSandboxId), nowNanos()) };
    },
    listPodSandboxStats(req) {
      return { stats: sandboxStats(req.filter) };
    },
    async *streamPodSandboxStats(req) {
      for (const batch of batches(sandboxStats(req.filter))) yield { podSandboxStats: batch };
    },
    listMetricDescriptors() {
      return { descriptors: metricDescriptors() };
    },
    listPodSandboxMetrics() {
      return { podMetrics: sandboxMetrics() };
    },
    async *streamPodSandboxMetrics() {
      for (const batch of batches(sandboxMetrics())) yield { podSandboxMetrics: batch };
    },
  };
}
