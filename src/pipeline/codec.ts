// Decoding and encoding at the proxy's edge, with errors that name what was wrong.
import { fromBinary, type DescMessage, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

/** Decodes a request; bytes that are not the method's message are InvalidArgument. */
export function decodeRequest(schema: DescMessage, bytes: Uint8Array, path: string): Message {
  try {
    return fromBinary(schema, bytes);
  } catch (e) {
    throw new ConnectError(
      `request to ${path} is not a valid ${schema.typeName}: ${(e as Error).message}`,
      Code.InvalidArgument,
    );
  }
}

/** Decodes a runtime's answer; garbage from a runtime is Internal, naming the runtime. */
export function decodeAnswer(schema: DescMessage, bytes: Uint8Array, runtime: string): Message {
  try {
    return fromBinary(schema, bytes);
  } catch (e) {
    throw new ConnectError(
      `runtime ${runtime} answered an invalid ${schema.typeName}: ${(e as Error).message}`,
      Code.Internal,
    );
  }
}
