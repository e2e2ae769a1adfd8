// An ill-behaved CRI runtime: a scripted HTTP/2 gRPC server on a Unix socket, run by Node
// (`node server.mjs SOCKET`) because Bun's HTTP/2 server does not put RST codes on the wire.
// It knows nothing of CRI: the test wrapper (hostile-runtime.ts) sends, as JSON lines on stdin,
// the answer bytes per :path and how to misbehave per :path; each command is answered by a
// JSON line on stdout ({"id":N,...}). The first stdout line is {"ready":SOCKET}.
import { createServer, constants } from "node:http2";
import { rmSync } from "node:fs";
import { createInterface } from "node:readline";

const socket = process.argv[2];
if (!socket) {
  console.error("usage: node server.mjs SOCKET");
  process.exit(2);
}

const MAX = 16 * 1024 * 1024;
/** Pause between what a peer must see first (headers, data) and the misbehaviour itself. */
const BEAT_MS = 30;

/** path -> {messages: Buffer[], stream: bool, open: bool} */
const answers = new Map();
/** path (or "*") -> behaviour {action, at, rstCode, code, message, bytes, times} */
const behaviours = new Map();
/** path -> requests received */
const counts = new Map();
const openStreams = new Set();
const sessions = new Set();

const server = createServer({ maxSessionMemory: 256, settings: { initialWindowSize: 4 * 1024 * 1024 } });
server.on("session", (session) => {
  sessions.add(session);
  session.on("close", () => sessions.delete(session));
  session.on("error", () => {});
});
server.on("sessionError", () => {});
server.on("stream", (stream, headers) => {
  const path = String(headers[":path"]);
  counts.set(path, (counts.get(path) ?? 0) + 1);
  openStreams.add(stream);
  stream.on("close", () => openStreams.delete(stream));
  stream.on("error", () => {});
  stream.on("data", () => {}); // the request is not read: answers are scripted per path
  stream.on("end", () => serve(stream, path).catch(() => stream.destroy()));
});

async function serve(stream, path) {
  const answer = answers.get(path);
  if (!answer) return trailersOnly(stream, 12, `unknown method ${path}`);
  const frames = answer.messages.map(frame);
  const behaviour = take(path);
  if (!behaviour) return answerNormally(stream, answer, frames);
  const at = behaviour.at ?? "before-headers";
  const action = behaviour.action;
  // Whole-answer faults: the body itself is wrong, the status is OK.
  if (action === "garbage" || action === "truncated" || action === "oversize") {
    respond(stream);
    for (const f of frames.slice(0, -1)) stream.write(f);
    const last = answer.messages.at(-1) ?? Buffer.alloc(0);
    if (action === "garbage") stream.write(frame(GARBAGE));
    if (action === "truncated") stream.write(Buffer.concat([header(last.length + 10), last]));
    if (action === "oversize") {
      // A valid message of the method's type: its answer plus an unknown field padding it past 16 MiB.
      const pad = MAX + 1024 - last.length;
      stream.write(header(last.length + unknownFieldLength(pad)));
      stream.write(last);
      stream.write(unknownFieldHead(pad));
      stream.write(Buffer.alloc(pad));
    }
    return endOk(stream); // even an event stream ends: the fault is in what it sent
  }
  if (action === "oversize-prefix") {
    // Claims more than 16 MiB, sends a little, then holds the stream open.
    respond(stream);
    stream.write(Buffer.concat([header(MAX + 1), Buffer.alloc(1024)]));
    return;
  }
  if (at !== "before-headers") respond(stream);
  if (at === "after-data") {
    const body = Buffer.concat(frames);
    stream.write(body.subarray(0, behaviour.bytes ?? partial(answer, frames)));
  }
  if (at !== "before-headers") await sleep(BEAT_MS);
  if (stream.destroyed || stream.closed) return;
  switch (action) {
    case "reset":
      return stream.close(behaviour.rstCode ?? constants.NGHTTP2_INTERNAL_ERROR);
    case "stall":
      return; // the peer's deadline or cancel ends it
    case "status":
      if (at === "before-headers") return trailersOnly(stream, behaviour.code, behaviour.message ?? "");
      stream.once("wantTrailers", () =>
        stream.sendTrailers({
          "grpc-status": String(behaviour.code),
          "grpc-message": grpcMessage(behaviour.message ?? ""),
        }),
      );
      return stream.end();
    case "goaway": {
      const session = stream.session;
      // Before the headers the stream is left unprocessed (last-stream-id below it), as a
      // runtime shutting down refuses new work; after them it is cut with the connection.
      const last = at === "before-headers" ? Math.max(0, stream.id - 2) : stream.id;
      session.goaway(behaviour.rstCode ?? constants.NGHTTP2_NO_ERROR, last);
      await sleep(BEAT_MS);
      return session.destroy();
    }
    case "close":
      // The connection dies: no status, no GOAWAY, no RST_STREAM.
      return stream.session.socket.destroy();
    default:
      return trailersOnly(stream, 13, `hostile runtime: unknown action ${action}`);
  }
}

