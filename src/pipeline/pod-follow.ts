// A pod's containers follow its sandbox: this carries out what route() asks beyond forwarding.
// It learns where pods run (RunPodSandbox, RemovePodSandbox), remembers where bare image names
// were resolved for pods (ImageStatus naming the pod's runtime, PullImage), answers lookups that
// name no pod (core/image-lookup.ts decides), and answers a pull that an "absent" of ours caused
// from what the pod's runtime already holds, so IfNotPresent reaches no registry it would not
// reach without criproxy.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Backend } from "../backends/backend.ts";
import { unaryRaw } from "../backends/raw-call.ts";
import { decidePresence, decideUser, type Held } from "../core/image-lookup.ts";
import { splitImage } from "../core/names.ts";
import type { PodView } from "../core/pod-placement.ts";
import type { Follow, Plan } from "../core/route.ts";
import {
  ImageService,
  ImageStatusRequestSchema,
  ImageStatusResponseSchema,
  ListImagesResponseSchema,
  PullImageRequestSchema,
  PullImageResponseSchema,
  RunPodSandboxResponseSchema,
} from "../gen/runtime/v1/api_pb.ts";
import { answerBytes, type Answer } from "../grpc/answer.ts";
import type { Call } from "../grpc/call.ts";
import { answerMetadata, type AnswerMetadata } from "../grpc/metadata.ts";
import { hasMethod, targetAt, targetOf } from "./api-target.ts";
import type { CallContext } from "./call-context.ts";
import { refuseIfOpen } from "./named-part.ts";
import { podView } from "./pod-placements.ts";

const IMAGE_STATUS = `/${ImageService.typeName}/${ImageService.method.imageStatus.name}`;

export interface PodFollow {
  /** What route() reads of pods and image names. */
  readonly view: PodView;
  /** Carries out a one-runtime plan (`send` calls the runtime) and learns from it what its `follow` says. */
  one(call: Call, plan: Extract<Plan, { kind: "one" }>, backend: Backend, send: () => Promise<Answer>): Promise<Answer>;
  /** Carries out a lookup: asks the runtimes, answers as decidePresence or decideUser says. */
  lookup(call: Call, plan: Extract<Plan, { kind: "lookup" }>): Promise<Answer>;
}

