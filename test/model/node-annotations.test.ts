import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { portAnnotations } from '../../src/model/node-annotations.js';
import { parsePortList, parsePortRange } from '../../src/parsers/port-range.js';

describe('the port annotations the agent publishes on its Node', () => {
  it('the range and the reserved ports in the forms the cluster rule parses back', () => {
    const a = portAnnotations({
      range: { lo: 1024, hi: 65535 },
      reserved: [
        { lo: 30000, hi: 32767 },
        { lo: 40000, hi: 40000 },
      ],
      assumed: false,
    });
    assert.deepEqual(a, {
      'netdoctor.io/ephemeral-port-range': '1024-65535',
      'netdoctor.io/reserved-ports': '30000-32767,40000',
    });
    assert.deepEqual(parsePortRange(a['netdoctor.io/ephemeral-port-range'] ?? ''), { lo: 1024, hi: 65535 });
    assert.deepEqual(parsePortList(a['netdoctor.io/reserved-ports'] ?? ''), [
      { lo: 30000, hi: 32767 },
      { lo: 40000, hi: 40000 },
    ]);
  });
  it('a range that was not read is not published (the kernel default would pass for a measurement)', () => {
    assert.equal(portAnnotations({ range: { lo: 32768, hi: 60999 }, reserved: [], assumed: true }), undefined);
  });
});
