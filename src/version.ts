// The version of criproxy and of the CRI API it was generated from (proto/runtime/v1/api.proto).
export const VERSION = "0.1.0";
/** The k8s.io/cri-api release whose api.proto is vendored in proto/. */
export const CRI_API_VERSION = "v0.36.3";