/** The pod-following part of one configuration's pipeline (its memory is the runtime set's, which outlives reloads). */
export function createPodFollow(ctx: CallContext): PodFollow {
  const { placements, lookups } = ctx.runtimes;
  const view = podView(placements, (image) => lookups.resolved(image));
  // An id as the runtime knows it: kubelet sees a named runtime's non-digest ids prefixed.
  const own = (id: string, b: Backend) => {
    const s = splitImage(id, ctx.table.nameSet);
    return s.backend === b.name ? s.ref : id;
  };

  const learners: Record<
    Follow["kind"],
    (call: Call, f: Follow, b: Backend, send: () => Promise<Answer>) => Promise<Answer>
  > = {
    async "pod-placed"(_call, f, b, send) {
      const bytes = await answerBytes(await send());
      const id = fromBinary(RunPodSandboxResponseSchema, bytes).podSandboxId;
      if (f.kind === "pod-placed" && id !== "") placements.learn(b.name, f.key, id, f.unhinted);
      return bytes;
    },
    async "pod-removed"(_call, f, _b, send) {
      const bytes = await answerBytes(await send());
      if (f.kind === "pod-removed") placements.forget(f.id);
      return bytes;
    },
    async "image-found"(_call, f, b, send) {
      const bytes = await answerBytes(await send());
      const id = fromBinary(ImageStatusResponseSchema, bytes).image?.id ?? "";
      if (f.kind === "image-found" && id !== "") lookups.note(f.image, b.name, own(id, b));
      return bytes;
    },
    async "image-pulled"(call, f, b, send) {
      if (f.kind !== "image-pulled") return send();
      if (lookups.takeToken(f.image, b.name)) {
        const held = await heldBy(call, b);
        if (held !== undefined) {
          lookups.note(f.image, b.name, held);
          ctx.log.log(
            3,
            "I",
            "pod-follow.ts",
            `PullImage ${JSON.stringify(f.image)}: runtime ${b.label} holds it (${held}), answered without pulling: the lookup before said "absent" only because another runtime holds another image of that name`,
          );
          return ctx.rewrite.message(
            call.row,
            b,
            Buffer.from(toBinary(PullImageResponseSchema, create(PullImageResponseSchema, { imageRef: held }))),
          );
        }
      }
      const bytes = await answerBytes(await send());
      const ref = fromBinary(PullImageResponseSchema, bytes).imageRef;
      if (ref !== "") lookups.note(f.image, b.name, own(ref, b));
      return bytes;
    },
    async "image-checked"(_call, f, _b, send) {
      if (f.kind === "image-checked") lookups.note(f.image, "", undefined);
      return send();
    },
    async "image-user"(_call, f, _b, send) {
      if (f.kind === "image-user") lookups.settle(f.image, [""]);
      return send();
    },
  };

  /** The id of the image the pulled name names on `b` now (its own id), or undefined. */
  async function heldBy(call: Call, b: Backend): Promise<string | undefined> {
    try {
      const image = fromBinary(PullImageRequestSchema, call.request).image;
      const request = toBinary(
        ImageStatusRequestSchema,
        create(ImageStatusRequestSchema, { image: { image: own(image?.image ?? "", b) } }),
      );
      // Its metadata is not the pull's: kubelet gets none of it.
      const opts = { ...ctx.callOptions(call, ctx.budgetMs), answer: undefined };
      const t = targetAt(IMAGE_STATUS, b, request);
      const id = fromBinary(ImageStatusResponseSchema, await (await unaryRaw(b, t.path, t.message, opts)).message())
        .image?.id;
      return id === "" ? undefined : id;
    } catch {
      return undefined; // then it pulls, as kubelet asked
    }
  }

  return {
    view,
    one: (call, plan, b, send) =>
      plan.follow === undefined ? send() : learners[plan.follow.kind](call, plan.follow, b, send),
    async lookup(call, plan) {
      const backends = plan.backends.map((n) => ctx.byName.get(n)).filter((b): b is Backend => b !== undefined);
      const metas = backends.map(() => answerMetadata());
      const answers = await Promise.all(backends.map((b, i) => ask(call, b, i === 0, metas[i])));
      const read =
        call.row!.method.name === "ListImages"
          ? (m: Uint8Array) => fromBinary(ListImagesResponseSchema, m).images[0]?.id
          : (m: Uint8Array) => fromBinary(ImageStatusResponseSchema, m).image?.id;
      const held: Held[] = answers.map((a, i) =>
        a === undefined
          ? { runtime: backends[i].name, failed: true }
          : { runtime: backends[i].name, id: readOr(read, a) },
      );
      const decision = plan.presence
        ? decidePresence(held)
        : decideUser(
            call.row!.method.name,
            plan.image,
            held,
            lookups.resolved(plan.image),
            lookups.contested(plan.image),
          );
      if (decision.kind === "retry") {
        lookups.settle(plan.image, decision.settles ?? [], true);
        ctx.log.log(2, "W", "pod-follow.ts", decision.error.rawMessage);
        throw decision.error;
      }
      // kubelet gets the headers and trailers of the runtime whose answer it gets (the primary's for "absent").
      const passOn = (i: number) => {
        call.answerMetadata?.headers.push(...metas[i].headers);
        call.answerMetadata?.trailers.push(...metas[i].trailers);
      };
      if (decision.kind === "absent") {
        lookups.absent(plan.image, decision.holders);
        passOn(0);
        return new Uint8Array(0); // no image: kubelet pulls, naming its pod
      }
      // A presence check's pod asks its image user next; an image-user lookup settles the pods it answers.
      if (plan.presence) lookups.note(plan.image, decision.runtime, decision.id);
      else lookups.settle(plan.image, decision.settles ?? []);
      const i = backends.findIndex((b) => b.name === decision.runtime);
      passOn(i);
      return ctx.rewrite.message(call.row, backends[i], answers[i]!);
    },
  };

  /** One runtime's answer to the lookup; the primary's failure is the call's, a named runtime's is "could not answer". */
  async function ask(call: Call, b: Backend, primary: boolean, answer: AnswerMetadata): Promise<Buffer | undefined> {
    try {
      if (!primary && (!(await ctx.joins(b, call)) || !hasMethod(call, b))) return undefined;
      refuseIfOpen(ctx, b); // a named runtime whose breaker is open could not answer
      const opts = { ...ctx.callOptions(call, primary ? undefined : ctx.budgetMs), answer };
      call.routedTo.push(b.label);
      if (primary) await ctx.whenReady(b, opts);
      const t = targetOf(call, b);
      return await (await unaryRaw(b, t.path, t.message, opts)).message();
    } catch (e) {
      if (primary) throw e;
      return undefined;
    }
  }
}

function readOr(read: (m: Uint8Array) => string | undefined, m: Uint8Array): string | undefined {
  try {
    const id = read(m);
    return id === "" ? undefined : id;
  } catch {
    return undefined; // garbage reads as "has none": never a reason to say present
  }
}
