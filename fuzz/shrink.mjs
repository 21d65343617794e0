// Shrinking: a failing input made of 300 random bytes says little; the 4 bytes that still
// fail say what is wrong. Delta debugging in its simplest form, in rounds until nothing
// helps: remove ever smaller runs of bytes, then make the leading bytes smaller (they are
// headers: a smaller length field lets the removals go further next round). Each change
// is kept when the same property still fails.

/**
 * @param {Uint8Array} input a failing input
 * @param {(candidate: Uint8Array) => boolean} stillFails true when `candidate` fails the same way
 * @param {{ maxChecks?: number, maxMs?: number }} [budget] shrinking stops when either runs out
 * @returns {Uint8Array} the smallest failing input found (`input` itself if none is smaller)
 */
export function shrink(input, stillFails, { maxChecks = 3000, maxMs = 3000 } = {}) {
  const deadline = performance.now() + maxMs;
  let checks = 0;
  let best = input;
  const tryCandidate = (/** @type {Uint8Array} */ candidate) => {
    checks++;
    if (!stillFails(candidate)) return false;
    best = candidate;
    return true;
  };
  const budgetLeft = () => checks < maxChecks && performance.now() < deadline;
  for (let progress = true; progress && budgetLeft(); ) {
    progress = false;
    for (let run = best.length >> 1 || 1; run >= 1 && budgetLeft(); run >>= 1) {
      // From the end first: a truncated stream is the commonest minimal input. Kept or
      // not, the next try is the run before this one, and `at` stays valid.
      for (let at = best.length - run; at >= 0 && budgetLeft(); at -= run) {
        const candidate = new Uint8Array(best.length - run);
        candidate.set(best.subarray(0, at), 0);
        candidate.set(best.subarray(at + run), at);
        if (tryCandidate(candidate)) progress = true;
      }
    }
    for (let i = 0; i < Math.min(best.length, 32) && budgetLeft(); i++) {
      const b = best[i];
      for (const v of new Set([0, b >> 1, b - 1])) {
        if (v < 0 || v >= b) continue;
        const candidate = best.slice();
        candidate[i] = v;
        if (tryCandidate(candidate)) {
          progress = true;
          break;
        }
      }
    }
  }
  return best;
}
