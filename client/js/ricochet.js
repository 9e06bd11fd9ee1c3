/* ricochet.js: a session with a ricochet relay over a WebSocket (the
 * relay's ws edge, PROTOCOL.md "WebSocket"): every message one binary
 * WebSocket message, a control message as JSON, a state as its 40 bytes. */
export const PROTOCOL_VERSION = 3;

/* A state's fields from its bytes (PROTOCOL.md, "State"). */
export function decodeState(buf) {
  const v = new DataView(buf);
  return { sender: v.getUint32(4), seq: v.getUint32(8), x: v.getFloat32(20),
           y: v.getFloat32(24) };
}

export class Session {
  constructor(options) {
    this.options = options;
    this.onmessage = () => {};
    this.onclose = () => {};
  }

  start() {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/";
    this.ws = new WebSocket(url);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => {
      const join = { type: "join", version: PROTOCOL_VERSION, room: this.options.room,
                     name: this.options.name, mode: "ws" };
      this.ws.send(new TextEncoder().encode(JSON.stringify(join)));
    };
    this.ws.onmessage = (e) => {
      const bytes = new Uint8Array(e.data);
      if (bytes[0] === 0x7b) this.onmessage(new TextDecoder().decode(bytes));
      else this.onmessage(decodeState(e.data));
    };
    this.ws.onclose = (e) => this.onclose(`${e.code} ${e.reason}`);
  }
}
