// The fake ImageService (containerd's image_*.go family).
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { ImageService } from "../gen/runtime/v1/api_pb.ts";
import { batches, type FakeContext } from "./fake-context.ts";
import { filterImages } from "./filters.ts";
import { imageFor } from "./fixtures.ts";
import { nowNanos } from "./ids.ts";
import { lookupImage } from "./state.ts";

/** The fake ImageService over the shared state. */
export function imageService(ctx: FakeContext): ServiceImpl<typeof ImageService> {
  const { state } = ctx;
  return {
    listImages(req) {
      return { images: filterImages(state, req.filter) };
    },

    async *streamImages(req) {
      for (const batch of batches(filterImages(state, req.filter))) yield { images: batch };
    },

    imageStatus(req) {
      // An unknown image is an empty answer, not an error: kubelet reads it as "pull needed".
      const image = lookupImage(state, req.image?.image ?? "");
      if (!image) return {};
      const info: Record<string, string> = req.verbose
        ? { info: JSON.stringify({ chainID: image.id, imageSpec: { architecture: "amd64", os: "linux" } }) }
        : {};
      return { image, info };
    },

    pullImage(req) {
      const ref = req.image?.image ?? "";
      if (ref === "") throw new ConnectError("image reference must not be empty", Code.InvalidArgument);
      const known = lookupImage(state, ref);
      if (known) return { imageRef: known.id };
      if (ref.startsWith("sha256:")) {
        // An image id is not a pullable reference.
        throw new ConnectError(`failed to pull and unpack image "${ref}": not found`, Code.NotFound);
      }
      const image = imageFor(ref, state.images.size);
      state.images.set(image.id, image);
      return { imageRef: image.id };
    },

    removeImage(req) {
      // Idempotent, as in containerd: removing a missing image succeeds.
      const image = lookupImage(state, req.image?.image ?? "");
      if (image) state.images.delete(image.id);
      return {};
    },

    imageFsInfo() {
      const images = [...state.images.values()];
      return {
        imageFilesystems: [
          {
            timestamp: nowNanos(),
            fsId: { mountpoint: "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs" },
            usedBytes: { value: images.reduce((sum, i) => sum + i.size, 0n) },
            inodesUsed: { value: BigInt(images.length * 150) },
          },
        ],
      };
    },
  };
}
