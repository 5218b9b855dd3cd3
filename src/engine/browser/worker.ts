/**
 * The Web Worker entry: the engine, the emulator and the stores live here; the page talks
 * to the WorkerHost through comlink (client.ts).
 */
import { expose } from 'comlink';
import './comlink-errors.ts';
import { WorkerHost } from './worker-host.ts';

expose(new WorkerHost());
