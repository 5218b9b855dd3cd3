/**
 * The parts of `@mercuryworkshop/wisp-js` 0.5 (plain JavaScript, no types) that tabdock
 * uses: the relay's server side (src/proxy/wisp-relay.ts) and the page's client
 * (src/engine/browser/wisp-link.ts). Shapes as in its src/.
 */
declare module '@mercuryworkshop/wisp-js/server' {
  interface WispSocketLike {
    hostname: string;
    port: number;
    connect(): Promise<void>;
    recv(): Promise<Uint8Array | null | undefined>;
    send(data: Uint8Array): Promise<void>;
    close(): Promise<void> | void;
    pause(): void;
    resume(): void;
  }
  type WispSocketClass = new (hostname: string, port: number) => WispSocketLike;
  class ServerStream {
    constructor(stream_id: number, conn: ServerConnection, socket: WispSocketLike);
    stream_id: number;
    socket: WispSocketLike;
    setup(): Promise<void>;
    close(reason?: number | null): Promise<void>;
  }
  class ServerConnection {
    constructor(ws: unknown, path: string, options?: { TCPSocket?: WispSocketClass; UDPSocket?: WispSocketClass; ping_interval?: number; wisp_version?: number });
    ws: { send(data: Uint8Array): Promise<void>; close(code?: number, reason?: string): void };
    streams: Record<number, ServerStream>;
    conn_id: string;
    setup(): Promise<void>;
    run(): Promise<void>;
    create_stream(stream_id: number, type: number, hostname: string, port: number): void;
    close_stream(stream_id: number, reason?: number | null, quiet?: boolean): Promise<void>;
  }
  export const server: {
    ServerConnection: typeof ServerConnection;
    ServerStream: typeof ServerStream;
    /** Module-global: shared by every relay in the process. */
    options: Record<string, unknown>;
  };
  export const logging: { set_level(level: number): void; NONE: number; ERROR: number };
  export type { ServerConnection, ServerStream, WispSocketLike };
}

declare module '@mercuryworkshop/wisp-js/client' {
  interface ClientStream {
    stream_id: number;
    buffer_size: number;
    send_buffer: Uint8Array[];
    open: boolean;
    onclose: (reason: number) => void;
    onmessage: (data: Uint8Array) => void;
    send(data: Uint8Array): void;
    continue_received(buffer_size: number): void;
    close(reason?: number): void;
  }
  class ClientConnection {
    constructor(url: string, options?: { wisp_version?: number });
    ws: { bufferedAmount: number; readyState: number };
    connected: boolean;
    onopen: () => void;
    onclose: () => void;
    onerror: () => void;
    create_stream(hostname: string, port: number, type?: 'tcp' | 'udp' | number): ClientStream;
    close(): void;
  }
  export const client: { ClientConnection: typeof ClientConnection };
  export type { ClientConnection, ClientStream };
}

