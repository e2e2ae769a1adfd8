// Finds how kubelet is told its runtime endpoint on a node: a flag in its unit, a drop-in or
// an environment file, or a field of its KubeletConfiguration file (and --config-dir drop-ins).
// Anything it cannot read with certainty is an error, never a guess.
import type { HostView } from "./host-view.ts";
import { findFlag } from "./command-line-flag.ts";
import { kubeletConfigField, parseKubeletConfig } from "./kubelet-config-yaml.ts";
import { findKubeletUnitFiles, type KubeletUnitFiles } from "./kubelet-unit-files.ts";

/** The two endpoints kubelet has; criproxy serves both. */
export type EndpointKind = "runtime" | "image";

/** One place that sets an endpoint: a flag in a file, or a field of a config file. */
export interface EndpointSetting {
  path: string;
  mechanism: "flag" | "config";
  /** The flag or the field name as written in the file. */
  name: string;
  kind: EndpointKind;
  value: string;
}

export interface KubeletLayout {
  unitFiles: KubeletUnitFiles;
  /** The KubeletConfiguration file given with --config, if any. */
  configFile?: string;
  /** Settings in increasing precedence: config file, --config-dir drop-ins, flags. */
  settings: EndpointSetting[];
  /** The endpoint kubelet uses now for each kind, undefined when nothing sets it. */
  effective: Record<EndpointKind, string | undefined>;
  /** Every file kubelet's command line and configuration come from: the only kubelet files install edits. */
  files: string[];
}

/** The flag and the KubeletConfiguration field for each endpoint kind. */
export const ENDPOINT_NAMES: Record<EndpointKind, { flag: string; field: string }> = {
  runtime: { flag: "--container-runtime-endpoint", field: "containerRuntimeEndpoint" },
  image: { flag: "--image-service-endpoint", field: "imageServiceEndpoint" },
};

const KINDS: EndpointKind[] = ["runtime", "image"];

/** An endpoint without its `unix://` scheme, so `/run/x.sock` and `unix:///run/x.sock` compare equal. */
export function endpointPath(endpoint: string): string {
  return endpoint.replace(/^unix:\/\//, "");
}

/** The one value of a flag across files, or an error when files disagree. */
function flagSettings(view: HostView, files: string[]): EndpointSetting[] | Error {
  const out: EndpointSetting[] = [];
  for (const kind of KINDS) {
    const flag = ENDPOINT_NAMES[kind].flag;
    for (const path of files) {
      for (const { value } of findFlag(view.read(path)!, flag))
        out.push({ path, mechanism: "flag", name: flag, kind, value });
    }
    const values = new Set(out.filter((s) => s.kind === kind).map((s) => endpointPath(s.value)));
    if (values.size > 1)
      return new Error(
        `kubelet's ${flag} is set to different values in ${files.join(", ")}: ${[...values].join(", ")}`,
      );
  }
  return out;
}

/** The settings of a KubeletConfiguration file (or config-dir drop-in), or why it can't be read. */
function configSettings(view: HostView, path: string): EndpointSetting[] | Error {
  const text = view.read(path);
  if (text === undefined) return new Error(`kubelet's config file ${path} does not exist on the host`);
  const doc = parseKubeletConfig(text);
  if (doc instanceof Error) return new Error(`kubelet's config file ${path}: ${doc.message}`);
  const out: EndpointSetting[] = [];
  for (const kind of KINDS) {
    const field = ENDPOINT_NAMES[kind].field;
    const value = kubeletConfigField(text, field);
    if (value !== undefined) out.push({ path, mechanism: "config", name: field, kind, value });
  }
  return out;
}

/** The value of the last `--flag` among kubelet's files, as a path on the host. */
function lastFlagValue(view: HostView, files: string[], flag: string): string | undefined {
  const values = files.flatMap((p) => findFlag(view.read(p)!, flag).map((f) => f.value));
  return values.at(-1);
}

/** Reads kubelet's layout from the host, or an error that says what is not understood. */
export function detectKubeletLayout(view: HostView): KubeletLayout | Error {
  const unitFiles = findKubeletUnitFiles(view);
  if (!unitFiles)
    return new Error(
      "no kubelet.service unit found under /etc/systemd/system, /run/systemd/system, /usr/lib/systemd/system or /lib/systemd/system",
    );
  const files = [unitFiles.unit, ...unitFiles.dropins, ...unitFiles.envFiles];
  const configFiles: string[] = [];
  const settings: EndpointSetting[] = [];

  const configFile = lastFlagValue(view, files, "--config");
  if (configFile !== undefined) {
    const s = configSettings(view, configFile);
    if (s instanceof Error) return s;
    settings.push(...s);
    configFiles.push(configFile);
  }
  // kubelet >= 1.28 merges *.conf files of --config-dir over the config file, in name order.
  const configDir = lastFlagValue(view, files, "--config-dir");
  if (configDir !== undefined) {
    for (const name of view.list(configDir) ?? []) {
      if (!name.endsWith(".conf")) continue;
      const s = configSettings(view, `${configDir}/${name}`);
      if (s instanceof Error) return s;
      settings.push(...s);
      configFiles.push(`${configDir}/${name}`);
    }
  }
  const flags = flagSettings(view, files);
  if (flags instanceof Error) return flags;
  settings.push(...flags);

  const effective = {
    runtime: settings.filter((s) => s.kind === "runtime").at(-1)?.value,
    image: settings.filter((s) => s.kind === "image").at(-1)?.value,
  };
  return { unitFiles, configFile, settings, effective, files: [...files, ...configFiles] };
}
