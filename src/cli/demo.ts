// `criproxy demo`: two in-process fake runtimes, the proxy between, a short kubelet-like session.
import { defineCommand } from "citty";

export default defineCommand({
  meta: { name: "demo", description: "Route a short kubelet-like session between two built-in fake runtimes" },
  run() {
    process.stderr.write("criproxy demo: not built yet (routing issue)\n");
    process.exit(1);
  },
});
