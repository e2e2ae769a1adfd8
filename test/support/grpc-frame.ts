// A gRPC length-prefixed message, as tests put it on the wire.

/** A gRPC frame: flag byte, big-endian length, message. */
export function frame(message: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}
