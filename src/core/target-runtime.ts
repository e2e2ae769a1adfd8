// The pod annotation that names a runtime, and where requests other than RunPodSandbox carry
// it: kubelet (>= 1.26, pkg/kubelet/images/image_manager.go) copies the pod's annotations into
// the ImageSpec of ImageStatus and PullImage, and PullImage and CreateContainer carry the pod's
// sandbox config (kuberuntime_image.go, kuberuntime_container.go). Images follow their pod.
import type { DescField, DescMessage, Message } from "@bufbuild/protobuf";
import type { ReflectMessage } from "@bufbuild/protobuf/reflect";
import {
  ImageSpecSchema,
  PodSandboxConfigSchema,
  type ImageSpec,
  type PodSandboxConfig,
} from "../gen/runtime/v1/api_pb.ts";

/** The pod annotation that sends a pod, and its images, to a named runtime. */
export const TARGET_RUNTIME_ANNOTATION = "kubernetes.io/target-runtime";

/** The runtime an ImageSpec's annotations name, or "" (also for any other message). */
export function imageSpecTarget(spec: ReflectMessage): string {
  if (spec.desc.typeName !== ImageSpecSchema.typeName) return "";
  return (spec.message as ImageSpec).annotations[TARGET_RUNTIME_ANNOTATION] ?? "";
}

/** The runtime the annotations of a request's `sandbox_config` name, or "" (none, or no such field). */
export function sandboxConfigTarget(schema: DescMessage, msg: Message): string {
  return sandboxConfig(schema, msg)?.annotations[TARGET_RUNTIME_ANNOTATION] ?? "";
}

/** A request's `sandbox_config` (PullImage, CreateContainer), if it has one. */
export function sandboxConfig(schema: DescMessage, msg: Message): PodSandboxConfig | undefined {
  const field = sandboxConfigField(schema);
  if (field === undefined) return undefined;
  return (msg as unknown as Record<string, PodSandboxConfig | undefined>)[field.localName];
}

const fields = new Map<string, DescField | undefined>();

// PullImageRequest.sandbox_config and CreateContainerRequest.sandbox_config: the pod's config.
function sandboxConfigField(schema: DescMessage): DescField | undefined {
  if (!fields.has(schema.typeName)) {
    fields.set(
      schema.typeName,
      schema.fields.find(
        (f) =>
          f.name === "sandbox_config" &&
          f.fieldKind === "message" &&
          f.message.typeName === PodSandboxConfigSchema.typeName,
      ),
    );
  }
  return fields.get(schema.typeName);
}
