// The Lua scripts the backplane runs in Redis. Each is one round trip and atomic: a publish
// assigns seqs, appends to the topics' history streams and announces the events together, so
// no node can see an event that history lacks or a seq twice.
//
// Keys, per topic T: `sb:m:T` hash {e: epoch, s: last seq}; `sb:h:T` stream of events with id
// `<seq>-1` and fields e (the encoded event) and t (ts). Both expire after the history TTL of
// inactivity, which loses the topic's history: the next publish starts a new epoch, as a
// restarted single node would. Announcements go to one channel, `sb:ev`, as
// `T \n epoch \n seq \n ts \n event`.

enum BackplaneScripts {
    static let channel = "sb:ev"

    /// Where the publish script records a node's last internal batch: `{id, r}` with r the
    /// script's reply as JSON. One key per node is enough because a node has one internal batch
    /// in flight at a time and resends a failed one before anything newer.
    static func lastBatchKey(node: String) -> String { "sb:pb:" + node }

    /// A day: the record must outlive any Redis outage the node waits through to resend; it is
    /// one small key per node.
    static let lastBatchTTLSeconds = 86_400

    /// ARGV: historyMax, ttlSeconds, newEpoch, channel, batch key, batch id ('' for none), then
    /// (topic, ts, tail) per event, where tail is the encoded event after `{"seq":<n>`. Returns
    /// seq1, epoch1, seq2, epoch2, ... A batch id equal to the one recorded under the batch key
    /// is a resend of a batch that already ran: the recorded reply comes back and nothing is
    /// appended or announced again.
    static let publish = """
    local bkey, bid = ARGV[5], ARGV[6]
    if bid ~= '' and redis.call('HGET', bkey, 'id') == bid then
      return cjson.decode(redis.call('HGET', bkey, 'r'))
    end
    local out = {}
    local n = (#ARGV - 6) / 3
    for i = 0, n - 1 do
      local topic, ts, tail = ARGV[7 + i * 3], ARGV[8 + i * 3], ARGV[9 + i * 3]
      local mk, hk = 'sb:m:' .. topic, 'sb:h:' .. topic
      local epoch = redis.call('HGET', mk, 'e')
      if not epoch then
        epoch = ARGV[3]
        redis.call('HSET', mk, 'e', epoch)
      end
      local seq = redis.call('HINCRBY', mk, 's', 1)
      local ev = '{"seq":' .. seq .. tail
      if tonumber(ARGV[1]) > 0 then
        redis.call('XADD', hk, 'MAXLEN', ARGV[1], seq .. '-1', 'e', ev, 't', ts)
        redis.call('EXPIRE', hk, ARGV[2])
      end
      redis.call('EXPIRE', mk, ARGV[2])
      redis.call('PUBLISH', ARGV[4], topic .. '\\n' .. epoch .. '\\n' .. seq .. '\\n' .. ts .. '\\n' .. ev)
      out[#out + 1] = seq
      out[#out + 1] = epoch
    end
    if bid ~= '' then
      redis.call('HSET', bkey, 'id', bid, 'r', cjson.encode(out))
      redis.call('EXPIRE', bkey, \(lastBatchTTLSeconds))
    end
    return out
    """

    /// ARGV: topic, local epoch ('' if none), local last seq, max events, a new epoch, ttl
    /// seconds. Returns {epoch, last seq, {seq, ts, event, ...}}: the events after the local
    /// position (all history when the epochs differ). A topic Redis does not know gets its epoch
    /// here, so a subscriber's first ack already names the epoch every node will use.
    static let sync = """
    local mk, hk = 'sb:m:' .. ARGV[1], 'sb:h:' .. ARGV[1]
    local epoch = redis.call('HGET', mk, 'e')
    if not epoch then
      epoch = ARGV[5]
      redis.call('HSET', mk, 'e', epoch, 's', 0)
      redis.call('EXPIRE', mk, ARGV[6])
      return {epoch, 0, {}}
    end
    local seq = tonumber(redis.call('HGET', mk, 's') or '0')
    local after = tonumber(ARGV[3])
    if epoch ~= ARGV[2] then after = 0 end
    local flat = {}
    if seq > after then
      local entries = redis.call('XRANGE', hk, (after + 1) .. '-1', '+', 'COUNT', ARGV[4])
      for _, e in ipairs(entries) do
        local f, ev, ts = e[2], nil, nil
        for j = 1, #f, 2 do
          if f[j] == 'e' then ev = f[j + 1] elseif f[j] == 't' then ts = f[j + 1] end
        end
        flat[#flat + 1] = tonumber(string.match(e[1], '^(%d+)'))
        flat[#flat + 1] = tonumber(ts)
        flat[#flat + 1] = ev
      end
    end
    return {epoch, seq, flat}
    """

    /// ARGV: lease key, node, ttl ms. 1 when this node holds the lease (taken or renewed).
    static let lease = """
    local holder = redis.call('GET', ARGV[1])
    if holder == ARGV[2] then
      redis.call('PEXPIRE', ARGV[1], ARGV[3])
      return 1
    end
    if not holder then
      redis.call('SET', ARGV[1], ARGV[2], 'PX', ARGV[3])
      return 1
    end
    return 0
    """
}
