// ReadArena: views that stay valid by default; arenas opted in to reuse after each batch.
import { describe, expect, it } from 'vitest';
import { ReadArena, rewindBatchArenas } from '@simple-stream/stream';

/** Writes `bytes` at the arena's free tail, as a read would, and commits them. */
function fill(arena: ReadArena, bytes: number[]): Uint8Array {
  arena.bytes.set(bytes, arena.offset);
  return arena.commit(bytes.length);
}

describe('ReadArena', () => {
  it('never writes twice where a view was handed out, by default, even when rewound by the batch end', () => {
    const arena = new ReadArena(64, 8);
    const first = fill(arena, [1, 2, 3]);
    rewindBatchArenas();
    fill(arena, [9, 9, 9]);
    expect([...first]).toEqual([1, 2, 3]);
    expect(arena.reusedAfterBatch).toBe(false);
  });

  it('reuseAfterBatch: the batch end rewinds it, so the next reads land in the same memory', () => {
    const arena = new ReadArena(64, 8, { reuseAfterBatch: true });
    const first = fill(arena, [1, 2, 3]);
    const before = arena.bytes;
    rewindBatchArenas();
    expect(arena.offset).toBe(0);
    fill(arena, [7, 8, 9]);
    expect(arena.bytes).toBe(before);
    // The documented price: a view kept past its batch sees the new bytes.
    expect([...first]).toEqual([7, 8, 9]);
  });

  it('reuseAfterBatch: within a batch, views are not overwritten; a full arena is replaced as usual', () => {
    const arena = new ReadArena(16, 8, { reuseAfterBatch: true });
    const a = fill(arena, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const b = fill(arena, [2, 2, 2, 2, 2, 2, 2, 2]); // tail too short: a new arena
    expect([...a]).toEqual(new Array(10).fill(1));
    expect([...b]).toEqual(new Array(8).fill(2));
  });
});
