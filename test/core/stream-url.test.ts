import { describe, expect, test } from "bun:test";
import { absoluteStreamUrl } from "../../src/core/stream-url.ts";

describe("absoluteStreamUrl", () => {
  const base = "http://10.0.0.5:10010";
  test.each([
    {
      desc: "path-only gets base's scheme and host",
      url: "/cri/exec/tok",
      expect: "http://10.0.0.5:10010/cri/exec/tok",
    },
    {
      desc: "scheme-less wildcard host keeps its port, takes base's host",
      url: "//[::]:10011/cri/attach/t",
      expect: "http://10.0.0.5:10011/cri/attach/t",
    },
    { desc: "scheme-less 0.0.0.0", url: "//0.0.0.0:10011/x", expect: "http://10.0.0.5:10011/x" },
    { desc: "scheme-less real host keeps it", url: "//192.168.1.2:10011/x", expect: "http://192.168.1.2:10011/x" },
    { desc: "absolute unchanged", url: "https://[::]:1/cri/exec/t", expect: "https://[::]:1/cri/exec/t" },
    { desc: "empty stays empty", url: "", expect: "" },
  ])("$desc", ({ url, expect: want }) => expect(absoluteStreamUrl(url, base)).toBe(want));

  test("IPv6 base", () => {
    expect(absoluteStreamUrl("//[::]:9/x", "https://[fd00::5]:10010")).toBe("https://[fd00::5]:9/x");
  });
});
