/**
 * The engine's typed events, published by the service that knows (containerd's habit: a
 * task's exit is published by whoever sees it exit) and read by every client through one
 * subscription. `type` is the object kind and `action` what happened to it, with moby's
 * event names (`docker events`: container create/start/attach/resize/kill/die/stop/restart/
 * oom/destroy/pause/unpause/rename/update/top/detach/exec_create/exec_start/exec_die/exec_detach/
 * health_status, image
 * pull/tag/untag/delete, volume create/destroy), so a `docker events` stream is a
 * formatting of these. A new kind (networks) is one more member of the union and one
 * more `publish` call in its service.
 */
interface ContainerEventBase {
  type: 'container';
  id: string;
  name: string;
  image: string;
  time: string;
  labels?: Record<string, string>;
}

/** What happened to a container: the action and the fields moby gives that action. */
export type ContainerEventDetail =
  | { action: 'create' | 'start' | 'destroy' | 'pause' | 'unpause' | 'update' | 'stop' | 'restart' | 'attach' | 'top' | 'oom' }
  /** An attached client typed the detach keys (moby's `detach`; the container goes on). */
  | { action: 'detach' }
  /** `docker export`; `docker cp` out of it (moby's `archive-path`) and into it (`extract-to-dir`). */
  | { action: 'export' | 'archive-path' | 'extract-to-dir' }
  /** `docker commit`: moby's attributes comment (-m), imageID, imageRef (the familiar reference given, or empty). */
  | { action: 'commit'; comment: string; imageId: string; imageRef: string }
  /** `docker rename`: `name` is the new name, `oldName` the old one with its slash (moby's attribute). */
  | { action: 'rename'; oldName: string }
  /** The process ended (by itself, stop, kill, or the runtime going away). */
  | { action: 'die'; exitCode: number }
  /** A signal sent to it (`kill`, `stop`, sig-proxy), by number as moby's `signal` attribute. */
  | { action: 'kill'; signal: number }
  /** Its TTY's new size (moby `ContainerResize`: attributes height, width). */
  | { action: 'resize'; cols: number; rows: number }
  /**
   * An exec made and started: moby names the action `exec_create: ` / `exec_start: ` and the
   * command (its Entrypoint, a space, its arguments joined by spaces); `execId` its execID.
   */
  | { action: 'exec_create' | 'exec_start'; execId: string; command: string[] }
  | { action: 'exec_die'; execId: string; exitCode: number }
  /** The exec's client typed the detach keys (moby's `exec_detach`; the process goes on). */
  | { action: 'exec_detach'; execId: string }
  /** Its health check's status changed (moby's action `health_status: ` + the status). */
  | { action: 'health_status'; status: 'starting' | 'healthy' | 'unhealthy' };

export type ContainerEvent = ContainerEventBase & ContainerEventDetail;

export type ImageEvent =
  /** A pull (push, import, load, save) that completed; `ref` is the reference as pulled (pushed...), fully qualified. */
  | { type: 'image'; action: 'pull' | 'push' | 'import' | 'load' | 'save'; id: string; ref: string; time: string }
  | { type: 'image'; action: 'tag' | 'untag'; id: string; ref: string; time: string }
  | { type: 'image'; action: 'delete'; id: string; time: string };

export type VolumeEvent = { type: 'volume'; action: 'create' | 'destroy'; name: string; time: string };

/** A network made or removed, or a container's endpoint on it made (its start, `network connect`) or gone. */
export type NetworkEvent =
  | { type: 'network'; action: 'create' | 'destroy'; id: string; name: string; time: string }
  | { type: 'network'; action: 'connect' | 'disconnect'; id: string; name: string; time: string; container: string };

export type EngineEvent = ContainerEvent | ImageEvent | VolumeEvent | NetworkEvent;

/** What a service is handed to publish with (it never sees the subscribers). */
export interface EventPublisher {
  publish(e: EngineEvent): void;
}

/** How many past events the bus keeps for `docker events --since` (moby's events ring: 256). */
export const EVENTS_KEPT = 256;

/** Events to every listener in order; one listener's failure reaches no other listener nor the publisher. */
export class EventBus implements EventPublisher {
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private readonly kept: EngineEvent[] = [];

  /** The last `EVENTS_KEPT` events, oldest first (what `--since` can replay). */
  get recent(): readonly EngineEvent[] {
    return this.kept;
  }

  publish(e: EngineEvent): void {
    this.kept.push(e);
    if (this.kept.length > EVENTS_KEPT) this.kept.shift();
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // A listener's bug is its own: the container still exited.
      }
    }
  }

  /** Subscribes; the returned function unsubscribes. */
  onEvent(listener: (e: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

/** Publishing nowhere (a service built without a bus, as in unit tests). */
export const NO_EVENTS: EventPublisher = { publish: () => {} };

export const eventTime = (now: () => Date = () => new Date()): string => now().toISOString();
