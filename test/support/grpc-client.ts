// An independent CRI client on @grpc/grpc-js: the stand-in for kubelet's grpc-go.
import {
  create,
  fromBinary,
  toBinary,
  type DescMethod,
  type DescService,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { ImageService, RuntimeService } from "../../src/gen/runtime/v1/api_pb.ts";

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** grpc-js method definitions for every CRI v1 method, keyed by rpc name, built from our descriptors. */
export function criMethodDefinitions(): Map<string, grpc.MethodDefinition<object, object> & { desc: DescMethod }> {
  const defs = new Map<string, grpc.MethodDefinition<object, object> & { desc: DescMethod }>();
  for (const service of [RuntimeService, ImageService] as DescService[]) {
    for (const method of service.methods) {
      defs.set(method.name, {
        desc: method,
        path: `/${service.typeName}/${method.name}`,
        requestStream: false,
        responseStream: method.methodKind === "server_streaming",
        requestSerialize: (m: object) =>
          Buffer.from(toBinary(method.input, create(method.input, m as MessageInitShape<typeof method.input>))),
        requestDeserialize: (b: Buffer) => fromBinary(method.input, b),
        responseSerialize: (m: object) =>
          Buffer.from(toBinary(method.output, create(method.output, m as MessageInitShape<typeof method.output>))),
        responseDeserialize: (b: Buffer) => fromBinary(method.output, b),
      });
    }
  }
  return defs;
}

export interface CriClient {
  /** Unary call by rpc name ("Version", "ListImages"...); request is an init object or message. Rejects with a grpc-js ServiceError. */
  call<O>(method: string, request?: object): Promise<O>;
  /** Server-streaming call by rpc name; iterate the messages, `cancel()` ends the iteration quietly. */
  stream<O>(method: string, request?: object): AsyncIterable<O> & { cancel(): void };
  /** Unary call on any :path with raw bytes in and out (for unknown-method tests). */
  callRaw(path: string, body: Uint8Array): Promise<Uint8Array>;
  close(): void;
}

/** A grpc-js CRI client on `unix:SOCKET`, optionally sending a given :authority and deadline. */
export function criClient(socket: string, opts: { authority?: string; deadlineMs?: number } = {}): CriClient {
  const options: grpc.ChannelOptions = {
    // grpc-js defaults to 4 MiB; kubelet raises both to 16 MiB.
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  };
  // grpc-go and crictl send the percent-encoded socket path as :authority; tests pass it here.
  if (opts.authority !== undefined) options["grpc.default_authority"] = opts.authority;
  const client = new grpc.Client(`unix:${socket}`, grpc.credentials.createInsecure(), options);
  const defs = criMethodDefinitions();
  const callOptions = (): grpc.CallOptions =>
    opts.deadlineMs === undefined ? {} : { deadline: Date.now() + opts.deadlineMs };
  const def = (method: string) => {
    const d = defs.get(method);
    if (!d) throw new Error(`criClient: unknown CRI method ${method}`);
    return d;
  };

  return {
    call<O>(method: string, request: object = {}) {
      const d = def(method);
      return new Promise<O>((resolve, reject) => {
        client.makeUnaryRequest(
          d.path,
          d.requestSerialize,
          d.responseDeserialize,
          request,
          new grpc.Metadata(),
          callOptions(),
          (err, value) => (err ? reject(err) : resolve(value as O)),
        );
      });
    },

    stream<O>(method: string, request: object = {}) {
      const d = def(method);
      const call = client.makeServerStreamRequest(
        d.path,
        d.requestSerialize,
        d.responseDeserialize,
        request,
        new grpc.Metadata(),
        callOptions(),
      );
      return Object.assign(iterate<O>(call), { cancel: () => call.cancel() });
    },

    callRaw(path: string, body: Uint8Array) {
      const identity = (b: Buffer) => b;
      return new Promise<Uint8Array>((resolve, reject) => {
        client.makeUnaryRequest(
          path,
          identity,
          identity,
          Buffer.from(body),
          new grpc.Metadata(),
          callOptions(),
          (err, value) => (err ? reject(err) : resolve(new Uint8Array(value!))),
        );
      });
    },

    close: () => client.close(),
  };
}

// Turn a grpc-js readable call into an async iterable; a local cancel() ends it without an error.
function iterate<O>(call: grpc.ClientReadableStream<unknown>): AsyncIterable<O> {
  const queue: O[] = [];
  let error: grpc.ServiceError | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  call.on("data", (m) => {
    queue.push(m as O);
    notify();
  });
  call.on("end", () => {
    ended = true;
    notify();
  });
  call.on("error", (e: grpc.ServiceError) => {
    if (e.code !== grpc.status.CANCELLED || !e.details?.includes("Cancelled on client")) error = e;
    ended = true;
    notify();
  });
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          if (queue.length > 0) {
            yield queue.shift()!;
            continue;
          }
          if (error) throw error;
          if (ended) return;
          await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        // A consumer that stops early (break/return) cancels the call, like ctx cancel in grpc-go.
        if (!ended) call.cancel();
      }
    },
  };
}