function answerNormally(stream, answer, frames) {
  respond(stream);
  for (const f of frames) stream.write(f);
  if (!answer.open) endOk(stream); // an event stream stays open until the peer ends it
}

// The behaviour for a call, counting down `times` (then the path answers normally again).
function take(path) {
  const key = behaviours.has(path) ? path : behaviours.has("*") ? "*" : undefined;
  if (key === undefined) return undefined;
  const b = behaviours.get(key);
  if (b.times !== undefined && --b.times <= 0) behaviours.delete(key);
  return b;
}

// How much of the body "partial data" is: half a unary message; the first message of a stream
// (all of them for an open event stream) so the peer got some messages before the fault.
function partial(answer, frames) {
  if (!answer.stream) return Math.max(1, Math.floor(frames[0].length / 2));
  return answer.open ? frames.reduce((n, f) => n + f.length, 0) : frames[0].length;
}

function respond(stream) {
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
}

function endOk(stream) {
  stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end();
}

function trailersOnly(stream, code, message) {
  stream.respond(
    {
      ":status": 200,
      "content-type": "application/grpc",
      "grpc-status": String(code),
      "grpc-message": grpcMessage(message),
    },
    { endStream: true },
  );
}

// gRPC's percent-encoding: only bytes outside printable ASCII, and "%" itself.
function grpcMessage(text) {
  return [...Buffer.from(text)]
    .map((b) =>
      b >= 0x20 && b <= 0x7e && b !== 0x25
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
    )
    .join("");
}

// Field 1, length-delimited, with a length far past the end: no protobuf decoder accepts it.
const GARBAGE = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
const PAD_FIELD = (9999 << 3) | 2;

function header(length) {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(length, 1);
  return h;
}

function frame(message) {
  return Buffer.concat([header(message.length), message]);
}

function varint(n) {
  const out = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

function unknownFieldHead(length) {
  return Buffer.concat([varint(PAD_FIELD), varint(length)]);
}

function unknownFieldLength(length) {
  return unknownFieldHead(length).length + length;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Control: one JSON command per stdin line.
function command(c) {
  switch (c.op) {
    case "answers":
      for (const [path, a] of Object.entries(c.answers)) {
        answers.set(path, {
          messages: a.messages.map((m) => Buffer.from(m, "base64")),
          stream: !!a.stream,
          open: !!a.open,
        });
      }
      return {};
    case "behave":
      if (c.behaviour) behaviours.set(c.path, { ...c.behaviour });
      else behaviours.delete(c.path);
      return {};
    case "normal":
      behaviours.clear();
      return {};
    case "stats":
      return { counts: Object.fromEntries(counts), open: openStreams.size, sessions: sessions.size };
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

createInterface({ input: process.stdin }).on("line", (line) => {
  let c;
  try {
    c = JSON.parse(line);
    process.stdout.write(`${JSON.stringify({ id: c.id, ...command(c) })}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ id: c?.id, error: String(e?.message ?? e) })}\n`);
  }
});
process.stdin.on("end", stop);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

function stop() {
  server.close();
  for (const s of sessions) s.destroy();
  rmSync(socket, { force: true });
  process.exit(0);
}

rmSync(socket, { force: true });
server.listen(socket, () => process.stdout.write(`${JSON.stringify({ ready: socket })}\n`));
