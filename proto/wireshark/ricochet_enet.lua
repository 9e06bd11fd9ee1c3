-- ricochet_enet.lua: ENet 1.3.17's datagrams, for ricochet.lua, which runs
-- this file with its table R. A second reading of what
-- proto/enet/enet_wire.c reads: the header (peer id, session, flags, sent
-- time, a checksum if the hosts set one) and every command, walked as far as
-- ENet 1.3.17's enet_protocol_handle_incoming_commands walks them. Each send
-- command's payload goes to ricochet's message reader (R.message).

local R = ...
if type(R) ~= "table" then return end -- loaded on its own, as a plugin: ricochet.lua runs it

local band = bit32.band

local enet = Proto("enet", "ENet 1.3")

-- enet/protocol.h: command numbers, names and the size of each before its payload.
local CMD = {ACK = 1, CONNECT = 2, VERIFY = 3, DISCONNECT = 4, PING = 5, RELIABLE = 6,
             UNRELIABLE = 7, FRAGMENT = 8, UNSEQUENCED = 9, BANDWIDTH = 10, THROTTLE = 11,
             UNRELIABLE_FRAGMENT = 12}
local CMD_NAMES = {"acknowledge", "connect", "verify connect", "disconnect", "ping",
                   "send reliable", "send unreliable", "send fragment", "send unsequenced",
                   "bandwidth limit", "throttle configure", "send unreliable fragment"}
local CMD_SIZES = {8, 48, 44, 8, 4, 6, 8, 24, 8, 12, 16, 24}
local SEND_KINDS = {[CMD.RELIABLE] = "reliable", [CMD.UNRELIABLE] = "unreliable",
                    [CMD.UNSEQUENCED] = "unsequenced", [CMD.FRAGMENT] = "fragment",
                    [CMD.UNRELIABLE_FRAGMENT] = "unreliable fragment"}
local NO_PEER, NO_CHANNEL = 0xFFF, 0xFF
local MAX_COMMANDS = 32 -- ENET_PROTOCOL_MAXIMUM_PACKET_COMMANDS

-- proto/errors.c: the codes a ricochet relay puts in a DISCONNECT's data.
local ERRORS = {"bad_json", "missing_field", "bad_field", "unknown_type", "bad_name", "bad_room",
                "not_joined", "already_joined", "room_full", "too_many_rooms", "server_full",
                "bad_state", "bad_version", "too_big", "rate_limited", "kicked", "shutting_down",
                "slow_reader", "ticket_required", "ticket_expired", "ticket_wrong_relay",
                "ticket_tampered", "ticket_replayed", "ticket_malformed", "directory_unavailable",
                "moved"}
ERRORS[0] = "no reason"

local ef = {
    has_time = ProtoField.bool("enet.has_sent_time", "Sent time present", 16, nil, 0x8000),
    compressed = ProtoField.bool("enet.compressed", "Compressed", 16, nil, 0x4000),
    session = ProtoField.uint16("enet.session", "Session", base.DEC, nil, 0x3000),
    peer = ProtoField.uint16("enet.peer_id", "Peer id", base.DEC, nil, 0x0FFF,
                             "the receiving host's slot for the sender (4095: none yet)"),
    sent_time = ProtoField.uint16("enet.sent_time", "Sent time (ms, low 16 bits)"),
    checksum = ProtoField.uint32("enet.checksum", "Checksum", base.HEX),
    commands = ProtoField.uint8("enet.commands", "Commands read"),
    command = ProtoField.none("enet.command", "Command"),
    cmd = ProtoField.uint8("enet.cmd", "Command", base.DEC, CMD_NAMES, 0x0F),
    ack_flag = ProtoField.bool("enet.cmd.acknowledge", "Acknowledge", 8, nil, 0x80),
    unseq_flag = ProtoField.bool("enet.cmd.unsequenced", "Unsequenced", 8, nil, 0x40),
    channel = ProtoField.uint8("enet.channel", "Channel", base.DEC, nil, nil,
                               "255: none (ENet's own commands)"),
    rseq = ProtoField.uint16("enet.reliable_seq", "Reliable sequence number"),
    ack_seq = ProtoField.uint16("enet.ack.seq", "Acknowledged reliable sequence number"),
    ack_time = ProtoField.uint16("enet.ack.sent_time", "Acknowledged sent time (ms)"),
    out_peer = ProtoField.uint16("enet.connect.peer_id", "Outgoing peer id", base.DEC, nil, nil,
                                 "the sender's slot for the receiver"),
    in_session = ProtoField.uint8("enet.connect.in_session", "Incoming session id"),
    out_session = ProtoField.uint8("enet.connect.out_session", "Outgoing session id"),
    mtu = ProtoField.uint32("enet.connect.mtu", "MTU"),
    window = ProtoField.uint32("enet.connect.window", "Window size"),
    channels = ProtoField.uint32("enet.connect.channels", "Channel count"),
    in_bw = ProtoField.uint32("enet.bandwidth.in", "Incoming bandwidth (bytes/s, 0: unlimited)"),
    out_bw = ProtoField.uint32("enet.bandwidth.out", "Outgoing bandwidth (bytes/s, 0: unlimited)"),
    thr_interval = ProtoField.uint32("enet.throttle.interval", "Packet throttle interval (ms)"),
    thr_accel = ProtoField.uint32("enet.throttle.acceleration", "Packet throttle acceleration"),
    thr_decel = ProtoField.uint32("enet.throttle.deceleration", "Packet throttle deceleration"),
    connect_id = ProtoField.uint32("enet.connect.id", "Connect id", base.HEX),
    connect_data = ProtoField.uint32("enet.connect.data", "Connect data"),
    disc_data = ProtoField.uint32("enet.disconnect.data", "Disconnect data", base.DEC, ERRORS),
    useq = ProtoField.uint16("enet.unreliable_seq", "Unreliable sequence number"),
    group = ProtoField.uint16("enet.unsequenced_group", "Unsequenced group"),
    data_len = ProtoField.uint16("enet.data_length", "Data length"),
    frag_start = ProtoField.uint16("enet.fragment.start_seq", "Start sequence number"),
    frag_count = ProtoField.uint32("enet.fragment.count", "Fragment count"),
    frag_number = ProtoField.uint32("enet.fragment.number", "Fragment number"),
    frag_total = ProtoField.uint32("enet.fragment.total", "Total length"),
    frag_offset = ProtoField.uint32("enet.fragment.offset", "Fragment offset"),
    data = ProtoField.bytes("enet.data", "Data"),
}
enet.fields = ef

