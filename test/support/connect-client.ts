// Connect clients for a CRI socket, for tests that want typed calls without grpc-js.
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as net from "node:net";
import { ImageService, RuntimeService } from "../../src/gen/runtime/v1/api_pb.ts";

export interface CriConnectClients {
  runtime: Client<typeof RuntimeService>;
  image: Client<typeof ImageService>;
  /** Close the HTTP/2 session (ends open streams). */
  close(): void;
}

/** Connect gRPC clients of RuntimeService and ImageService on a Unix socket. */
export function connectClients(socket: string): CriConnectClients {
  // Bun's node:http2 counts queued bytes against maxSessionMemory (default 10 MB), so raise it.
  const sessionManager = new Http2SessionManager(
    "http://localhost",
    {},
    { createConnection: () => net.connect(socket), maxSessionMemory: 256 },
  );
  const transport = createGrpcTransport({
    baseUrl: "http://localhost",
    sessionManager,
    readMaxBytes: 16 * 1024 * 1024,
  });
  return {
    runtime: createClient(RuntimeService, transport),
    image: createClient(ImageService, transport),
    close: () => sessionManager.abort(),
  };
}
