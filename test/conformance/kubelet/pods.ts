// kubelet's own view of its pods, from its read-only /pods (JSON on stdin): one line per container,
// "POD phase=P ready=R restarts=N id=CONTAINER_ID waiting=REASON message=MSG" (fields the checks grep).
export {};
const list = JSON.parse(await Bun.stdin.text()) as { items?: any[] };
for (const p of list.items ?? []) {
  const st = p.status ?? {};
  const containers: any[] = st.containerStatuses ?? [];
  if (containers.length === 0)
    console.log(`${p.metadata?.name} phase=${st.phase} ready=false restarts=0 id= waiting=none message=`);
  for (const c of containers) {
    const w = c.state?.waiting;
    const msg = String(w?.message ?? "").replaceAll(/\s+/g, " ");
    console.log(
      `${p.metadata?.name} phase=${st.phase} ready=${c.ready} restarts=${c.restartCount} id=${c.containerID ?? ""} waiting=${w?.reason ?? "none"} message=${msg}`,
    );
  }
}