local G, S = expert.group, expert.severity
local ee = {
    short = ProtoExpert.new("enet.short", "Shorter than ENet's header", G.MALFORMED, S.ERROR),
    truncated = ProtoExpert.new("enet.truncated", "Truncated command: ENet stops reading here",
                                G.MALFORMED, S.ERROR),
    unknown = ProtoExpert.new("enet.unknown_command", "Unknown command: ENet stops reading here",
                              G.MALFORMED, S.ERROR),
    compressed = ProtoExpert.new("enet.compressed_data",
                                 "Compressed: not decoded (ricochet compresses nothing)",
                                 G.UNDECODED, S.NOTE),
    no_time = ProtoExpert.new("enet.ack_without_time", "Acknowledged command in a datagram "
                              .. "without a sent time: ENet stops here", G.PROTOCOL, S.WARN),
    many = ProtoExpert.new("enet.too_many_commands", "More than 32 commands (ENet sends at most "
                           .. "32)", G.PROTOCOL, S.NOTE),
}
enet.experts = {ee.short, ee.truncated, ee.unknown, ee.compressed, ee.no_time, ee.many}

enet.prefs.checksum = Pref.bool("Checksum", false,
    "The hosts set a checksum (4 bytes after the header); ricochet sets none")

local function u32(tvb, off) return tvb(off, 4):uint() end

-- The mode a state's channel and command say (proto/mode.c), or nil.
local function enet_way(channel, cmd)
    if cmd == CMD.UNSEQUENCED and channel == 1 then return "unsequenced" end
    if cmd == CMD.UNSEQUENCED and channel == 2 then return "sequenced" end
    if cmd == CMD.RELIABLE and channel == 2 then return "reliable" end
    return nil
end

-- The fields of a command without a payload (its fixed part known to be
-- there, from off); returns the text for the Info column.
local function system_fields(tvb, off, cmd, ct)
    local channel, b = tvb(off + 1, 1):uint(), off + 4
    if cmd == CMD.ACK then
        ct:add(ef.ack_seq, tvb(b, 2))
        ct:add(ef.ack_time, tvb(b + 2, 2))
        local seq = tvb(b, 2):uint()
        if channel == NO_CHANNEL then return string.format("ack seq %d", seq) end
        return string.format("ack ch %d seq %d", channel, seq)
    elseif cmd == CMD.CONNECT or cmd == CMD.VERIFY then
        ct:add(ef.out_peer, tvb(b, 2))
        ct:add(ef.in_session, tvb(b + 2, 1))
        ct:add(ef.out_session, tvb(b + 3, 1))
        local fields = {ef.mtu, ef.window, ef.channels, ef.in_bw, ef.out_bw, ef.thr_interval,
                        ef.thr_accel, ef.thr_decel, ef.connect_id}
        for k, f in ipairs(fields) do ct:add(f, tvb(b + 4 * k, 4)) end
        if cmd == CMD.CONNECT then ct:add(ef.connect_data, tvb(b + 40, 4)) end
        return string.format("%s (%d channels, mtu %d)", cmd == CMD.CONNECT and "connect"
                             or "verify connect", u32(tvb, b + 12), u32(tvb, b + 4))
    elseif cmd == CMD.DISCONNECT then
        ct:add(ef.disc_data, tvb(b, 4))
        local d = u32(tvb, b)
        return d == 0 and "disconnect" or string.format("disconnect (%s)", ERRORS[d] or d)
    elseif cmd == CMD.BANDWIDTH then
        ct:add(ef.in_bw, tvb(b, 4))
        ct:add(ef.out_bw, tvb(b + 4, 4))
    elseif cmd == CMD.THROTTLE then
        ct:add(ef.thr_interval, tvb(b, 4))
        ct:add(ef.thr_accel, tvb(b + 4, 4))
        ct:add(ef.thr_decel, tvb(b + 8, 4))
    end
    return CMD_NAMES[cmd]
