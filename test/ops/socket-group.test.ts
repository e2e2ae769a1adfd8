// --socket-group: the socket stays 0660 and gets the named group, so a non-root tool in that
// group can use it and nobody else can.
import { expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { startFakeRuntime } from "../../src/fake/runtime.ts";
import { gidFrom } from "../../src/config/socket-group.ts";
import { cliEntry, startProxy } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";

// Root may give the socket any group; anyone else only one of their own.
const root = process.getuid?.() === 0;
const etcGroup = readFileSync("/etc/group", "utf8");
const named = etcGroup
  .split("\n")
  .map((l) => l.split(":")[0])
  .find((n) => n && n !== "root" && (root || gidFrom(n, etcGroup) === process.getgid!()));

test.each([
  { desc: "a gid", group: String(root ? 4242 : process.getgid!()) },
  ...(named ? [{ desc: `a name (${named})`, group: named }] : []),
])("--socket-group with $desc", async ({ group }) => {
  const primary = await startFakeRuntime({ socket: tempSocket("grp-rt") });
  const proxy = await startProxy(["--connect", primary.socket, "--socket-group", group]);
  try {
    const st = statSync(proxy.socket);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.gid).toBe(gidFrom(group, etcGroup));
  } finally {
    await proxy.stop();
    await primary.stop();
  }
});

test("an unknown group is a flag error before anything is created", async () => {
  const run = Bun.spawn(
    [
      process.execPath,
      cliEntry,
      "--connect",
      "/x.sock",
      "--listen",
      tempSocket("grp-never"),
      "--socket-group",
      "no-such-group-x",
    ],
    { stderr: "pipe" },
  );
  expect(await run.exited).toBe(2);
  expect(await new Response(run.stderr).text()).toContain(
    '--socket-group: group "no-such-group-x" is not in /etc/group',
  );
});
