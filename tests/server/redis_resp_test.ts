import assert from "node:assert/strict";
import { encodeCommands, type Reply, ReplyError, ReplyReader } from "../../server/redis_resp.ts";

Deno.test("RedisResp - commands are RESP arrays whose lengths count UTF-8 bytes, not characters", () => {
  const text = new TextDecoder().decode(encodeCommands([["SET", "k", "Slow down — a little"], ["DEL", "k"]]));
  assert.equal(
    text,
    "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$22\r\nSlow down — a little\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n",
  );
});

Deno.test("RedisResp - replies split anywhere between reads are read once each, in order, errors as values", () => {
  const stream = new TextEncoder().encode(
    "+OK\r\n:12\r\n$15\r\n1700000000000-0\r\n-WRONGTYPE Operation against a key\r\n$-1\r\n" +
      "*3\r\n$7\r\nmessage\r\n$6\r\nlcc:ui\r\n$10\r\na\r\n— tip\r\n*0\r\n",
  );
  const expected: Reply[] = [
    "OK",
    12,
    "1700000000000-0",
    new ReplyError("WRONGTYPE Operation against a key"),
    null,
    // A bulk string may hold CR LF, and a split may fall inside a multi-byte character.
    ["message", "lcc:ui", "a\r\n— tip"],
    [],
  ];
  for (let first = 0; first <= stream.length; first++) {
    for (const second of [first, Math.min(first + 7, stream.length)]) {
      const replies: Reply[] = [];
      const reader = new ReplyReader((reply) => replies.push(reply));
      reader.feed(stream.subarray(0, first));
      reader.feed(stream.subarray(first, second));
      reader.feed(stream.subarray(second));
      assert.deepEqual(replies, expected, `split at ${first} and ${second}`);
    }
  }
});

Deno.test("RedisResp - a stream that is not RESP2 is an error, not a guess", () => {
  const reader = new ReplyReader(() => {});
  assert.throws(() => reader.feed(new TextEncoder().encode("%1\r\n")), /not RESP2 \(first byte 37\)/);
});
