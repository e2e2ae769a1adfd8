// `criproxy version`: this build and the CRI API it was generated from.
import { defineCommand } from "citty";
import { CRI_API_VERSION, VERSION } from "../version.ts";

export default defineCommand({
  meta: { name: "version", description: "Print criproxy's version and the CRI API version it speaks" },
  run() {
    process.stdout.write(`criproxy ${VERSION}\nCRI API runtime.v1 (k8s.io/cri-api ${CRI_API_VERSION})\n`);
  },
});
