// The textual edits of kubelet's files: one value changes, every other byte stays.
import { describe, expect, test } from "bun:test";
import { findFlag, setFlag } from "../../src/install/command-line-flag.ts";
import { setKubeletConfigField } from "../../src/install/kubelet-config-yaml.ts";

const NEW = "unix:///run/criproxy.sock";

describe("setFlag", () => {
  test.each([
    {
      desc: "= form in an env file",
      input: 'A="--x=1 --container-runtime-endpoint=unix:///c.sock --y"\n',
      expect: `A="--x=1 --container-runtime-endpoint=${NEW} --y"\n`,
    },
    {
      desc: "space form in ExecStart",
      input: "ExecStart=/k --container-runtime-endpoint /c.sock \\\n --v=2\n",
      expect: `ExecStart=/k --container-runtime-endpoint ${NEW} \\\n --v=2\n`,
    },
    {
      desc: "value before a closing quote",
      input: 'A="--container-runtime-endpoint=/c.sock"\n',
      expect: `A="--container-runtime-endpoint=${NEW}"\n`,
    },
    {
      desc: "commented lines stay",
      input: "# --container-runtime-endpoint=/old\nA=--container-runtime-endpoint=/c\n",
      expect: `# --container-runtime-endpoint=/old\nA=--container-runtime-endpoint=${NEW}\n`,
    },
    {
      desc: "a longer flag with the same prefix is another flag",
      input: "A=--container-runtime-endpoint-x=/c\n",
      expect: "A=--container-runtime-endpoint-x=/c\n",
    },
  ])("$desc", ({ input, expect: want }) => {
    expect(setFlag(input, "--container-runtime-endpoint", NEW)).toBe(want);
  });

  test("findFlag reads the value", () => {
    expect(
      findFlag("X=--image-service-endpoint=unix:///i.sock\n", "--image-service-endpoint").map((f) => f.value),
    ).toEqual(["unix:///i.sock"]);
  });
});

describe("setKubeletConfigField", () => {
  test.each([
    {
      desc: "plain value",
      input: "kind: KubeletConfiguration\ncontainerRuntimeEndpoint: unix:///c.sock\n",
      expect: `kind: KubeletConfiguration\ncontainerRuntimeEndpoint: ${NEW}\n`,
    },
    {
      desc: "quoted, with a comment",
      input: 'containerRuntimeEndpoint: "unix:///c.sock"  # kubeadm\nkind: KubeletConfiguration\n',
      expect: `containerRuntimeEndpoint: "${NEW}"  # kubeadm\nkind: KubeletConfiguration\n`,
    },
    { desc: "empty value", input: 'containerRuntimeEndpoint: ""\n', expect: `containerRuntimeEndpoint: "${NEW}"\n` },
    {
      desc: "absent: appended",
      input: "kind: KubeletConfiguration\n",
      expect: `kind: KubeletConfiguration\ncontainerRuntimeEndpoint: ${NEW}\n`,
    },
    {
      desc: "nested key of the same name is not the field",
      input: "x:\n  containerRuntimeEndpoint: a\n",
      expect: `x:\n  containerRuntimeEndpoint: a\ncontainerRuntimeEndpoint: ${NEW}\n`,
    },
  ])("$desc", ({ input, expect: want }) => {
    expect(setKubeletConfigField(input, "containerRuntimeEndpoint", NEW)).toBe(want);
  });

  test("a value it cannot edit safely is refused", () => {
    const r = setKubeletConfigField(
      "containerRuntimeEndpoint: >-\n  unix:///c.sock\n",
      "containerRuntimeEndpoint",
      NEW,
    );
    expect(r).toBeInstanceOf(Error);
  });
});
