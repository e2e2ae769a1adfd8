// HTTP/2 settings shared by the server (kubelet's side) and the runtime clients.

/**
 * Bun's node:http2 counts queued bytes against maxSessionMemory (MB, default 10) and resets
 * streams past it: concurrent large lists need room. Bounded globally by the byte budget.
 */
export const SESSION_MEMORY_MB = 256;
