// The picture in README "Architecture", kept true: every import (type imports included)
// follows the layer table, folders form no cycle, files form no cycle, and core imports
// nothing but the generated code.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = join(import.meta.dir, "../../src");

/** Which layers each layer may import: the README's table, word for word. */
export const LAYERS: Record<string, readonly string[]> = {
  gen: [],
  version: [],
  core: ["gen"],
  h2: [],
  grpc: ["core", "gen"],
  backends: ["grpc", "h2", "gen", "version"],
  log: ["grpc", "core", "gen"],
  pipeline: ["backends", "grpc", "core", "log", "gen"],
  server: ["grpc", "h2", "core"],
  metrics: ["backends", "grpc"],
  config: ["core", "log"],
  fake: ["gen"],
  install: [],
  trace: ["grpc", "core", "log", "version"],
  daemon: ["pipeline", "server", "metrics", "backends", "config", "log", "grpc", "core", "trace"],
  demo: ["daemon", "config", "fake", "log", "gen"],
  cli: ["daemon", "demo", "install", "config", "log", "version"],
};

/**
 * Which packages each layer may import, the README's table too: `node:` stands for every Node
 * built-in (I/O), `bun` for Bun's. core's are pure: protobuf-es for the messages, and from
 * connect-es only `Code` and `ConnectError`, the values a gRPC error is made of.
 */
export const PACKAGES: Record<string, readonly string[]> = {
  gen: ["@bufbuild/protobuf"],
  version: [],
  core: ["@bufbuild/protobuf", "@connectrpc/connect"],
  h2: ["bun", "node:"],
  grpc: ["@connectrpc/connect"],
  backends: ["@connectrpc/connect"],
  log: ["@bufbuild/protobuf", "@connectrpc/connect"],
  pipeline: ["@bufbuild/protobuf", "@connectrpc/connect"],
  server: ["@connectrpc/connect", "node:"],
  metrics: ["node:"],
  config: ["node:"],
  fake: ["@bufbuild/protobuf", "@connectrpc/connect", "@connectrpc/connect-node", "node:"],
  install: ["node:"],
  trace: [
    "@connectrpc/connect",
    "@opentelemetry/api",
    "@opentelemetry/exporter-trace-otlp-http",
    "@opentelemetry/resources",
    "@opentelemetry/sdk-trace-base",
  ],
  daemon: ["node:"],
  demo: ["@connectrpc/connect", "@connectrpc/connect-node", "node:"],
  cli: ["citty", "node:"],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm;

const specifiers = (file: string) => [...readFileSync(file, "utf8").matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]);

/** Every relative import of a file, resolved to a path under src/. */
export function importsOf(file: string): string[] {
  return specifiers(file)
    .filter((p) => p.startsWith("."))
    .map((p) => resolve(dirname(file), p));
}

/** Every package a file imports, by name (`@scope/name`, `name`; `node:` for any Node built-in). */
export function packagesOf(file: string): string[] {
  const bare = specifiers(file).filter((p) => !p.startsWith("."));
  return [
    ...new Set(
      bare.map((p) =>
        p.startsWith("node:") ? "node:" : p.startsWith("@") ? p.split("/").slice(0, 2).join("/") : p.split("/")[0],
      ),
    ),
  ];
}

/** The layer of a file: its folder under src/, or the file's own name for a top-level file. */
export function layerOf(file: string): string {
  const rel = relative(SRC, file);
  const top = rel.split("/")[0];
  return top.endsWith(".ts") ? top.slice(0, -3) : top;
}

/** A cycle in a directed graph, as the list of its nodes, or undefined. */
export function findCycle(graph: ReadonlyMap<string, Iterable<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

const sources = files(SRC).filter((f) => layerOf(f) !== "gen");
const fileGraph = new Map(sources.map((f) => [f, importsOf(f)]));

describe("layers", () => {
  test("the layer table itself has no cycle and names every folder of src/", () => {
    expect(findCycle(new Map(Object.entries(LAYERS)))).toBeUndefined();
    const present = new Set(files(SRC).map(layerOf));
    expect([...present].sort()).toEqual(Object.keys(LAYERS).sort());
  });

  test("every import goes down the layer table (type imports included)", () => {
    const wrong: string[] = [];
    for (const [file, imports] of fileGraph) {
      const from = layerOf(file);
      for (const target of imports) {
        const to = layerOf(target);
        if (to !== from && !LAYERS[from]?.includes(to))
          wrong.push(`${relative(SRC, file)} imports ${relative(SRC, target)} (${from} -> ${to})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("every package import is one the layer table allows (core's too)", () => {
    const wrong: string[] = [];
    for (const file of sources) {
      const layer = layerOf(file);
      for (const p of packagesOf(file))
        if (!PACKAGES[layer]?.includes(p))
          wrong.push(
            `${relative(SRC, file)} imports ${p} (${layer} may import ${PACKAGES[layer]?.join(", ") || "none"})`,
          );
    }
    expect(wrong).toEqual([]);
    expect(Object.keys(PACKAGES).sort()).toEqual(Object.keys(LAYERS).sort());
    // The reader sees package imports (so core's use of connect-es is not missed).
    expect(packagesOf(join(SRC, "core/route.ts"))).toContain("@connectrpc/connect");
    expect(packagesOf(join(SRC, "server/socket.ts"))).toContain("node:");
  });

  test("core imports nothing but the generated code and itself", () => {
    const core = [...fileGraph].filter(([f]) => layerOf(f) === "core");
    expect(core.length).toBeGreaterThan(5);
    for (const [file, imports] of core)
      for (const t of imports)
        expect(`${relative(SRC, file)} -> ${["core", "gen"].includes(layerOf(t)) ? "ok" : relative(SRC, t)}`).toEndWith(
          "ok",
        );
  });

  test("folders form no cycle", () => {
    const folders = new Map<string, Set<string>>();
    for (const [file, imports] of fileGraph) {
      const from = layerOf(file);
      const edges = folders.get(from) ?? new Set<string>();
      for (const t of imports) if (layerOf(t) !== from) edges.add(layerOf(t));
      folders.set(from, edges);
    }
    expect(findCycle(folders)).toBeUndefined();
  });

  test("files form no cycle", () => {
    const cycle = findCycle(fileGraph);
    expect(cycle?.map((f) => relative(SRC, f))).toBeUndefined();
  });

  test("the cycle finder finds cycles (so the checks above can fail)", () => {
    expect(
      findCycle(
        new Map([
          ["a", ["b"]],
          ["b", ["c"]],
          ["c", ["a"]],
        ]),
      ),
    ).toEqual(["a", "b", "c", "a"]);
    expect(
      findCycle(
        new Map([
          ["a", ["b"]],
          ["b", []],
        ]),
      ),
    ).toBeUndefined();
    const sample = join(SRC, "daemon/routing.ts");
    expect(importsOf(sample).map(layerOf)).toContain("pipeline");
    expect(importsOf(join(SRC, "pipeline/fan-out.ts")).map((p) => relative(SRC, p))).toContain("grpc/answer.ts"); // a type-only import
  });
});

describe("files", () => {
  test("no source file over 300 lines (generated code aside)", () => {
    const long = sources
      .map((f) => [relative(SRC, f), readFileSync(f, "utf8").split("\n").length] as const)
      .filter(([, n]) => n > 300);
    expect(long).toEqual([]);
  });
});
