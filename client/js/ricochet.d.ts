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
export const EVENT_MAX: 4096;
export const KEY_MAX: 32;
/** An event's `to` for every other member of the room. */
export const TO_ROOM: 0;
/** An event's `id` when the room itself sent it (its script's, docs/scripts.md): no
 * member's. */
export const ROOM_SENDER: 4294967295;
/** Rooms in one listing, at most. */
export const ROOMS_PAGE: 64;
/** A prefix with `any`: NAME_MAX less 4 for the room's number. */
export const ANY_PREFIX_MAX: 28;
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
/** A room's props: at most PROPS_MAX keys, PROPS_BYTES of keys and values together. */
export const PROPS_MAX: 8;
export const PROPS_BYTES: 256;
/** A room's size as a join may ask it (the relay's --max-room-size bounds it). */
export const ROOM_SIZE_MAX: 4095;
/** Why a room's props (or a match, `what`) are refused, in the relay's words ("" if they
 * are not): keys of 1 to 16 of A-Z a-z 0-9 _ . -, values of 0 to 64 bytes of printable
 * UTF-8 (PROTOCOL.md, "Rooms with properties"). */
export function propsFault(pairs: unknown, what?: "props" | "match"): string;
/** A room's props, or a match on them: string values. */
export type Props = Record<string, string>;

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
/** A player's name: 1 to 32 bytes of UTF-8 in any script, no control or
 *  format characters, not only spaces ("민수", "Nguyễn Văn An"). */
export function validPlayerName(s: unknown): boolean;
/** Why s is no player's name, in the relay's words; "" when it is one. */
export function nameFault(s: unknown, max?: number): string;
/** A listing's prefix or after: "" or a name. */
export function validPrefix(s: unknown): boolean;
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
  /** A kept event's key (PROTOCOL.md, "Kept events"), else "". */
  key: string;
  /** Replayed by the relay to me, a latecomer. */
  kept: boolean;
  data: Uint8Array;
}
/** keep: a key the relay keeps the event under for latecomers (to TO_ROOM only; empty data
 * clears it); stay: kept after I leave too. */
export interface KeepOptions { keep?: string; stay?: boolean }
export function isEvent(bytes: Bytes): boolean;
export function encodeEvent(to: number, data: Bytes, opts?: KeepOptions): Uint8Array;
export function decodeEvent(bytes: Bytes): GameEvent;

/** A ticket's claims, as the program may read them (its session keys are not in them). */
export interface TicketClaims {
  /** What a join carries. */
  pass: string;
  room: string;
  name: string;
  /** The fleet whose relays take it, or "" when it names relays. */
  fleet: string;
  /** "ip:port" of the relays that take it. */
  relays: string[];
  /** Its session must be sealed: on a relay with --encrypt, over ws:// or poll (http://) the
   * session seals (with libsodium-wrappers), over wss://, webrtc or wt TLS or DTLS is the seal;
   * a relay without --encrypt refuses it. */
  sealed: boolean;
}
/** A whole ticket, as ricochet-ticket mint prints it; null if text is not one (a pass). */
export function readTicket(text: string): TicketClaims | null;

/** A lockstep room (PROTOCOL.md, "Lockstep rooms"): a slot's flag in a frame. */
export const SLOT: Readonly<{ EMPTY: 0; PRESENT: 1; REPEATED: 2; LEFT: 3 }>;
export const INPUT_MAX: 255;
export const LOCKSTEP_SLOTS_MAX: 32;
export const MSG_INPUTS: 4;
export const MSG_FRAMES: 5;
export const LOCKSTEP_HEAD: 12;
/** A lockstep room's settings (the option lockstep: any of them; the relay's defaults for
 * the rest): hz 10-60, delay 0-32 ticks, slots 1-32, inputMax 1-255 bytes (slots x
 * (inputMax + 2) at most 1024), standInLast (a missing input: the last, else nothing),
 * checkEvery 0-600 (0: no checks), spectatorDelay 0-600 ticks. */
export interface Lockstep {
  hz: number; delay: number; slots: number; inputMax: number; standInLast: boolean;
  checkEvery: number; spectatorDelay: number;
}
export function lockstepDefaults(): Lockstep;
export interface SlotInput { flag: 0 | 1 | 2 | 3; data: Uint8Array }
export function encodeInputs(ack: number, first: number, inputs: Uint8Array[]): Uint8Array;
export function decodeFrames(bytes: Bytes): { first: number; held: number; slots: number;
                                              frames: Uint8Array[] };
