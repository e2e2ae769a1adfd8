// The input of one seed: mostly well-formed calls, then the wilder kinds.
import { grpcCalls, type FuzzInput } from "./grpc-inputs.ts";
import type { Rng } from "./prng.ts";
import { flood, mutatedFrames, neverReads, randomBytes, randomFrames, stuckReader } from "./wild-inputs.ts";

/** One fuzz input drawn from `rng`, by kind: 45% calls, 24% mutated, 14% random frames, 7% bytes, 4% floods, 3% stuck readers, 3% peers that never read. */
export function makeInput(rng: Rng): FuzzInput {
  const r = rng.next();
  if (r < 0.45) return grpcCalls(rng);
  if (r < 0.69) return mutatedFrames(rng);
  if (r < 0.83) return randomFrames(rng);
  if (r < 0.9) return randomBytes(rng);
  if (r < 0.94) return flood(rng);
  if (r < 0.97) return stuckReader(rng);
  return neverReads(rng);
}
