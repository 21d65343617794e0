import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Slab } from '@simple-stream/epoll-server';

describe('Slab', () => {
  it('behaves like a map from the indices it hands out, for any sequence of operations', () => {
    const op = fc.oneof(fc.constant({ kind: 'insert' as const }), fc.nat().map((n) => ({ kind: 'remove' as const, n })), fc.constant({ kind: 'recycle' as const }));
    fc.assert(
      fc.property(fc.nat(8), fc.array(fc.tuple(op, fc.boolean()), { maxLength: 200 }), (pre, ops) => {
        const slab = new Slab<number>(pre);
        const model = new Map<number, number>();
        const quarantined = new Set<number>();
        let next = 0;
        for (const [o, quarantine] of ops) {
          if (o.kind === 'insert') {
            const index = slab.insert(next);
            expect(model.has(index)).toBe(false); // never an index in use
            expect(quarantined.has(index)).toBe(false); // never one freed during this batch
            model.set(index, next++);
          } else if (o.kind === 'remove' && model.size > 0) {
            const index = [...model.keys()][o.n % model.size];
            expect(slab.remove(index, quarantine)).toBe(model.get(index));
            model.delete(index);
            if (quarantine) quarantined.add(index);
          } else if (o.kind === 'recycle') {
            slab.recycle();
            quarantined.clear();
          }
          expect(slab.size).toBe(model.size);
        }
        for (const [index, value] of model) expect(slab.get(index)).toBe(value);
        expect([...slab.values()].sort((a, b) => a - b)).toEqual([...model.values()].sort((a, b) => a - b));
      }),
    );
  });

  it('uses its preallocated slots first, then grows; reserve adds slots without using them', () => {
    const slab = new Slab<string>(3);
    expect(slab.capacity).toBe(3);
    expect([slab.insert('a'), slab.insert('b'), slab.insert('c')]).toEqual([0, 1, 2]);
    expect(slab.insert('d')).toBe(3);
    expect(slab.capacity).toBe(4);
    slab.reserve(10);
    expect(slab.capacity).toBe(10);
    expect(slab.size).toBe(4);
    expect(slab.insert('e')).toBe(4);
    expect(slab.remove(1)).toBe('b');
    expect(slab.get(1)).toBeUndefined();
    expect(slab.insert('f')).toBe(1);
  });
});
