/** `ws` 8 (a dependency of wisp-js; no @types/ws installed): what the relay and its tests use (Node only). */
declare module 'ws' {
  import type { IncomingMessage } from 'node:http';
  import type { Duplex } from 'node:stream';
  class WebSocket {
    constructor(url: string, protocols?: string | string[]);
    static readonly OPEN: number;
    readonly readyState: number;
    readonly bufferedAmount: number;
    binaryType: string;
    onopen: ((ev: unknown) => void) | null;
    onclose: ((ev: { code: number; reason: string }) => void) | null;
    onerror: ((ev: unknown) => void) | null;
    onmessage: ((ev: { data: unknown }) => void) | null;
    send(data: string | ArrayBufferView | ArrayBuffer, cb?: (err?: Error) => void): void;
    close(code?: number, reason?: string): void;
    terminate(): void;
    on(event: 'message', l: (data: Uint8Array | ArrayBuffer, isBinary: boolean) => void): this;
    on(event: 'close', l: () => void): this;
    on(event: 'open' | 'error', l: (e?: Error) => void): this;
    pause(): void;
    resume(): void;
  }
  class WebSocketServer {
    constructor(options: { noServer?: boolean; maxPayload?: number; port?: number; host?: string; server?: unknown });
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WebSocket) => void): void;
    on(event: 'connection', l: (ws: WebSocket, req: IncomingMessage) => void): this;
    on(event: 'listening', l: () => void): this;
    address(): { port: number } | string;
    close(cb?: () => void): void;
  }
  export { WebSocket, WebSocketServer };
  export default WebSocket;
}
