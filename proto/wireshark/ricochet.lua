-- ricochet.lua: a Wireshark dissector for ricochet (proto/PROTOCOL.md) over
-- ENet 1.3.17, over plain UDP, over the relay's TCP edge, in WebSocket
-- messages, in WebRTC data channels and inside QUIC. A second, independent reading of the wire
-- contract: the C readers are proto/wire.c, proto/control.c, proto/seal.c,
-- proto/ticket.c and, for ENet's header and commands, proto/enet/enet_wire.c
-- (tests/test_e2e_dissector.c and _fuzz.c check the two readings against each other).
--
--   tshark -X lua_script:proto/wireshark/ricochet.lua -r run.pcap
--   wireshark -X lua_script:proto/wireshark/ricochet.lua run.pcap
--
-- make install puts it, with ricochet_enet.lua beside it, where Debian's
-- Wireshark loads global Lua plugins. Datagrams are found by port (the
-- preference ricochet.ports, 7777 by default) and, on any UDP port, by a
-- strict heuristic: a whole ENet datagram or a whole ricochet message, never
-- DNS or QUIC. The streams and the browsers' carriers have preferences of
-- their own (ricochet_tcp.ports 7779, ricochet_ws.ports 7780,
-- ricochet_rtc.ports 7781) and heuristics on each frame or message; WebRTC
-- needs the DTLS secrets (-o tls.keylog_file:FILE), QUIC the TLS ones (the
-- same option; its ALPN says where, on any port).
--
-- The layers: udp_entry (one datagram, ENet's or plain UDP's) ->
-- R.enet_dissect (ricochet_enet.lua: ENet's header and commands) ->
-- dissect_message (R.message: one ricochet message from its bytes alone, so
-- any carrier can call it) -> dissect_state, dissect_batch, dissect_event,
-- dissect_control, dissect_sealed (the one place sealed messages are read).

-- Wireshark runs each plugin file in an environment of its own: what other
-- files may call (R.message) is shared through _G.ricochet_wireshark.
if _G.ricochet_wireshark then return end -- loaded already (installed, and given by -X)
local R = {}
_G.ricochet_wireshark = R

local band = bit32.band

local ric = Proto("ricochet", "ricochet")

-- proto/control.c: every control message type.
local CONTROL_TYPES = {}
for _, t in ipairs({"join", "welcome", "joined", "left", "error", "chat", "leave", "ping", "pong",
                    "clock", "cookie", "sealed", "moved", "appeared", "vanished", "rooms",
                    "room"}) do
    CONTROL_TYPES[t] = true
end

local STATE_SIZE, STATE_MAX, BATCH_MAX = 40, 1200, 1200
local EVENT_HEAD, EVENT_BODY_MAX = 12, 4096
local VALUE_MAX, TIME_MAX = 1e6, 999999999999999
local LANES = {[0] = "control", [1] = "a state sent unreliably", [2] = "a state sent reliably"}

local rf = {
    version = ProtoField.uint8("ricochet.version", "Version"),
    mtype = ProtoField.uint8("ricochet.type", "Type", base.DEC, {[1] = "state", [2] = "batch",
                                                                      [3] = "event"}),
    reserved = ProtoField.uint16("ricochet.reserved", "Reserved"),
    sender = ProtoField.uint32("ricochet.state.sender", "Sender", base.DEC, nil, nil,
                               "the sender's id, stamped by the relay (0 from a client)"),
    seq = ProtoField.uint32("ricochet.state.seq", "Sequence number"),
    send_us = ProtoField.uint64("ricochet.state.send_us", "Send time (us, sender's clock)"),
    x = ProtoField.float("ricochet.state.x", "x"),
    y = ProtoField.float("ricochet.state.y", "y"),
    vx = ProtoField.float("ricochet.state.vx", "vx (units/s)"),
    vy = ProtoField.float("ricochet.state.vy", "vy (units/s)"),
    heading = ProtoField.float("ricochet.state.heading", "Heading (rad)"),
    payload = ProtoField.bytes("ricochet.state.payload", "Payload (the game's bytes)"),
    ev_sender = ProtoField.uint32("ricochet.event.sender", "Sender", base.DEC, nil, nil,
                                  "0 from a client; the relay stamps the sender's id"),
    ev_to = ProtoField.uint32("ricochet.event.to", "To", base.DEC, nil, nil,
                              "0: every other member of the room; else one member's id"),
    ev_body = ProtoField.bytes("ricochet.event.body", "Body (the game's bytes)"),
    ev_flags = ProtoField.uint8("ricochet.event.flags", "Flags", base.HEX,
                                {[0] = "none", [1] = "keep", [3] = "keep, stay", [5] = "keep, kept",
                                 [7] = "keep, stay, kept"}),
    ev_key = ProtoField.string("ricochet.event.key", "Key (kept for latecomers)"),
    way = ProtoField.string("ricochet.way", "Delivery", base.ASCII,
                            "the mode its channel and flags say (PROTOCOL.md, ENet channels)"),
    states = ProtoField.uint32("ricochet.batch.states", "States"),
    entry_len = ProtoField.uint16("ricochet.batch.entry_length", "Entry length"),
    ctype = ProtoField.string("ricochet.control.type", "Type"),
    id = ProtoField.uint32("ricochet.control.id", "Id"),
    room = ProtoField.string("ricochet.control.room", "Room"),
    prefix = ProtoField.string("ricochet.control.prefix", "Prefix (rooms whose names start so)"),
    name = ProtoField.string("ricochet.control.name", "Name"),
    mode = ProtoField.string("ricochet.control.mode", "Mode"),
    code = ProtoField.string("ricochet.control.code", "Error code"),
    reason = ProtoField.string("ricochet.control.reason", "Reason"),
    cookie = ProtoField.string("ricochet.control.cookie", "Cookie"),
    salt = ProtoField.string("ricochet.control.salt", "Salt"),
    jnonce = ProtoField.string("ricochet.control.nonce", "Join nonce (fresh for each join)"),
    stag = ProtoField.string("ricochet.control.tag", "Tag (proves the salt answers this join)"),
    jversion = ProtoField.uint32("ricochet.control.version", "Protocol version"),
    text = ProtoField.string("ricochet.control.text", "Text"),
    message = ProtoField.string("ricochet.control.message", "Message"),
    sealed = ProtoField.bool("ricochet.sealed", "Sealed"),
    lane = ProtoField.uint8("ricochet.sealed.lane", "Lane", base.DEC, LANES, 0x7F),
    counter = ProtoField.uint64("ricochet.sealed.counter", "Counter"),
    ciphertext = ProtoField.bytes("ricochet.sealed.ciphertext", "Ciphertext"),
    tag = ProtoField.bytes("ricochet.sealed.tag", "Tag (Poly1305)"),
    pass = ProtoField.bytes("ricochet.ticket.pass", "Ticket pass"),
    pass_format = ProtoField.uint8("ricochet.ticket.format", "Format"),
    key_id = ProtoField.uint32("ricochet.ticket.key_id", "Key id", base.HEX),
    issued = ProtoField.uint64("ricochet.ticket.issued", "Issued (Unix s)"),
    expires = ProtoField.uint64("ricochet.ticket.expires", "Expires (Unix s)"),
    nonce = ProtoField.bytes("ricochet.ticket.nonce", "Nonce"),
    claims = ProtoField.bytes("ricochet.ticket.claims", "Claims, sealed (XChaCha20-Poly1305)"),
    unknown = ProtoField.bytes("ricochet.unknown", "Unreadable bytes"),
}
ric.fields = rf

-- Expert info: what the relay would refuse, as warnings (the relay's own
-- error code or drop reason in brackets).
local function ex(abbr, text, group, sev) return ProtoExpert.new(abbr, text, group, sev) end
local G, S = expert.group, expert.severity
local re = {
    short = ex("ricochet.short", "Too short: the relay refuses it", G.MALFORMED, S.WARN),
    version = ex("ricochet.bad_version", "Version is not 1: the relay refuses it (bad_state)",
                 G.PROTOCOL, S.WARN),
    mtype = ex("ricochet.unknown_type", "Unknown message type: the relay refuses it (bad_state)",
               G.PROTOCOL, S.WARN),
    long = ex("ricochet.too_long", "Longer than 1200 bytes: the relay refuses it (too_big)",
              G.PROTOCOL, S.WARN),
    value = ex("ricochet.bad_value", "Value out of range: the relay refuses it (bad_state)",
               G.PROTOCOL, S.WARN),
    channel = ex("ricochet.wrong_channel", "No mode uses this channel and these flags: the relay "
                 .. "refuses it (wrong_channel)", G.PROTOCOL, S.WARN),
    empty = ex("ricochet.empty", "Empty packet: the relay refuses it (bad_state)", G.PROTOCOL,
               S.WARN),
    batch = ex("ricochet.bad_batch", "Batch framing broken: the whole batch is refused",
               G.MALFORMED, S.WARN),
    json = ex("ricochet.bad_json", "Not a JSON object: the relay refuses it (bad_json)",
              G.MALFORMED, S.WARN),
    ctype = ex("ricochet.unknown_control", "Unknown control type: the relay refuses it "
               .. "(unknown_type)", G.PROTOCOL, S.WARN),
    ticket = ex("ricochet.bad_ticket", "Not a ticket's pass (ticket_malformed)", G.PROTOCOL,
                S.WARN),
    old_ticket = ex("ricochet.old_ticket", "A pass of format 1, from protocol 2: refused, "
                    .. "mint it again (ticket_malformed)", G.PROTOCOL, S.WARN),
    sealed = ex("ricochet.sealed_info", "Sealed: opens only with the session's keys",
                G.SECURITY, S.CHAT),
}
ric.experts = {re.short, re.version, re.mtype, re.long, re.value, re.channel, re.empty, re.batch,
               re.json, re.ctype, re.ticket, re.old_ticket, re.sealed}

ric.prefs.ports = Pref.range("UDP ports", "7777",
    "UDP ports of ricochet relays (a bench run's relay port, say); other ports are found by "
    .. "the heuristic", 65535)

local json_dissector = Dissector.get("json")

---------------------------------------------------------------------------
-- JSON, read for its top-level members (the JSON dissector shows the tree).

local ESC = {['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r",
             t = "\t"}

local function skip_ws(s, i) return s:find("[^ \t\r\n]", i) or #s + 1 end

-- Code point c in UTF-8 (Lua 5.2 has no utf8.char).
local function utf8_char(c)
    if c < 0x80 then return string.char(c) end
    if c < 0x800 then return string.char(0xc0 + math.floor(c / 64), 0x80 + c % 64) end
    if c < 0x10000 then
        return string.char(0xe0 + math.floor(c / 4096), 0x80 + math.floor(c / 64) % 64,
                           0x80 + c % 64)
    end
    return string.char(0xf0 + math.floor(c / 262144), 0x80 + math.floor(c / 4096) % 64,
                       0x80 + math.floor(c / 64) % 64, 0x80 + c % 64)
end

-- The \u escape at s[k] (with its low half, for a surrogate pair), as the
-- text it stands for: a name escaped "Nguy\u1ec5n" shows as Nguyễn. A
-- control, a lone surrogate or a format character that turns text round
-- (U+202A-202E, U+2066-2069) stays an escape, so a column reads as sent.
-- Returns the text and the index after the escape.
local function unescape_u(s, k)
    local c = tonumber(s:sub(k + 2, k + 5), 16)
    local j = k + 6
    if c >= 0xd800 and c <= 0xdbff and s:sub(j, j + 1) == "\\u" and
       s:sub(j + 2, j + 5):match("^%x%x%x%x$") then
        local low = tonumber(s:sub(j + 2, j + 5), 16)
        if low >= 0xdc00 and low <= 0xdfff then
            return utf8_char(0x10000 + (c - 0xd800) * 1024 + (low - 0xdc00)), j + 6
        end
    end
    if c < 0x20 or (c >= 0x7f and c <= 0x9f) or (c >= 0xd800 and c <= 0xdfff) or
       (c >= 0x202a and c <= 0x202e) or (c >= 0x2066 and c <= 0x2069) then
        return s:sub(k, k + 5), j
    end
    return utf8_char(c), j
end

-- Scans the JSON value of s at i. Returns the index after it, its kind
-- ("string", "number", "literal", "{", "[") and its value (a string, a
-- number, the literal, or the count of members or elements); nil if it is
-- not JSON.
local function scan_value(s, i, depth)
    local c = s:sub(i, i)
    if c == '"' then
        local parts, j = {}, i + 1
        while true do
            local k = s:find('["\\%c]', j)
            if not k then return nil end
            local q = s:sub(k, k)
            if q ~= '"' and q ~= "\\" then return nil end -- a raw control character
            parts[#parts + 1] = s:sub(j, k - 1)
            if q == '"' then return k + 1, "string", table.concat(parts) end
            local e = s:sub(k + 1, k + 1)
            if e == "u" and s:sub(k + 2, k + 5):match("^%x%x%x%x$") then
                parts[#parts + 1], j = unescape_u(s, k)
            elseif ESC[e] then
                parts[#parts + 1], j = ESC[e], k + 2
            else
                return nil
            end
        end
    elseif c == "{" or c == "[" then
        if depth > 64 then return nil end
        local close, n = c == "{" and "}" or "]", 0
        local j = skip_ws(s, i + 1)
        if s:sub(j, j) == close then return j + 1, c, 0 end
        while true do
            if c == "{" then
                if s:sub(j, j) ~= '"' then return nil end
                j = scan_value(s, j, depth + 1)
                j = j and skip_ws(s, j)
                if not j or s:sub(j, j) ~= ":" then return nil end
                j = skip_ws(s, j + 1)
            end
            j = scan_value(s, j, depth + 1)
            if not j then return nil end
            n, j = n + 1, skip_ws(s, j)
            local d = s:sub(j, j)
            if d == close then return j + 1, c, n end
            if d ~= "," then return nil end
            j = skip_ws(s, j + 1)
        end
    end
    for _, lit in ipairs({"true", "false", "null"}) do
        if s:sub(i, i + #lit - 1) == lit then return i + #lit, "literal", lit end
    end
    local j = i
    if s:sub(j, j) == "-" then j = j + 1 end
    local _, b = s:find("^%d+", j)
    if not b then return nil end
    j = b + 1
    if s:sub(j, j) == "." then
        _, b = s:find("^%d+", j + 1)
        if not b then return nil end
        j = b + 1
    end
    if s:sub(j, j):match("[eE]") then
        j = j + 1
        if s:sub(j, j):match("[-+]") then j = j + 1 end
        _, b = s:find("^%d+", j)
        if not b then return nil end
        j = b + 1
    end
    return j, "number", tonumber(s:sub(i, j - 1))
end

-- The top-level members of the JSON object s: {key = {kind, value}}, the
-- first of a repeated key (as the reference relay reads them); nil if s is
-- not one JSON object (whitespace around it allowed).
local function json_members(s)
    local i = skip_ws(s, 1)
    if s:sub(i, i) ~= "{" then return nil end
    local members = {}
    local j = skip_ws(s, i + 1)
    if s:sub(j, j) == "}" then return skip_ws(s, j + 1) > #s and members or nil end
    while true do
        local k, kind, key = scan_value(s, j, 1)
        if kind ~= "string" then return nil end
        k = skip_ws(s, k)
        if s:sub(k, k) ~= ":" then return nil end
        local v, vkind, value = scan_value(s, skip_ws(s, k + 1), 1)
        if not v then return nil end
        if members[key] == nil then members[key] = {vkind, value} end
        j = skip_ws(s, v)
        local d = s:sub(j, j)
        if d == "}" then return skip_ws(s, j + 1) > #s and members or nil end
        if d ~= "," then return nil end
        j = skip_ws(s, j + 1)
    end
end

---------------------------------------------------------------------------
-- ricochet messages

local function u32(tvb, off) return tvb(off, 4):uint() end

-- Whether the n bytes at off hold a state the relay would take whole.
local function state_ok(tvb, off, n)
    if n < STATE_SIZE or n > STATE_MAX or tvb(off, 2):uint() ~= 0x0101 then return false end
    if u32(tvb, off + 12) * 4294967296 + u32(tvb, off + 16) > TIME_MAX then return false end
    for k = 0, 4 do
        local v = tvb(off + 20 + 4 * k, 4):float()
        if v ~= v or v > VALUE_MAX or v < -VALUE_MAX then return false end
    end
    return true
end

-- A batch's entries as {offset, length} pairs, or nil if its framing is broken.
local function batch_entries(tvb)
    local len = tvb:len()
    if len < 7 or len > BATCH_MAX then return nil end
    local entries, at = {}, 4
    while at < len do
        if len - at < 2 then return nil end
        local n = tvb(at, 2):uint()
        if n == 0 or n > len - at - 2 then return nil end
        entries[#entries + 1] = {at + 2, n}
        at = at + 2 + n
    end
    return entries
end

local dissect_message

-- ctx: the carrier's word on a message: transport ("udp", "enet"), channel
-- and kind (ENet's command), way (the mode they say), how (the words the
-- Info column adds to a state's), in_batch (an entry of a batch).
local function add_way(item, ctx)
    if ctx.way then item:add(rf.way, ctx.way):set_generated() end
end

local function state_summary(tvb)
    local sender, seq = u32(tvb, 4), u32(tvb, 8)
    if sender == 0 then return string.format("state seq %u", seq) end
    return string.format("state #%u seq %u", sender, seq)
end

local function dissect_state(tvb, pinfo, tree, ctx)
    local len = tvb:len()
    local t = tree:add(ric, tvb(), "ricochet state")
    t:add(rf.version, tvb(0, 1))
    if len >= 2 then t:add(rf.mtype, tvb(1, 1)) end
    add_way(t, ctx)
    if len < 12 then
        t:add_proto_expert_info(re.short, "Shorter than a state's 40 bytes: the relay refuses it "
                                .. "(bad_state)")
        return "short state"
    end
    t:add(rf.reserved, tvb(2, 2))
    t:add(rf.sender, tvb(4, 4))
    t:add(rf.seq, tvb(8, 4))
    local summary = state_summary(tvb)
    t:append_text(": " .. summary)
    if len < STATE_SIZE then
        t:add_proto_expert_info(re.short, "Shorter than a state's 40 bytes: the relay refuses it "
                                .. "(bad_state)")
        return summary .. " (short)"
    end
    local ti = t:add(rf.send_us, tvb(12, 8))
    if u32(tvb, 12) * 4294967296 + u32(tvb, 16) > TIME_MAX then
        ti:add_proto_expert_info(re.value, "send_us over 999999999999999: the relay refuses it "
                                 .. "(bad_state)")
    end
    local names = {"x", "y", "vx", "vy", "heading"}
    for k = 1, 5 do
        local r = tvb(16 + 4 * k, 4)
        local v = r:float()
        local item = t:add(rf[names[k]], r)
        if v ~= v or v > VALUE_MAX or v < -VALUE_MAX then
            item:add_proto_expert_info(re.value, "NaN, infinite or beyond +-1000000: the relay "
                                       .. "refuses it (bad_state)")
        elseif k == 5 then
            item:append_text(string.format(" (%.1f degrees)", math.deg(v)))
        end
    end
    if len > STATE_SIZE then t:add(rf.payload, tvb(STATE_SIZE, len - STATE_SIZE)) end
    if len > STATE_MAX then
        t:add_proto_expert_info(re.long)
    end
    return summary
end

local function dissect_batch(tvb, pinfo, tree, ctx)
    local t = tree:add(ric, tvb(), "ricochet batch")
    t:add(rf.version, tvb(0, 1))
    t:add(rf.mtype, tvb(1, 1))
    add_way(t, ctx)
    local entries = batch_entries(tvb)
    if tvb:len() >= 4 then t:add(rf.reserved, tvb(2, 2)) end
    if not entries then
        t:add_proto_expert_info(re.batch, "Batch framing broken (fewer than 7 bytes, an entry of "
                                .. "length 0, or entries past the end): the relay's receivers "
                                .. "refuse the whole batch")
        if tvb:len() > 4 then t:add(rf.unknown, tvb(4, tvb:len() - 4)) end
        return "broken batch"
    end
    t:add(rf.states, #entries):set_generated()
    local inner = {transport = ctx.transport, channel = ctx.channel, kind = ctx.kind,
                   way = ctx.way, in_batch = true}
    for _, e in ipairs(entries) do
        t:add(rf.entry_len, tvb(e[1] - 2, 2))
        dissect_message(tvb(e[1], e[2]):tvb(), pinfo, t, inner)
    end
    local summary = string.format("batch of %d states", #entries)
    t:append_text(": " .. summary)
    return summary
end

-- An event (PROTOCOL.md, "Event message"): the game's bytes to the room or
-- one member, stamped by the relay with the sender's id.
local function dissect_event(tvb, pinfo, tree, ctx)
    local len = tvb:len()
    local t = tree:add(ric, tvb(), "ricochet event")
    t:add(rf.version, tvb(0, 1))
    t:add(rf.mtype, tvb(1, 1))
    if len < EVENT_HEAD then
        t:add_proto_expert_info(re.short, "Shorter than an event's 12 bytes: the relay refuses it "
                                .. "(bad_state)")
        return "short event"
    end
    t:add(rf.ev_flags, tvb(2, 1))
    -- a kept event (PROTOCOL.md, "Kept events"): its key first in the body
    local klen = band(tvb(2, 1):uint(), 1) == 1 and math.min(tvb(3, 1):uint(), len - EVENT_HEAD)
                 or 0
    local sender, to = u32(tvb, 4), u32(tvb, 8)
    t:add(rf.ev_sender, tvb(4, 4))
    local ti = t:add(rf.ev_to, tvb(8, 4))
    if to == 0 then ti:append_text(" (every other member of the room)") end
    if klen > 0 then t:add(rf.ev_key, tvb(EVENT_HEAD, klen)) end
    if len > EVENT_HEAD + klen then
        t:add(rf.ev_body, tvb(EVENT_HEAD + klen, len - EVENT_HEAD - klen))
    end
    local summary = string.format("event%s to %s, %d bytes",
                                  sender == 0 and "" or string.format(" #%u", sender),
                                  to == 0 and "the room" or string.format("%u", to), len - EVENT_HEAD)
    t:append_text(": " .. summary)
    if len - EVENT_HEAD > EVENT_BODY_MAX then
        t:add_proto_expert_info(re.long, "A body over 4096 bytes: the relay refuses it (too_big)")
    end
    return summary
end

-- Column text for a control message, from its members.
local function control_summary(ctype, m)
    local function s(key)
        local v = m[key]
        if not v or (v[1] ~= "string" and v[1] ~= "number") then return nil end
        return v[1] == "number" and string.format("%.15g", v[2]) or v[2]
    end
    local function kv(...)
        local out = {ctype}
        for _, key in ipairs({...}) do
            if s(key) then out[#out + 1] = key .. "=" .. s(key) end
        end
        return table.concat(out, " ")
    end
    if ctype == "join" then
        local text = kv("room", "name")
        if m.ticket then text = text .. " (ticket)" end
        if m.cookie then text = text .. " (cookie)" end
        if m.any then text = text .. " (any room)" end
        return text
    elseif ctype == "rooms" then
        local r = m.rooms
        return kv("prefix", "after") .. (r and r[1] == "[" and string.format(" rooms=%d", r[2]) or "")
    elseif ctype == "room" then
        return kv("room", "owner", "size")
    elseif ctype == "welcome" then
        local r = m.roster
        return kv("id", "room") .. (r and r[1] == "[" and string.format(" roster=%d", r[2]) or "")
    elseif ctype == "left" then
        return kv("id", "name") .. (s("reason") and " (" .. s("reason") .. ")" or "")
    elseif ctype == "error" then
        return "error " .. (s("code") or "?") .. (s("message") and ": " .. s("message") or "")
    elseif ctype == "chat" then
        return kv("id", "name") .. (s("text") and ": " .. s("text") or "")
    elseif ctype == "cookie" or ctype == "sealed" then
        return ctype .. " " .. (s("cookie") or s("salt") or "?")
    elseif ctype == "moved" then
        return kv("room") .. (s("host") and " to " .. s("host") .. ":" .. (s("port") or "?") or "")
    end
    return kv("id", "name", "t", "offset_us")
end

local CONTROL_FIELDS = {{"id", rf.id}, {"room", rf.room}, {"name", rf.name}, {"mode", rf.mode},
                        {"version", rf.jversion}, {"code", rf.code}, {"reason", rf.reason},
                        {"cookie", rf.cookie}, {"salt", rf.salt}, {"nonce", rf.jnonce},
                        {"tag", rf.stag}, {"text", rf.text}, {"message", rf.message},
                        {"prefix", rf.prefix}}

-- A join's ticket pass (base64url, PROTOCOL.md "Tickets"): its clear fields.
local function dissect_pass(text, pinfo, tree)
    local pad = ({"", nil, "==", "="})[#text % 4 + 1]
    if not pad or #text < 82 or #text > 515 or not text:match("^[%w_-]+$") then
        tree:add_proto_expert_info(re.ticket)
        return
    end
    local b64 = text:gsub("-", "+"):gsub("_", "/") .. pad
    local bytes = ByteArray.new(b64, true):base64_decode()
    local tvb = bytes:tvb("Ticket pass")
    local t = tree:add(rf.pass, tvb())
    local format = tvb:len() >= 61 and tvb(0, 1):uint() or 0
    if format == 1 then
        t:add_proto_expert_info(re.old_ticket)
        return
    elseif format ~= 2 then
        t:add_proto_expert_info(re.ticket)
        return
    end
    t:add(rf.pass_format, tvb(0, 1))
    t:add(rf.key_id, tvb(1, 4))
    for _, f in ipairs({{rf.issued, 5}, {rf.expires, 13}}) do
        local secs = u32(tvb, f[2]) * 4294967296 + u32(tvb, f[2] + 4)
        local item = t:add(f[1], tvb(f[2], 8))
        if secs < 1e11 then item:append_text(os.date("! (%Y-%m-%d %H:%M:%S UTC)", secs)) end
    end
    t:add(rf.nonce, tvb(21, 24))
    t:add(rf.claims, tvb(45, tvb:len() - 45))
end

local function dissect_control(tvb, pinfo, tree, ctx)
    local t = tree:add(ric, tvb(), "ricochet control")
    local text = tvb:raw()
    local m = json_members(text)
    if not m then
        t:add_proto_expert_info(re.json)
        t:add(rf.unknown, tvb())
        return "control (not JSON)"
    end
    -- Wireshark's JSON dissector shows the tree; what it cannot read is its to say.
    pcall(json_dissector.call, json_dissector, tvb, pinfo, t)
    local ty = m.type
    if not ty or ty[1] ~= "string" then
        t:add_proto_expert_info(re.ctype, "No type: the relay refuses it (missing_field)")
        return "control (no type)"
    end
    local ctype = ty[2]
    t:add(rf.ctype, ctype):set_generated()
    if not CONTROL_TYPES[ctype] then t:add_proto_expert_info(re.ctype) end
    for _, f in ipairs(CONTROL_FIELDS) do
        local v = m[f[1]]
        local want = (f[1] == "id" or f[1] == "version") and "number" or "string"
        if v and v[1] == want and (want == "string" or v[2] >= 0 and v[2] <= 4294967295 and
                                   v[2] == math.floor(v[2])) then
            t:add(f[2], v[2]):set_generated()
        end
    end
    if ctype == "join" and m.ticket and m.ticket[1] == "string" then
        dissect_pass(m.ticket[2], pinfo, t)
    end
    local summary = control_summary(ctype, m)
    t:append_text(": " .. summary)
    return summary, ctype
end

-- A sealed message (PROTOCOL.md "Sealed sessions"): lane, counter,
-- ciphertext and tag. What is inside opens only with the session's keys.
local function dissect_sealed(tvb, pinfo, tree, ctx)
    local len = tvb:len()
    local t = tree:add(ric, tvb(), "ricochet sealed message")
    t:add(rf.sealed, true):set_generated()
    t:add(rf.lane, tvb(0, 1))
    add_way(t, ctx)
    local lane = band(tvb(0, 1):uint(), 0x7F)
    if len < 25 then
        t:add_proto_expert_info(re.short, "Shorter than a sealed message's 25 bytes: refused "
                                .. "(seal_forged)")
        return "sealed (short)"
    end
    t:add(rf.counter, tvb(1, 8))
    if len > 25 then t:add(rf.ciphertext, tvb(9, len - 25)) end
    t:add(rf.tag, tvb(len - 16, 16))
    t:add_proto_expert_info(re.sealed)
    local what = lane == 0 and "control" or "state"
    local summary = string.format("sealed %s (lane %d, #%s)", what, lane,
                                  tostring(tvb(1, 8):uint64()))
    t:append_text(": " .. summary)
    return summary
end

-- The relay's answers to an ENet connection that has not echoed its cookie
-- come unsequenced on channel 0 (PROTOCOL.md, "Return routability (ENet)").
local UNPROVEN_ANSWERS = {cookie = true, error = true}

-- Over ENet, what the relay refuses for its channel and flags (PROTOCOL.md,
-- "Validation order", step 4): control only on channel 0, reliable (but for
-- the relay's answers before a cookie's echo); a state (a batch, a sealed
-- state) only as one of the modes.
local function check_channel(tree, ctx, control, ctype)
    if ctx.transport ~= "enet" or ctx.in_batch then return end
    local answer = ctx.channel == 0 and ctx.kind == "unsequenced" and UNPROVEN_ANSWERS[ctype]
    if control and (ctx.channel ~= 0 or ctx.kind ~= "reliable") and not answer then
        tree:add_proto_expert_info(re.channel, "Control not on channel 0, reliable: the relay "
                                   .. "refuses it (wrong_channel, bad_state)")
    elseif not control and ctx.channel == 0 then
        tree:add_proto_expert_info(re.channel, "A state on the control channel: the relay "
                                   .. "refuses it (wrong_channel, bad_json)")
    elseif not control and not ctx.way then
        tree:add_proto_expert_info(re.channel)
    end
end

-- One ricochet message from its bytes (a datagram, an ENet packet, a batch
-- entry, a WebSocket message, a data channel message): adds its tree under
-- tree and returns its text for the Info column. tvb holds at least one byte.
dissect_message = function(tvb, pinfo, tree, ctx)
    local len = tvb:len()
    local first = tvb(0, 1):uint()
    local second = len >= 2 and tvb(1, 1):uint() or nil
    local summary, control, ctype
    if first == 0x7B then
        summary, ctype = dissect_control(tvb, pinfo, tree, ctx)
        control = true
    elseif first >= 0x80 and first <= 0x82 then
        summary, control = dissect_sealed(tvb, pinfo, tree, ctx), first == 0x80
    elseif first == 1 and second == 2 and not ctx.in_batch then
        summary = dissect_batch(tvb, pinfo, tree, ctx)
    elseif first == 1 and second == 3 and not ctx.in_batch then
        summary, control = dissect_event(tvb, pinfo, tree, ctx), true -- the control way
    elseif first == 1 and second == 1 or len < 2 then
        summary = dissect_state(tvb, pinfo, tree, ctx)
    else
        local t = tree:add(ric, tvb(), "ricochet: unreadable message")
        t:add(rf.version, tvb(0, 1))
        t:add(rf.mtype, tvb(1, 1))
        t:add_proto_expert_info(first ~= 1 and re.version or re.mtype)
        summary = first ~= 1 and string.format("bad version %d", first)
                  or string.format("unknown type %d", second)
    end
    check_channel(tree, ctx, control, ctype)
    if not control and ctx.how then summary = summary .. " " .. ctx.how end
    return summary
end
R.message = dissect_message

-- A first fragment's state header (the sender and seq a fragmented state
-- starts with), under tree; returns its text, or nil if it holds none.
function R.fragment_head(tvb, tree)
    if tvb:len() < 12 or tvb(0, 2):uint() ~= 0x0101 then return nil end
    local t = tree:add(ric, tvb(), "ricochet state (its first fragment)")
    t:add(rf.sender, tvb(4, 4))
    t:add(rf.seq, tvb(8, 4))
    return state_summary(tvb)
end

-- An ENet packet of no bytes, under tree; returns its text.
function R.empty(tree)
    tree:add_proto_expert_info(re.empty)
    return "empty packet"
end

-- Whether the datagram is a whole plain-UDP ricochet message, checked
-- strictly (the heuristic): a valid state, a batch of them, or a JSON
-- object of a known control type written as ricochet writes it.
local function plain_strict(tvb)
    local len = tvb:len()
    if len < 2 then return false end
    if tvb(0, 2):uint() == 0x0101 then return state_ok(tvb, 0, len) and tvb(2, 2):uint() == 0 end
    if tvb(0, 2):uint() == 0x0103 then
        return len >= EVENT_HEAD and len <= EVENT_HEAD + EVENT_BODY_MAX and tvb(2, 2):uint() == 0
    end
    if tvb(0, 2):uint() == 0x0102 then
        local entries = tvb(2, 2):uint() == 0 and batch_entries(tvb)
        if not entries then return false end
        for _, e in ipairs(entries) do
            local first = tvb(e[1], 1):uint()
            if not state_ok(tvb, e[1], e[2]) and not (first >= 0x80 and first <= 0x82 and
                                                       e[2] >= 25) then
                return false
            end
        end
        return true
    end
    if len < 9 or len > 65536 or tvb(0, 9):raw() ~= '{"type":"' then return false end
    local m = json_members(tvb:raw())
    return m ~= nil and m.type ~= nil and CONTROL_TYPES[m.type[2]] == true
end

-- A message a carrier already framed (a WebSocket message, a data channel
-- message) read as ricochet's: strictly, as plain_strict, but a control
-- message may be any JSON object of a known type (a browser's or a
-- library's JSON, spaces and all).
local function framed_strict(tvb)
    if tvb:len() < 2 or tvb(0, 1):uint() ~= 0x7B then return plain_strict(tvb) end
    if tvb:len() > 65536 then return false end
    local m = json_members(tvb:raw())
    return m ~= nil and m.type ~= nil and m.type[1] == "string" and CONTROL_TYPES[m.type[2]] == true
end

---------------------------------------------------------------------------
-- Registration

-- A datagram on a ricochet port: ENet if it reads as ENet's, else a plain
-- ricochet message if it starts as one, else ENet as far as it reads.
local function udp_entry(tvb, pinfo, tree)
    local len = tvb:len()
    if len == 0 then return 0 end
    local first = tvb(0, 1):uint()
    local plain = first == 0x7B or (first >= 0x80 and first <= 0x82) or
                  (len >= 2 and tvb(0, 2):uint() >= 0x0101 and tvb(0, 2):uint() <= 0x0103)
    if plain and not R.enet_strict(tvb) then
        local info = dissect_message(tvb, pinfo, tree,
                                     {transport = "udp", way = "udp", how = "(udp)"})
        pinfo.cols.protocol = "ricochet"
        pinfo.cols.info = info
    else
        local infos, ricochet = R.enet_dissect(tvb, pinfo, tree)
        pinfo.cols.protocol = ricochet and "ricochet" or "ENet"
        pinfo.cols.info = table.concat(infos, ", ")
    end
    return len
end

ric.dissector = udp_entry

local function heuristic(tvb, pinfo, tree)
    if not R.enet_strict(tvb) and not plain_strict(tvb) then return false end
    pinfo.conversation = ric
    udp_entry(tvb, pinfo, tree)
    return true
end
ric:register_heuristic("udp", heuristic)

local udp_port = DissectorTable.get("udp.port")
udp_port:add(ric.prefs.ports, ric)
function ric.prefs_changed()
    udp_port:remove_all(ric)
    udp_port:add(ric.prefs.ports, ric)
end

---------------------------------------------------------------------------
-- The relay's TCP edge: a stream of frames, each a 2-byte big-endian length
-- and one message as it would travel alone in a datagram (PROTOCOL.md,
-- "Streams (TCP)"). Wireshark's TCP reassembles a frame cut across
-- segments (dissect_tcp_pdus), so each frame reads as a datagram would.

local ric_tcp = Proto("ricochet_tcp", "ricochet over TCP (frames)")
local frame_len = ProtoField.uint16("ricochet_tcp.length", "Frame length", base.DEC, nil, nil,
                                     "bytes of the message that follows (PROTOCOL.md, Streams)")
ric_tcp.fields = {frame_len}
ric_tcp.prefs.ports = Pref.range("TCP ports", "7779",
    "TCP ports of ricochet relays' TCP edges (--listen tcp://); other ports are found by the "
    .. "heuristic on a stream's first frame", 65535)

local function tcp_frame_len(tvb, _, offset)
    return 2 + tvb(offset, 2):uint()
end

local function tcp_frame(tvb, pinfo, tree)
    local len = tvb(0, 2):uint()
    local t = tree:add(ric_tcp, tvb(), "ricochet frame, " .. len .. " bytes")
    t:add(frame_len, tvb(0, 2))
    local info = len == 0 and "empty frame (the relay closes the stream)"
                 or dissect_message(tvb(2):tvb(), pinfo, tree,
                                    {transport = "tcp", way = "tcp", how = "(tcp)"})
    pinfo.cols.protocol = "ricochet"
    local prev = tostring(pinfo.cols.info)
    pinfo.cols.info = (prev:find("^ricochet: ") and prev .. ", " or "ricochet: ") .. info
    return tvb:len()
end

local function tcp_entry(tvb, pinfo, tree)
    pinfo.cols.info = ""
    dissect_tcp_pdus(tvb, tree, 2, tcp_frame_len, tcp_frame)
    return tvb:len()
end
ric_tcp.dissector = tcp_entry

-- A stream's segment that starts with a whole frame holding a whole
-- ricochet message (read as strictly as a plain-UDP datagram is).
local function tcp_heuristic(tvb, pinfo, tree)
    if tvb:len() < 4 then return false end
    local len = tvb(0, 2):uint()
    if len == 0 or tvb:len() < 2 + len or not plain_strict(tvb(2, len):tvb()) then return false end
    pinfo.conversation = ric_tcp
    tcp_entry(tvb, pinfo, tree)
    return true
end
ric_tcp:register_heuristic("tcp", tcp_heuristic)

local tcp_port = DissectorTable.get("tcp.port")
tcp_port:add(ric_tcp.prefs.ports, ric_tcp)
function ric_tcp.prefs_changed()
    tcp_port:remove_all(ric_tcp)
    tcp_port:add(ric_tcp.prefs.ports, ric_tcp)
end

---------------------------------------------------------------------------
-- The relay's WebSocket edge (PROTOCOL.md, "WebSocket"): an HTTP upgrade,
-- then each WebSocket message one ricochet message as it would travel alone
-- in a datagram. Wireshark's HTTP reads the upgrade and hands the stream to
-- its WebSocket dissector, which unmasks each message and offers it to the
-- dissectors of its "ws.port" table (the preference ricochet_ws.ports, where
-- HTTP is put on the TCP port too, so that the upgrade is read there
-- whatever HTTP's own heuristic says) and then to its heuristic list (here:
-- a message that reads whole and strictly as ricochet's, on any port).

local ric_ws = Proto("ricochet_ws", "ricochet over WebSocket")
ric_ws.prefs.ports = Pref.range("TCP ports", "7780",
    "TCP ports of ricochet relays' WebSocket edges (--listen ws://): HTTP is read there, and "
    .. "every WebSocket message as ricochet's; other ports are found by HTTP's heuristic and "
    .. "a strict one of ours on each message", 65535)

local function ws_message(tvb, pinfo, tree)
    if tvb:len() == 0 then return 0 end
    tree:add(ric_ws, tvb(), "ricochet message in a WebSocket message, " .. tvb:len() .. " bytes")
    local info = dissect_message(tvb, pinfo, tree, {transport = "ws", way = "ws", how = "(ws)"})
    pinfo.cols.protocol = "ricochet"
    local prev = tostring(pinfo.cols.info)
    pinfo.cols.info = (prev:find("^ricochet: ") and prev .. ", " or "ricochet: ") .. info
    return tvb:len()
end
ric_ws.dissector = ws_message

ric_ws:register_heuristic("ws", function(tvb, pinfo, tree)
    if not framed_strict(tvb) then return false end
    ws_message(tvb, pinfo, tree)
    return true
end)

local ws_port, http = DissectorTable.get("ws.port"), Dissector.get("http-over-tcp")
local function ws_ports(add)
    for _, range in ipairs({tostring(ric_ws.prefs.ports)}) do
        for lo, hi in (range .. ","):gmatch("(%d+)%-?(%d*),") do
            for port = tonumber(lo), tonumber(hi ~= "" and hi or lo) do
                if add then
                    ws_port:add(port, ric_ws)
                    tcp_port:add(port, http)
                else
                    ws_port:remove(port, ric_ws)
                    tcp_port:remove(port, http)
                end
            end
        end
    end
end
ws_ports(true)
function ric_ws.prefs_changed()
    ws_port:remove_all(ric_ws)
    ws_ports(false)
    ws_ports(true)
end

---------------------------------------------------------------------------
-- The relay's webrtc edge (PROTOCOL.md, "WebRTC data channels"): STUN, DTLS
-- and SCTP on one UDP port; each data channel message one ricochet message,
-- binary (SCTP's payload protocol id 53) or text (51). DTLS hides SCTP: given
-- the secrets (-o tls.keylog_file:FILE, the key log a client wrote), DTLS
-- decrypts, and on the preference ricochet_rtc.ports its records are read as
-- SCTP; Wireshark's own reader names the channels (DCEP, "rtcdc"). A message
-- is claimed when it reads whole and strictly as ricochet's: the payload ids
-- are every WebRTC application's.

local ric_rtc = Proto("ricochet_rtc", "ricochet over WebRTC data channels")
ric_rtc.prefs.ports = Pref.range("UDP ports", "7781",
    "UDP ports of ricochet relays' webrtc edges (--listen webrtc://): DTLS there is read as "
    .. "SCTP, the data channels (needs the DTLS secrets: -o tls.keylog_file:FILE)", 65535)

local sctp_sid = Field.new("sctp.data_sid")

ric_rtc.dissector = function(tvb, pinfo, tree)
    if tvb:len() == 0 or not framed_strict(tvb) then return 0 end
    local sid = sctp_sid()
    tree:add(ric_rtc, tvb(), "ricochet message in a data channel message, " .. tvb:len()
             .. " bytes")
    local how = sid and string.format("(webrtc, stream %d)", sid.value) or "(webrtc)"
    local info = dissect_message(tvb, pinfo, tree, {transport = "webrtc", way = "webrtc",
                                                    how = how})
    pinfo.cols.protocol = "ricochet"
    local prev = tostring(pinfo.cols.info)
    pinfo.cols.info = (prev:find("^ricochet: ") and prev .. ", " or "ricochet: ") .. info
    return tvb:len()
end

local sctp_ppi = DissectorTable.get("sctp.ppi")
sctp_ppi:add(51, ric_rtc) -- WebRTC String
sctp_ppi:add(53, ric_rtc) -- WebRTC Binary

local dtls_port, sctp = DissectorTable.get("dtls.port"), Dissector.get("sctp")
dtls_port:add(ric_rtc.prefs.ports, sctp)
function ric_rtc.prefs_changed()
    for port = 1, 65535 do
        if dtls_port:get_dissector(port) == sctp then dtls_port:remove(port, sctp) end
    end
    dtls_port:add(ric_rtc.prefs.ports, sctp)
end

---------------------------------------------------------------------------
-- The relay's quic edge (PROTOCOL.md, "QUIC" and "WebTransport"): TLS 1.3
-- hides every byte. Given the secrets (-o tls.keylog_file:FILE, the key log
-- a client wrote: ricochet-bot --keylog, a browser's SSLKEYLOGFILE),
-- Wireshark's QUIC decrypts, and on ALPN "ricochet" (its table "quic.proto")
-- hands each stream's bytes here, in order: frames as over TCP. DATAGRAM
-- frames Wireshark 4.0 hands to no one (no table, no heuristic list: it
-- shows their bytes as the field quic.dg), so a postdissector reads that
-- field: on ALPN "ricochet" a channel byte, then a state or a batch; on
-- WebTransport's "h3" the quarter stream ID first, claimed only when the
-- rest reads strictly as ricochet's. A browser's WebTransport streams stay
-- HTTP/3's: Wireshark 4.0's HTTP/3 does not hand them on.

local ric_quic = Proto("ricochet_quic", "ricochet over QUIC")
local qf = {
    length = ProtoField.uint16("ricochet_quic.length", "Frame length", base.DEC, nil, nil,
                               "bytes of the message that follows (PROTOCOL.md, QUIC)"),
    channel = ProtoField.uint8("ricochet_quic.channel", "Channel", base.DEC,
                               {[1] = "unsequenced", [2] = "sequenced"}, nil,
                               "the ENet channel of the state's way (PROTOCOL.md, QUIC)"),
    session = ProtoField.uint64("ricochet_quic.quarter_stream_id", "Quarter stream ID",
                                base.DEC, nil, nil, "WebTransport's session: its stream ID / 4"),
}
ric_quic.fields = qf
local qe_channel = ex("ricochet_quic.bad_channel", "A channel byte naming no state channel: "
                      .. "the relay drops it (datagrams_bad)", G.PROTOCOL, S.WARN)
ric_quic.experts = {qe_channel}

local quic_stream_id = Field.new("quic.stream.stream_id")

local function quic_frame(tvb, pinfo, tree)
    local len = tvb(0, 2):uint()
    local t = tree:add(ric_quic, tvb(), "ricochet frame, " .. len .. " bytes")
    t:add(qf.length, tvb(0, 2))
    local ids = {quic_stream_id()} -- the last so far is this STREAM frame's
    local id = ids[#ids] and ids[#ids].value:tonumber() or 0
    -- The control stream is bidirectional (0); a member's own and a sender's
    -- own are unidirectional (bit 1 of the ID).
    local way = band(id, 2) == 0 and "reliable" or "streams"
    local prev = tostring(pinfo.cols.info) -- before JSON's dissector adds its name
    local info = len == 0 and "empty frame (the relay closes the member)"
                 or dissect_message(tvb(2):tvb(), pinfo, tree,
                                    {transport = "quic", way = way,
                                     how = string.format("(%s, quic stream %d)", way, id)})
    pinfo.cols.protocol = "ricochet"
    pinfo.cols.info = (prev:find("^ricochet: ") and prev .. ", " or "ricochet: ") .. info
    return tvb:len()
end

ric_quic.dissector = function(tvb, pinfo, tree)
    pinfo.cols.info = ""
    dissect_tcp_pdus(tvb, tree, 2, tcp_frame_len, quic_frame)
    return tvb:len()
end
DissectorTable.get("quic.proto"):add("ricochet", ric_quic)

-- The datagrams, after everything else has dissected the frame.
local ric_quic_dg = Proto("ricochet_quic_dg", "ricochet in QUIC datagrams")
local quic_dg, quic_conn = Field.new("quic.dg"), Field.new("quic.connection.number")
local alpn_str = Field.new("tls.handshake.extensions_alpn_str")
local quic_alpn = {} -- a connection's number -> the one ALPN its handshake named
function ric_quic_dg.init() quic_alpn = {} end

-- A QUIC varint at off of range: its value and length, or nil.
local function varint(range, off)
    local n = 2 ^ band(range(off, 1):uint(), 0xC0) / 64
    if range:len() < off + n then return nil end
    local v = band(range(off, 1):uint(), 0x3F)
    for k = 1, n - 1 do v = v * 256 + range(off + k, 1):uint() end
    return v, n
end

-- One DATAGRAM frame's payload (r) of a connection of ALPN alpn, under
-- tree; returns its text, or nil if it is not ricochet's.
local function quic_datagram(r, alpn, pinfo, tree)
    local at, session, n = 0, nil, nil
    if alpn == "h3" then
        session, n = varint(r, 0)
        if not session or r:len() < n + 2 or not plain_strict(r(n + 1):tvb()) then return nil end
        at = n
    elseif alpn ~= "ricochet" or r:len() < 2 then
        return nil
    end
    local t = tree:add(ric_quic, r, "ricochet in a QUIC datagram, " .. r:len() .. " bytes")
    if session then t:add(qf.session, r(0, n), session) end
    t:add(qf.channel, r(at, 1))
    local channel = r(at, 1):uint()
    local way = channel == 1 and "unsequenced" or channel == 2 and "sequenced" or nil
    if not way then t:add_proto_expert_info(qe_channel) end
    return dissect_message(r(at + 1):tvb(), pinfo, tree,
                           {transport = "quic", way = way,
                            how = string.format("(%s, %s datagram)", way or "no mode",
                                                session and "wt" or "quic")})
end

ric_quic_dg.dissector = function(_, pinfo, tree)
    local conn = quic_conn()
    if not conn then return end
    local alpns = {alpn_str()}
    if #alpns == 1 then quic_alpn[conn.value] = alpns[1].value end
    local prev, infos = tostring(pinfo.cols.info), {}
    for _, dg in ipairs({quic_dg()}) do
        infos[#infos + 1] = quic_datagram(dg.range, quic_alpn[conn.value], pinfo, tree)
    end
    if #infos == 0 then return end
    pinfo.cols.protocol = "ricochet"
    pinfo.cols.info = (prev:find("^ricochet: ") and prev .. ", " or "ricochet: ")
                      .. table.concat(infos, ", ")
end
register_postdissector(ric_quic_dg)

-- ENet's reader, beside this file: it adds R.enet_dissect and R.enet_strict.
assert(loadfile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "")
                .. "ricochet_enet.lua"))(R)

