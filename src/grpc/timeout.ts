// grpc-timeout headers: kubelet's deadline, honoured end to end.
import { Code, ConnectError } from "@connectrpc/connect";

const units: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** Milliseconds of a grpc-timeout value, undefined when absent; InvalidArgument when malformed. */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(String(value));
  if (!match) throw new ConnectError(`invalid grpc-timeout header ${JSON.stringify(value)}`, Code.InvalidArgument);
  return Number(match[1]) * units[match[2]];
}

/** A grpc-timeout value for the milliseconds left (at least 1 ms, at most 8 digits). */
export function formatGrpcTimeout(ms: number): string {
  const m = Math.max(1, Math.ceil(ms));
  return m < 100_000_000 ? `${m}m` : `${Math.ceil(m / 1000)}S`;
}