export function frameInputs(frame: Uint8Array, slots: number): SlotInput[];
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
/** One sample of an InterpBuffer: a state, its send time and when it arrived (µs). */
export interface InterpSample {
  seq: number;
  send: number;
  recv: number;
  x: number;
  y: number;
  vx: number;
  vy: number;
}
/** Where a member is at a moment: "none" (no sample yet), "before" (earlier than the oldest
 * sample: at it), "between" (interpolated between two samples, or exactly at one),
 * "extrapolated" (past the newest, along its velocity, at most extrapLimitUs), "stale"
 * (further past: held at extrapLimitUs's point). seqA and seqB: the samples it came from. */
export type InterpView =
  | { kind: "none" }
  | { kind: "before" | "between" | "extrapolated" | "stale"; x: number; y: number;
      seqA: number; seqB: number };
/**
 * Snapshot interpolation of one remote member, without a shared clock (the terminal
 * client's, client/tui/interp.c): push each of its states as it arrives, and draw it at
 * sampleAt(nowUs() - delayUs), a delay of two or three of its send intervals (the play page:
 * 100 ms). The smallest receive-minus-send seen maps the sender's times onto mine; states
 * are kept in seq order (a late one in its place, a duplicate dropped), 32 at most.
 */
export class InterpBuffer {
  /** extrapLimitUs: how far past the newest sample to extrapolate (default 250000);
   * maxGapUs: a hole between two samples wider than this is not interpolated across but
   * extrapolated from its older side (default 1000000). */
  constructor(extrapLimitUs?: number, maxGapUs?: number);
  readonly extrapLimitUs: number;
  readonly maxGapUs: number;
  /** The samples kept, oldest first (by seq). */
  readonly s: ReadonlyArray<InterpSample>;
  /** Mine minus the sender's clock, as the fastest trip saw it; null before a sample. */
  readonly offsetUs: number | null;
  /** The last sample to arrive, whatever its seq (null after clear()). */
  readonly raw: InterpSample | null;
  /** States pushed, dropped (a duplicate, or older than all 32 kept), restarts (a send
   * time over 60 s from the newest: the sender's clock or session changed). */
  readonly arrivals: number;
  readonly dropped: number;
  readonly resets: number;
  /** Forgets the samples and the offset (a member that left and came back). */
  clear(): void;
  /** A state received at recvUs (nowUs(), or the state event's recvUs); false if dropped. */
  push(st: { seq: number; send_us: number; x: number; y: number; vx: number; vy: number },
       recvUs: number): boolean;
  /** Sample i's send time on my clock. */
  localTime(i: number): number;
  /** Where the member is at renderUs on my clock. */
  sampleAt(renderUs: number): InterpView;
}

