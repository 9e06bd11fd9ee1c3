// ricochet.d.ts: the types of ricochet.js (one ES module, for browsers and
// Node). The protocol is proto/PROTOCOL.md's; the guide docs/library.md.

export const VERSION: 3;
export const STATE_VERSION: 1;
export const MSG_STATE: 1;
export const MSG_BATCH: 2;
export const MSG_EVENT: 3;
export const STATE_SIZE: 40;
export const STATE_MAX: 1200;
export const BATCH_MAX: 1200;
export const EVENT_HEAD: 12;
/** Bytes of a state's payload: what every session carries, a sealed one too. */
export const PAYLOAD_MAX: 1135;
/** Bytes of an event's body. */
export const EVENT_MAX: 1024;
/** An event's `to` for every other member of the room. */
export const TO_ROOM: 0;
export const TIME_MAX: number;
export const VALUE_MAX: number;
export const NAME_MAX: 32;
export const TEXT_MAX: 200;
export const CODE_MAX: 31;
export const CONTROL_MAX: 65536;
export const ARENA_W: 100;
export const ARENA_H: 100;
export const ROSTER_MAX: 256;
export const ID_MAX: 4294967295;

export type ModeName = "unsequenced" | "sequenced" | "reliable" | "udp" | "tcp" | "ws" | "streams";
export interface ModeInfo {
  readonly name: ModeName;
  readonly lossless: boolean;
  readonly dropOld: boolean;
  readonly channel: "control" | "unsequenced" | "sequenced" | null;
  /** Its way over WebTransport: a datagram's channel byte (1, 2), the session's
   * control stream, a stream of my own; null: not a WebTransport mode. */
  readonly wt: 1 | 2 | "control" | "own" | null;
  readonly what: string;
}
export const MODES: Readonly<Record<ModeName, ModeInfo>>;
export function LOSSLESS(mode: string): boolean;
export const RTC_CHANNELS: ReadonlyArray<{ label: string; options: RTCDataChannelInit }>;
export const ENDING_ERRORS: ReadonlyArray<string>;

export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView;

export class ProtocolError extends Error {
  constructor(code: string, message: string);
  code: string;
}

export function nowUs(): number;
export function seqAfter(a: number, b: number): boolean;
export function validName(s: unknown): boolean;
export function validText(s: unknown): boolean;

export interface StateFields {
  x: number;
  y: number;
  vx?: number;
  vy?: number;
  heading?: number;
}
export interface State extends Required<StateFields> {
  sender: number;
  seq: number;
  send_us: number;
  /** The bytes after the 40: the sender's payload (a copy). */
  payload: Uint8Array;
}
export function encodeState(st: StateFields & { seq: number; send_us: number }, payload?: Bytes): Uint8Array;
export function decodeState(bytes: Bytes): State;
export function isBatch(bytes: Bytes): boolean;
export function unpackBatch(bytes: Bytes): Uint8Array[];

export interface GameEvent {
  sender: number;
  /** 0: the room; else the member it was for. */
  to: number;
  data: Uint8Array;
}
export function isEvent(bytes: Bytes): boolean;
export function encodeEvent(to: number, data: Bytes): Uint8Array;
export function decodeEvent(bytes: Bytes): GameEvent;

export function encodeControl(msg: { type: string; [field: string]: unknown }): string;
export function decodeControl(data: string | Bytes): { type: string; [field: string]: any };

export class RecvStats {
  received: number;
  lost(): number;
  duplicates: number;
  reordered: number;
  tooOld: number;
  record(seq: number, latencyUs: number | null): boolean;
  [field: string]: any;
}
export function percentile(a: number[], p: number): number;
export class ClockSync {
  valid: boolean;
  offsetUs: number;
  boundUs: number;
  atUs: number;
  set(offsetUs: number, boundUs: number, atUs: number): void;
  sample(t: number, relayT: number, now: number): number;
}
export function clockLatency(mine: ClockSync, sender: ClockSync, sendUs: number,
                             recvUs: number): { latencyUs: number; known: boolean; boundUs: number };
