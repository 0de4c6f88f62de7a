import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, bump, group, isNonEmpty, lastOf } from '../../src/model/indexing.js';

describe('model/indexing: index reads that the code has proven', () => {
  it('group: a mandatory group is returned; one that did not take part is an internal error, not undefined', () => {
    const m = /^(\w+)(?::(\d+))?$/.exec('kube_proxy');
    assert.ok(m);
    assert.equal(group(m, 1), 'kube_proxy');
    assert.throws(() => group(m, 2), {
      name: 'RangeError',
      message: /group 2 did not take part in the match of kube_proxy/,
    });
  });
  it('at: in range returns the element, also a falsy one; out of range throws', () => {
    assert.equal(at([0, 1], 0), 0);
    assert.equal(at(new Uint8Array([7]), 0), 7);
    assert.throws(() => at(['a'], 1), { name: 'RangeError', message: 'index 1 outside a list of 1' });
    assert.throws(() => at([], -1), RangeError);
  });
  it('lastOf and isNonEmpty: the top of a stack that keeps its bottom frame', () => {
    const stack: number[] = [1];
    assert.ok(isNonEmpty(stack));
    stack.push(2);
    assert.equal(lastOf(stack), 2);
    assert.equal(isNonEmpty([]), false);
  });
  it('bump: a counter table counts from 0', () => {
    const states = new Uint32Array(4);
    bump(states, 2);
    bump(states, 2, 5);
    const plain: number[] = [];
    bump(plain, 1);
    assert.deepEqual([...states], [0, 0, 6, 0]);
    assert.equal(plain[1], 1);
  });
});
