"""tickets.py: mint_ticket, for a game's backend: the ticket ricochet-ticket
mint prints, minted by the library (ricochet_ticket_mint)."""
import ctypes as C

from .constants import TICKET_MAX
from .errors import _text
from .native import lib
from .structs import _str


def mint_ticket(key_file, room, name, where=None, ttl_s=3600, clear=False):
    """For a game's backend: the ticket ricochet-ticket mint would print (a
    str, no newline) for name in room under the key in key_file (the relays'
    --ticket-key), valid ttl_s seconds on the relays of the fleet where
    names (None: "ricochet") or, with a ':' in it, on the relay endpoints it
    lists ("host:port,..."); sealed unless clear. ValueError says why not."""
    out = C.create_string_buffer(TICKET_MAX + 1)
    args = [None if v is None else _text(v, what) for v, what in
            ((key_file, "key_file"), (room, "room"), (name, "name"), (where, "where"))]
    if lib.ricochet_ticket_mint(*args, int(ttl_s), 1 if clear else 0, out, len(out)) < 0:
        raise ValueError(_str(out.value))
    return _str(out.value)