end

-- The fields of a send command; returns its payload's announced length.
local function send_fields(tvb, off, cmd, ct)
    local b = off + 4
    if cmd == CMD.RELIABLE then
        ct:add(ef.data_len, tvb(b, 2))
        return tvb(b, 2):uint()
    elseif cmd == CMD.UNRELIABLE or cmd == CMD.UNSEQUENCED then
        ct:add(cmd == CMD.UNRELIABLE and ef.useq or ef.group, tvb(b, 2))
        ct:add(ef.data_len, tvb(b + 2, 2))
        return tvb(b + 2, 2):uint()
    end
    ct:add(ef.frag_start, tvb(b, 2))
    ct:add(ef.data_len, tvb(b + 2, 2))
    ct:add(ef.frag_count, tvb(b + 4, 4))
    ct:add(ef.frag_number, tvb(b + 8, 4))
    ct:add(ef.frag_total, tvb(b + 12, 4))
    ct:add(ef.frag_offset, tvb(b + 16, 4))
    return tvb(b + 2, 2):uint()
end

-- A send command's payload (n bytes, known to be there): a ricochet
-- message, or a fragment's piece (the first one's state header read, as
-- netsim's drop log reads it). Returns the text for the Info column.
local function send_payload(tvb, off, n, cmd, ct, pinfo, ctx)
    local channel, kind = tvb(off + 1, 1):uint(), SEND_KINDS[cmd]
    local way = enet_way(channel, cmd)
    local how = string.format("(%s, ch %d)", way or kind, channel)
    if cmd == CMD.FRAGMENT or cmd == CMD.UNRELIABLE_FRAGMENT then
        local b = off + 4
        local piece = string.format("fragment %d/%d", u32(tvb, b + 8) + 1, u32(tvb, b + 4))
        if n == 0 then return string.format("%s (ch %d)", piece, channel) end
        ct:add(ef.data, tvb(off + 24, n))
        local head = u32(tvb, b + 16) == 0 and R.fragment_head(tvb(off + 24, n):tvb(), ct)
        if head then
            ctx.ricochet = true
            return string.format("%s (%s, ch %d)", head, piece, channel)
        end
        return string.format("%s of %d bytes (ch %d)", piece, u32(tvb, b + 12), channel)
    end
    if n == 0 then return R.empty(ct) .. " " .. how end
    ctx.ricochet = true
    return R.message(tvb(off + CMD_SIZES[cmd], n):tvb(), pinfo, ct,
                     {transport = "enet", channel = channel, kind = kind, way = way, how = how})
end

-- The datagram's header; returns the offset of its first command, whether
-- it carries a sent time, or nil if it is too short.
local function header(tvb, t)
    local len = tvb:len()
    local has_time = len >= 2 and band(tvb(0, 2):uint(), 0x8000) ~= 0
    local at = 2 + (has_time and 2 or 0) + (enet.prefs.checksum and 4 or 0)
    if len < at then
        t:add_proto_expert_info(ee.short)
        return nil
    end
    t:add(ef.has_time, tvb(0, 2))
    t:add(ef.compressed, tvb(0, 2))
    t:add(ef.session, tvb(0, 2))
    local peer = t:add(ef.peer, tvb(0, 2))
    if band(tvb(0, 2):uint(), 0x0FFF) == NO_PEER then peer:append_text(" (none yet)") end
    if has_time then t:add(ef.sent_time, tvb(2, 2)) end
    if enet.prefs.checksum then t:add(ef.checksum, tvb(at - 4, 4)) end
    return at, has_time
end

