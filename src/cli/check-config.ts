// `criproxy check-config FILE`: validates a configuration file without starting anything.
import { defineCommand } from "citty";
import { loadConfig } from "../config/config-file.ts";

export default defineCommand({
  meta: {
    name: "check-config",
    description: "Check a --config file (YAML or TOML): exit 0 when serve would accept it, 1 with the reason otherwise",
  },
  args: {
    file: {
      type: "positional",
      required: true,
      description: "The configuration file. Example: criproxy check-config /etc/criproxy/config.yaml",
      valueHint: "FILE",
    },
  },
  run({ args }) {
    try {
      const c = loadConfig({ config: String(args.file) });
      const runtimes = c.backends
        .map((b) => (b.name === "" ? `primary unix://${b.socket}` : `${b.name} unix://${b.socket}`))
        .join(", ");
      process.stdout.write(
        `${args.file}: ok: listen ${c.listen}; ${runtimes}${c.metricsAddr ? `; metrics ${c.metricsAddr.host}:${c.metricsAddr.port}` : ""}\n`,
      );
    } catch (e) {
      process.stderr.write(`criproxy: ${(e as Error).message}\n`);
      process.exit(1);
    }
  },
});