export interface Member {
  id: number;
  name: string;
  /** Its player id: the same across rejoins and moves ("" from a relay that gives none). */
  player: string;
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

/** A member as memberList() and member(id) give it: a copy, its statistics as numbers
 * (the C library's struct ricochet_member). */
export interface MemberView {
  id: number;
  name: string;
  player: string;
  mode: string;
  arrivedAs: string;
  hasState: boolean;
  last: State | null;
  lastRecvUs: number;
  latencyUs: number;
  latencyKnown: boolean;
  stats: {
    received: number; expected: number; lost: number; duplicates: number; reordered: number;
    tooOld: number; noLatency: number; latencyMaxUs: number; latencyBoundUs: number;
    latencyMeanUs: number; jitterUs: number;
  };
}

/** Times in µs: how many, percentiles of the last 4096, the largest, the mean. */
export interface Distribution {
  count: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  meanUs: number;
}

/** timeoutMs's default. */
export const TIMEOUT_MS: 5000;
/** rejoinAfterMs's default (the C library's too). */
export const REJOIN_AFTER_MS: 1500;
/** pollWaitMs's default. */
export const POLL_WAIT_MS: 20000;

/** Bad options throw at once: a TypeError (a name, a route, a mode, a url), a RangeError (a
 * time). Names and rooms are 1 to 32 of A-Z a-z 0-9 _ . - */
/** A join's room setup (PROTOCOL.md, "Rooms with properties"); past a bound a TypeError
 * naming it. The first four set up a room the join makes (one that exists is as it is). */
export interface RoomSetup {
  props?: Props;
  /** The most members it takes, 1..ROOM_SIZE_MAX up to the relay's (0: the relay's). */
  size?: number;
  /** false: in no listing and no join of any room; joined by its name (default true). */
  listed?: boolean;
  /** false: every joiner but its owner is refused room_closed (default true). */
  open?: boolean;
  /** The room must exist already: else a "close" no_such_room (a typo makes no room). */
  exists?: boolean;
  /** With any: only a room whose props hold these (a room it makes takes them). */
  match?: Props;
}

export interface SessionOptions extends RoomSetup {
  room?: string;
  name?: string;
  /** "ws" (a WebSocket; in Node the `ws` package's where there is no global one), "webrtc"
   * (browsers), "wt" (WebTransport: browsers that speak HTTP/3) or "poll" (HTTP polling with
   * fetch, the relay's poll edge: where nothing but plain HTTP requests gets through). */
  route?: "ws" | "webrtc" | "wt" | "poll";
  /** The relay's ws:// or wss:// address (needed outside a page); over route "poll" its
   * poll edge's http:// or https:// address (--listen poll://HOST:PORT; /poll is added
   * unless the path ends so; default this page's origin + "/poll"). */
  url?: string;
  /** Route "poll": how long the relay may hold a GET while nothing waits (long polling;
   * default 20000, 1..25000). */
  pollWaitMs?: number;
  /** Route "poll": short polling instead, a GET answered at once and the next this many ms
   * after (default 0: long polling; 0..60000, and shorter than timeoutMs). */
  pollIntervalMs?: number;
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
  /** A ticket as ricochet-ticket mint prints it, its newline too (room and name are then
   * its own), or its pass (room and name come with the welcome). */
  ticket?: string;
  aoi?: number;
  /** room is a prefix (1 to ANY_PREFIX_MAX): the relay puts me in the fullest room under it
   * with space, or makes the next ("duel-" gives "duel-1"); `room` names it from the
   * welcome, and a rejoin goes back to it. */
  any?: boolean;
  /** Join nothing yet (no room needed): listRooms(), then join(room), in this session,
   * within the relay's --join-timeout-ms (2 s by default). Not over route "poll" or with a
   * ticket (a TypeError). */
  lobby?: boolean;
  /** Join deadline and the relay's silence before the session ends (default 5000,
   * 1..3600000: a RangeError else); a ping goes after a third of it without sending, 1 s at
   * most (over WebTransport a third of the relay's own timeout, from GET /wt, if shorter). */
  timeoutMs?: number;
  /** When the relay is lost after a welcome (silent, closed, refused or shutting down: a
   * relay restarted too), join the room again through the address the session started
   * from, for up to this long: a "moved" event with code "rejoin", then a "welcome". 0 (the
   * default): a lost relay ends the session. The join names the relay lost; a refused
   * attempt, or one sent on too far while the fleet decides, is tried again after 250 ms,
   * then twice as long each time up to a second. A lobby that watches watches again so. A
   * session ended "replaced" (another of its player's took its place) does not rejoin. */
  rejoinMs?: number;
  /** With rejoinMs, a relay silent this long counts as lost (default 1500, 100..3600000). */
  rejoinAfterMs?: number;
  /** Route ws or poll: the fleet's other relays, up to 7 urls of the route's kind. When the
   * address a rejoin goes through is the relay lost, or an attempt through it fails, the
   * next goes instead, in turn. A TypeError else. */
  relays?: string[];
  iceServers?: RTCIceServer[];
  /** An earlier session's key (session.key; kept as a password is, e.g. in sessionStorage):
   * this session is the same player (the same player id; from the same address while that
   * session is still in the room, its place and id). 32 lowercase hex digits, else a
   * TypeError that does not show it. */
  key?: string;
  /** The room my join makes is a lockstep room of these settings (a room that exists is
   * joined as it is); RangeError or TypeError past a bound. */
  lockstep?: Partial<Lockstep>;
  /** Join a lockstep room without a slot: no inputs, frames spectatorDelay ticks behind. */
  spectator?: boolean;
}

/** My room as the relay last said it (the welcome, then each "room" event): owner its
 * owner's player id ("": none, or a relay that does not say), open and listed true where not
 * said, size the most members it takes (0: not said). */
export interface RoomSettings {
  owner: string;
  props: Props;
  open: boolean;
  listed: boolean;
  size: number;
}

/** A room of a listing: full when members equals capacity (its size where it set one);
 * props ({} if none; a fleet's other relays list theirs without), open (false: closed). */
export interface RoomEntry {
  room: string;
  members: number;
  capacity: number;
  props: Props;
  open: boolean;
}

export interface SessionEvents {
  open: { route: string; lobby: boolean };
  welcome: { id: number; room: string; aoi?: number; key: string; player: string;
             owner: string; props: Props; open: boolean; listed: boolean; size: number;
             roster: Array<{ id: number; name: string; mode: string; player: string }> };
  /** My room changed (its owner's change, a handoff, a restore): its settings now, and
   * mine: its owner is my player. */
  room: RoomSettings & { mine: boolean };
  roster: {};
  state: { id: number; state: State; arrivedAs: string; recvUs: number; latencyUs: number;
           latencyKnown: boolean; latencyBoundUs: number };
  tooold: { id: number; state: State; arrivedAs: string };
  echo: { state: State; rttUs: number };
  /** A member's event: data is its body; code "room", "direct" or "kept" (replayed to me after
   * my welcome: kept true); key: a kept event's key, else "". */
  event: { id: number; name: string; to: number; code: "room" | "direct" | "kept"; key: string;
           kept: boolean; data: Uint8Array; recvUs: number };
  joined: { id: number; name: string; mode: string; player: string; rejoined: boolean };
  /** A member back after its rejoin or move, or mine: the same player, not a left then a
   * joined; id: its id now, was: its id before. */
  rejoined: { id: number; name: string; mode: string; player: string; was: number };
  /** member: its last memberList() entry (null: away since my move and not back in time);
   * creator: when the room's owner left, the player id of who owns it now ("": it was
   * not the owner; the wire's first name for the owner); mine: that is me (roomMine). */
  left: { id: number; name: string; player: string; reason: "quit" | "timeout" | "kicked";
          member?: MemberView | null; creator: string; mine: boolean };
  chat: { id: number; name: string; text: string };
  /** A page of the relay's rooms (listRooms), in name order; more: ask again after the last.
   * watch: the relay watches for this lobby (watchRooms): a fresh first page comes with
   * each change. */
  rooms: { prefix: string; rooms: RoomEntry[]; more: boolean; watch: boolean };
  /** The relay's error: the session goes on unless a close follows. */
  error: { code: string; message: string };
  clock: any; appeared: any; vanished: any;
  /** The session leaves this relay for another ("moved": a fleet's) or joins again through
   * the same address ("rejoin"); text: host:port. The members are forgotten, a welcome
   * follows. One a move, however many attempts it takes. */
  moved: { code: "moved" | "rejoin"; text: string; url: string };
  pong: { t: number; relay_t: number; rttUs: number };
  bad: { error: Error };
  /** Always the last event. code: "closed" (close()), "refused" (no relay there), "timeout",
   * "disconnected", "moved_too_far", or the relay's error code; reason: what happened, one
   * line; hint: what to do about it ("" after close()). */
  close: { code: string; text: string; reason: string; hint: string };
  /** A lockstep room's confirmed frame, in tick order, none skipped: bytes, the confirmed
   * log's unit; inputs, each slot's flag and bytes. */
  frame: { tick: number; bytes: Uint8Array; inputs: SlotInput[]; recvUs: number };
  /** Inputs of mine came after their tick closed (the newest such tick, how late, how
   * many): their frames hold my stand-in; the aim goes a tick further. */
  late: { tick: number; byUs: number; count: number; recvUs: number };
  /** These members' checks of tick differ from the room's. */
  desync: { tick: number; ids: number[]; players: string[]; recvUs: number };
}

export class Session extends EventTarget {
  constructor(options: SessionOptions);
  readonly route: "ws" | "webrtc" | "wt" | "poll";
  readonly phase: "connecting" | "lobby" | "joining" | "joined" | "closed";
  readonly id: number;
  /** My player's key (32 hex digits, from my first welcome; options.key until then), sent
   * in every later join so that a rejoin or a move keeps me the same player; given to a
   * later Session's key option, that session is the same player. A secret: never show it. */
  readonly key: string;
  /** My player id (16 hex digits): what the others see of me, the same across rejoins. */
  readonly player: string;
  /** My player owns my room (the welcome, a "room" event or a left naming a new owner said
   * so): setRoom is mine. */
  readonly roomMine: boolean;
  /** The same as roomMine. */
  readonly isOwner: boolean;
  /** My room's owner's player id ("": none, or a relay that does not say). */
  readonly owner: string;
  /** My room as the relay last said it. */
  readonly roomSettings: Readonly<RoomSettings>;
  readonly room: string;
  readonly name: string;
  /** The ticket's claims, when options.ticket was a whole ticket; else null. */
  readonly ticket: TicketClaims | null;
  readonly mode: string;
  /** The relay's host:port now. */
  readonly where: string;
  readonly members: Map<number, Member>;
  readonly clock: ClockSync;
  readonly rttUs: number;
  readonly sent: number;
  readonly skipped: number;
  readonly bad: number;
  readonly lastBad: string;
  /** The relay seals this join's session (--encrypt, over ws:// or poll; needs the whole
   * ticket and libsodium-wrappers: Node's import, or a page's globalThis.sodium). */
  readonly sealed: boolean;
  readonly endCode: string;
  readonly endText: string;
  /** The close event's reason and hint. */
  readonly endReason: string;
  readonly endHint: string;
  /** Opens the route and joins. Whatever fails after is a "close" event, never an exception
   * (listeners added right after start() hear it too). */
  start(): this;
  /** The members of my room (not me), as copies. */
  memberList(): MemberView[];
  /** The member of this id, or null. */
  member(id: number): MemberView | null;
  /** The one-way latency of the states received (those timed). */
  latency(): Distribution;
  /** The round trip of my reflected states (reflect: true). */
  rtt(): Distribution;
  /** Its seq, or 0 if not sent; RangeError past PAYLOAD_MAX; throws once closed. */
  sendState(st: StateFields, payload?: Bytes): number;
  /** false if not sent; RangeError past EVENT_MAX; throws once closed. */
  sendEvent(to: number, data: Bytes, opts?: KeepOptions): boolean;
  chat(text: string): boolean;
  ping(): boolean;
  /** Asks for a page of the relay's rooms under prefix after `after` (each "" or a name: a
   * TypeError else), answered by a "rooms" event (an "error" listing_off from a relay with
   * --room-list off); false if not sent: before the welcome (a lobby's, asked while
   * connecting, goes once the route is up; another session's is not queued: as the C
   * library's RICOCHET_E_NOT_JOINED) or once closed. With match, only rooms whose props
   * hold it (a TypeError past the props' bounds). */
  listRooms(prefix?: string, after?: string, match?: Props): boolean;
  /** A lobby that stays (PROTOCOL.md, "A lobby that stays"): the relay watches the rooms
   * under prefix whose props hold match, answers with the first page and sends a fresh one
   * (a "rooms" event) whenever it changes, at most every 500 ms; the lobby has no join
   * timeout while it watches (the session pings). watch false ends it, as join() does.
   * TypeError as listRooms; false if not a lobby or not sent (asked while connecting: sent
   * once the route is up). */
  watchRooms(prefix?: string, match?: Props, watch?: boolean): boolean;
  /** The relay's last listing said it watches for this lobby (watchRooms). */
  readonly watching: boolean;
  /** A lobby's join: room, or with any the fullest room with space under the prefix room;
   * a "welcome" or a "close" answers. A TypeError for a bad room; false if not a lobby,
   * joined already or closed. setup: as the options' (a TypeError past a bound). */
  join(room: string, any?: boolean, setup?: RoomSetup): boolean;
  /** From my room's owner: open it or close it to joiners, list it or not, replace its
   * props; what is left out stays. No answer; another member gets an "error" not_creator.
   * A TypeError past a bound; false if not joined. */
  setRoom(change: { open?: boolean; listed?: boolean; props?: Props }): boolean;
  setMode(mode: "unsequenced" | "sequenced" | "reliable" | "streams"): boolean;
  /** My lockstep room's settings, my slot (-1: a spectator), the kept events after my
   * welcome; null outside one. */
  lockstep(): { settings: Lockstep; slot: number; kept: number } | null;
  /** Asks for the frames from tick on (a joiner after its snapshot); only forward. */
  lockstepFrom(tick: number): boolean;
  /** The tick the relay collects now, by my clock offset to it. */
  lockstepTick(): number;
  /** The tick to send my input for now: lockstepTick() + delay (+1 a "late", at most delay
   * more, -1 after 5 s without one). */
  lockstepAim(): number;
  /** My input for tick (inputMax bytes at most), sent again until its frame came; when the
   * aim jumped, the open ticks stepped over since my last input get it too. false: not sent
   * (not joined, no slot); RangeError: too long, a tick whose frame came. */
  sendInput(tick: number, data: Bytes): boolean;
  /** The checksum of my simulation after frame tick (a multiple of checkEvery). */
  sendCheck(tick: number, sum: bigint | string): boolean;
  lockstepLate(): { tick: number; byUs: number; count: number } | null;
  lockstepDesync(): number[];
  lockstepPlayer(slot: number): string | null;
  close(): void;
  addEventListener<K extends keyof SessionEvents>(
    type: K, listener: (ev: CustomEvent<SessionEvents[K]>) => void,
    options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
                   options?: boolean | AddEventListenerOptions): void;
}
