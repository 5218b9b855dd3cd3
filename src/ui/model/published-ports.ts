/**
 * The TCP ports a container publishes, from what the engine reports in Docker's shapes:
 * the list's `Ports` ([{ PrivatePort, PublicPort, Type }], `docker ps`) or inspect's
 * `NetworkSettings.Ports` ({ "80/tcp": [{ HostIp, HostPort }] | null }). One entry per
 * container port (a preview opens the container's port; the host port is shown beside it).
 * UDP cannot be previewed and is left out.
 */
export interface PublishedPort {
  containerPort: number;
  /** The `-p` host port, when one was given or chosen. */
  hostPort?: number;
}

interface ListPort {
  PrivatePort?: number;
  PublicPort?: number;
  Type?: string;
}

export function publishedPorts(c: { Ports?: readonly ListPort[]; NetworkSettings?: { Ports?: Record<string, readonly { HostPort?: string }[] | null> } }): PublishedPort[] {
  const out = new Map<number, PublishedPort>();
  for (const p of c.Ports ?? []) {
    if ((p.Type ?? 'tcp') !== 'tcp' || !p.PrivatePort || !p.PublicPort) continue;
    if (!out.has(p.PrivatePort)) out.set(p.PrivatePort, { containerPort: p.PrivatePort, hostPort: p.PublicPort });
  }
  for (const [key, bindings] of Object.entries(c.NetworkSettings?.Ports ?? {})) {
    const m = /^(\d+)\/(tcp|udp|sctp)$/.exec(key);
    if (!m || m[2] !== 'tcp' || !bindings || bindings.length === 0) continue; // exposed, not published
    const port = Number(m[1]);
    const host = Number(bindings[0]?.HostPort);
    if (!out.has(port)) out.set(port, { containerPort: port, ...(host ? { hostPort: host } : {}) });
  }
  return [...out.values()].sort((a, b) => a.containerPort - b.containerPort);
}
