/** mint.js: tickets minted by a game's backend in Node (needs libsodium-wrappers). */

/** What a ticket admits to, and where and how long. */
export interface MintOptions {
  room: string;
  name: string;
  /** the relays' --fleet-name ("ricochet"), when no relays are given */
  fleet?: string;
  /** or only these relays, "host:port" as each writes its own endpoint (at most 4) */
  relays?: string[];
  /** seconds from now, 1 to 604800 (3600) */
  ttlS?: number;
  /** the session may run in clear (false: it must be sealed) */
  clear?: boolean;
}

/** The ticket ricochet-ticket mint would print (no newline), under the key in
 * keyFile; rejects with an Error saying why it cannot. */
export function mintTicket(keyFile: string, options: MintOptions): Promise<string>;