-- One ENet datagram under tree: its header and every command, as far as
-- ENet reads it. Returns the Info column's pieces and whether a ricochet
-- message was in it.
function R.enet_dissect(tvb, pinfo, tree)
    local len, infos, ctx = tvb:len(), {}, {}
    local t = tree:add(enet, tvb())
    local at, has_time = header(tvb, t)
    if not at then return {"ENet: too short"}, false end
    if band(tvb(0, 2):uint(), 0x4000) ~= 0 then
        t:add_proto_expert_info(ee.compressed)
        if len > at then t:add(ef.data, tvb(at, len - at)) end
        return {"ENet compressed"}, false
    end
    local n = 0
    while at < len do
        local ct = t:add(ef.command, tvb(at, len - at))
        if len - at < 4 then
            ct:add_proto_expert_info(ee.truncated)
            infos[#infos + 1] = "truncated command"
            break
        end
        local byte = tvb(at, 1):uint()
        local cmd = band(byte, 0x0F)
        local size = CMD_SIZES[cmd]
        ct:set_text("Command: " .. (CMD_NAMES[cmd] or cmd))
        ct:add(ef.cmd, tvb(at, 1))
        ct:add(ef.ack_flag, tvb(at, 1))
        ct:add(ef.unseq_flag, tvb(at, 1))
        local ch = ct:add(ef.channel, tvb(at + 1, 1))
        if tvb(at + 1, 1):uint() == NO_CHANNEL then ch:append_text(" (none: ENet's own)") end
        ct:add(ef.rseq, tvb(at + 2, 2))
        if not size then
            ct:add_proto_expert_info(ee.unknown)
            infos[#infos + 1] = "unknown command " .. cmd
            break
        elseif len - at < size then
            ct:add_proto_expert_info(ee.truncated)
            infos[#infos + 1] = "truncated " .. CMD_NAMES[cmd]
            break
        end
        if band(byte, 0x80) ~= 0 and not has_time then ct:add_proto_expert_info(ee.no_time) end
        local info
        if SEND_KINDS[cmd] then
            local dlen = send_fields(tvb, at, cmd, ct)
            if dlen > len - at - size then
                ct:add_proto_expert_info(ee.truncated, string.format(
                    "Data length %d runs past the datagram: ENet stops reading here", dlen))
                infos[#infos + 1] = "truncated " .. CMD_NAMES[cmd]
                break
            end
            ct:set_len(size + dlen)
            info = send_payload(tvb, at, dlen, cmd, ct, pinfo, ctx)
            ct:set_text(string.format("%s: %s", CMD_NAMES[cmd], info))
            at = at + size + dlen
        else
            ct:set_len(size)
            info = system_fields(tvb, at, cmd, ct)
            ct:set_text(info)
            at = at + size
        end
        infos[#infos + 1], n = info, n + 1
    end
    t:add(ef.commands, n):set_generated()
    if n > MAX_COMMANDS then t:add_proto_expert_info(ee.many) end
    return infos, ctx.ricochet
end

-- Whether the datagram is ENet's, checked strictly (the heuristic): a
-- header without compression, then known commands that end exactly at its
-- end (at most 32), their reserved bits clear, ENet's own commands on
-- channel 255 and sends on the others, acknowledged ones only after a sent
-- time, a CONNECT (to no peer yet) and a VERIFY with numbers within ENet's
-- limits.
function R.enet_strict(tvb)
    local len = tvb:len()
    if len < 6 then return false end
    local word = tvb(0, 2):uint()
    if band(word, 0x4000) ~= 0 then return false end
    local has_time = band(word, 0x8000) ~= 0
    local at, n = 2 + (has_time and 2 or 0) + (enet.prefs.checksum and 4 or 0), 0
    while at < len do
        if len - at < 4 or n == MAX_COMMANDS then return false end
        local byte, channel = tvb(at, 1):uint(), tvb(at + 1, 1):uint()
        local cmd = band(byte, 0x0F)
        local size = CMD_SIZES[cmd]
        if not size or band(byte, 0x30) ~= 0 or len - at < size then return false end
        if band(byte, 0x80) ~= 0 and (not has_time or cmd == CMD.ACK) then return false end
        if cmd ~= CMD.ACK and (SEND_KINDS[cmd] == nil) ~= (channel == NO_CHANNEL) then
            return false
        end
        if cmd == CMD.CONNECT or cmd == CMD.VERIFY then
            local mtu, window, channels = u32(tvb, at + 8), u32(tvb, at + 12), u32(tvb, at + 16)
            if mtu < 576 or mtu > 4096 or window < 4096 or window > 65536 or channels < 1 or
               channels > 255 or (cmd == CMD.CONNECT) ~= (band(word, 0x0FFF) == NO_PEER) then
                return false
            end
        end
        local dlen = 0
        if cmd == CMD.RELIABLE then
            dlen = tvb(at + 4, 2):uint()
        elseif SEND_KINDS[cmd] then
            dlen = tvb(at + 6, 2):uint()
        end
        if dlen > len - at - size then return false end
        n, at = n + 1, at + size + dlen
    end
    return n > 0
end