export class InterpBuffer {
  constructor(...args: any[]);
  [field: string]: any;
}

export interface Member {
  id: number;
  name: string;
  mode: string;
  arrivedAs: string;
  clock: ClockSync;
  hasState: boolean;
  last: State | null;
  lastRecvUs: number;
  latencyUs: number;
  latencyKnown: boolean;
  latencyBoundUs: number;
  stats: RecvStats;
  maxGapUs: number;
}

export interface SessionOptions {
  room?: string;
  name?: string;
  /** "ws" (a WebSocket; in Node the `ws` package's where there is no global one), "webrtc"
   * (browsers) or "wt" (WebTransport: browsers that speak HTTP/3). */
  route?: "ws" | "webrtc" | "wt";
  /** The relay's ws:// or wss:// address (needed outside a page). */
  url?: string;
  rtcUrl?: string;
  /** Where the relay says how to open a WebTransport session (default this page's origin +
   * "/wt"; read again at every start). */
  wtUrl?: string;
  /** The UDP port to reach instead of the one the relay names (a proxy's in front of it). */
  wtPort?: number;
  /** WebRTC and WebTransport; "streams" over WebTransport only. */
  mode?: "unsequenced" | "sequenced" | "reliable" | "streams";
  reflect?: boolean;
  batch?: boolean;
  ticket?: string;
  aoi?: number;
  /** Join deadline and the relay's silence before the session ends (default 5000); a ping
   * goes after a third of it without sending, 1 s at most (over WebTransport a third of the
   * relay's own timeout, from GET /wt, if shorter). */
  timeoutMs?: number;
  iceServers?: RTCIceServer[];
}

export interface SessionEvents {
  open: { route: string };
  welcome: { id: number; room: string; roster: any[] };
  roster: {};
  state: { id: number; state: State; arrivedAs: string; recvUs: number; latencyUs: number;
           latencyKnown: boolean; latencyBoundUs: number };
  tooold: { id: number; state: State; arrivedAs: string };
  echo: { state: State; rttUs: number };
  /** A member's event: data is its body; code "room" or "direct". */
  event: { id: number; name: string; to: number; code: "room" | "direct"; data: Uint8Array;
           recvUs: number };
  joined: any; left: any; chat: any; error: { code: string; message: string }; clock: any;
  appeared: any; vanished: any; moved: any;
  pong: { t: number; relay_t: number; rttUs: number };
  bad: { error: Error };
  close: { code: string; text: string; reason: string };
}

export class Session extends EventTarget {
  constructor(options: SessionOptions);
  readonly route: "ws" | "webrtc" | "wt";
  readonly phase: "connecting" | "joining" | "joined" | "closed";
  readonly id: number;
  readonly room: string;
  readonly name: string;
  readonly mode: string;
  readonly members: Map<number, Member>;
  readonly clock: ClockSync;
  readonly rttUs: number;
  readonly sent: number;
  readonly skipped: number;
  readonly bad: number;
  readonly lastBad: string;
  readonly endCode: string;
  readonly endText: string;
  start(): this;
  /** Its seq, or 0 if not sent; RangeError past PAYLOAD_MAX; throws once closed. */
  sendState(st: StateFields, payload?: Bytes): number;
  /** false if not sent; RangeError past EVENT_MAX; throws once closed. */
  sendEvent(to: number, data: Bytes): boolean;
  chat(text: string): boolean;
  ping(): boolean;
  setMode(mode: "unsequenced" | "sequenced" | "reliable" | "streams"): boolean;
  close(): void;
  addEventListener<K extends keyof SessionEvents>(
    type: K, listener: (ev: CustomEvent<SessionEvents[K]>) => void,
    options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
                   options?: boolean | AddEventListenerOptions): void;
}
