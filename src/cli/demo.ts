// `criproxy demo`: two built-in fake runtimes, the proxy between, a short kubelet-like session.
import { defineCommand } from "citty";

export default defineCommand({
  meta: {
    name: "demo",
    description: "Route a short kubelet-like session between two built-in fake runtimes (no runtime needed)",
  },
  args: {
    v: {
      type: "string",
      description: "Log level of the proxy's dumps (default 3: every state-changing call with its runtime)",
      valueHint: "N",
    },
  },
  async run({ args }) {
    const { runDemo } = await import("../demo/session.ts");
    await runDemo((line) => process.stdout.write(`${line}\n`), args.v === undefined ? 3 : Number(args.v));
    process.exit(0);
  },
});
