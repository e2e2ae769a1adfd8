// The input of one seed: mostly well-formed calls, then the wilder kinds.
import { grpcCalls, type FuzzInput } from "./grpc-inputs.ts";
import type { Rng } from "./prng.ts";
import { flood, mutatedFrames, randomBytes, randomFrames, stuckReader } from "./wild-inputs.ts";

/** One fuzz input drawn from `rng`, by kind: 45% calls, 25% mutated, 15% random frames, 7% bytes, 5% floods, 3% stuck readers. */
export function makeInput(rng: Rng): FuzzInput {
  const r = rng.next();
  if (r < 0.45) return grpcCalls(rng);
  if (r < 0.7) return mutatedFrames(rng);
  if (r < 0.85) return randomFrames(rng);
  if (r < 0.92) return randomBytes(rng);
  if (r < 0.97) return flood(rng);
  return stuckReader(rng);
}
