// The CRI API versions by name, as plain data: configuration checks them before (and without)
// the generated descriptors that api-version.ts maps them with.

/** The CRI APIs a runtime may speak: kubelet ≥ 1.26 speaks only v1; runtimes built before 2022 only v1alpha2. */
export type CriApi = "v1" | "v1alpha2";

/** Every API, in the order a runtime is probed. */
export const CRI_APIS: readonly CriApi[] = ["v1", "v1alpha2"];

/** Whether a string names a CRI API. */
export function isCriApi(text: string): text is CriApi {
  return (CRI_APIS as readonly string[]).includes(text);
}
