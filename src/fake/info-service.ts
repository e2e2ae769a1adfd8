// Runtime-wide operations of the fake RuntimeService: identity, status, config, events.
import type { ServiceImpl } from "@connectrpc/connect";
import { CgroupDriver, type RuntimeService } from "../gen/runtime/v1/api_pb.ts";
import type { FakeContext } from "./fake-context.ts";

/** Version, Status, RuntimeConfig, UpdateRuntimeConfig and GetContainerEvents of the fake. */
export function infoService(ctx: FakeContext): Partial<ServiceImpl<typeof RuntimeService>> {
  return {
    version() {
      return { version: "0.1.0", runtimeName: ctx.runtimeName, runtimeVersion: "1.0.0-fake", runtimeApiVersion: "v1" };
    },

    status(req) {
      const info: Record<string, string> = req.verbose
        ? { config: JSON.stringify({ runtimeName: ctx.runtimeName, handlers: ctx.handlers }) }
        : {};
      return {
        status: {
          conditions: [
            { type: "RuntimeReady", status: true },
            { type: "NetworkReady", status: true },
          ],
        },
        info,
        runtimeHandlers: ctx.handlers.map((name) => ({
          name,
          features: { recursiveReadOnlyMounts: true, userNamespaces: true },
        })),
        features: { supplementalGroupsPolicy: true },
      };
    },

    runtimeConfig() {
      return { linux: { cgroupDriver: CgroupDriver.SYSTEMD } };
    },

    updateRuntimeConfig(req) {
      if (req.runtimeConfig) ctx.runtimeConfigs.push(req.runtimeConfig);
      return {};
    },

    getContainerEvents(_req, context) {
      return ctx.events.subscribe(context.signal);
    },
  };
}
