//! The Lua scripts behind every write and every versioned read. Redis runs a script atomically
//! (no other command runs while it does), which is what makes `cas_swap` and `increment`
//! atomic across processes.
//!
//! Every script gets `KEYS[1]` = the versions hash, `KEYS[2]` = the version sequence, and the
//! bucket keys after them. The versions hash maps a bucket key to `"{version} {sha1(value)}"`:
//! the version its current value was given, and a fingerprint of that value.

use std::sync::LazyLock;

use redis::Script;

/// Functions every script starts with.
///
/// `next_version`: the version sequence. When the sequence key is missing (first use, or lost
/// to a `FLUSHDB`), it restarts at the server clock in microseconds, which is above every
/// version handed out before unless more than one write per microsecond was ever made.
///
/// `stamp`: records a fresh version for the value just written under `key`.
///
/// `current`: a key's value and version (0 when absent). A value whose fingerprint does not
/// match was written by someone who does not keep versions (another Redis client, e.g. a Spin
/// app sharing the database): it is stamped with a fresh version on the spot, so a swap
/// prepared before that foreign write fails.
const PRELUDE: &str = r"
local function next_version()
  if redis.call('EXISTS', KEYS[2]) == 0 then
    local now = redis.call('TIME')
    redis.call('SET', KEYS[2], now[1] .. string.format('%06d', tonumber(now[2])))
  end
  return redis.call('INCR', KEYS[2])
end

local function stamp(key, value)
  local version = next_version()
  redis.call('HSET', KEYS[1], key, string.format('%d', version) .. ' ' .. redis.sha1hex(value))
  return version
end

local function current(key)
  local value = redis.call('GET', key)
  if not value then
    return false, 0
  end
  local meta = redis.call('HGET', KEYS[1], key)
  if meta then
    local version, fingerprint = string.match(meta, '^(%d+) (%x+)$')
    if version and fingerprint == redis.sha1hex(value) then
      return value, tonumber(version)
    end
  end
  return value, stamp(key, value)
end
";

/// `{value, version}` of `KEYS[3]`.
pub(super) static READ: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local value, version = current(KEYS[3])
return {value, version}
",
    )
});

/// Writes `ARGV[2]` under `KEYS[3]` if its version is still `ARGV[1]`: `{1, false, 0}`;
/// otherwise writes nothing and returns `{0, value, version}`, the key's current state.
pub(super) static SWAP: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local value, version = current(KEYS[3])
if version ~= tonumber(ARGV[1]) then
  return {0, value, version}
end
redis.call('SET', KEYS[3], ARGV[2])
stamp(KEYS[3], ARGV[2])
return {1, false, 0}
",
    )
});

/// Writes `ARGV[i]` under `KEYS[i + 2]`, each with a fresh version.
pub(super) static SET: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
for i = 3, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i - 2])
  stamp(KEYS[i], ARGV[i - 2])
end
return 0
",
    )
});

/// Deletes `KEYS[3..]` and their versions.
pub(super) static DELETE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
for i = 3, #KEYS do
  redis.call('DEL', KEYS[i])
  redis.call('HDEL', KEYS[1], KEYS[i])
end
return 0
",
    )
});

/// `INCRBY KEYS[3] ARGV[1]`, stamping the result; returns the new value as decimal text (a
/// Lua number would lose precision above 2^53). Fails with Redis' own errors, unchanged, when
/// the value is not an integer or the sum overflows.
pub(super) static INCREMENT: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
redis.call('INCRBY', KEYS[3], ARGV[1])
local text = redis.call('GET', KEYS[3])
stamp(KEYS[3], text)
return text
",
    )
});

fn script(body: &str) -> Script {
    Script::new(&format!("{PRELUDE}{body}"))
}
