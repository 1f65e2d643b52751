import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { marshall } from '@aws-sdk/util-dynamodb';
import { agentReport } from '../../../bench/local-api.js';
import { nodeFigures, rollUp, toSample } from '../../../core/usage.js';
import { packPerNode, packSample, unpackPerNode, unpackSample } from '../../../adapters/dynamodb/sample-codec.js';

/** DynamoDB's item size: attribute names plus values; a number takes a byte per two significant digits, plus one. */
function itemBytes(item: Record<string, unknown>): number {
  const size = (v: Record<string, unknown>): number => {
    if (v.S !== undefined) return Buffer.byteLength(v.S as string);
    if (v.N !== undefined) return Math.ceil((v.N as string).replace(/[-.]/g, '').replace(/^0+|0+$/g, '').length / 2) + 1;
    if (v.B !== undefined) return (v.B as Uint8Array).length;
    if (v.L) return 3 + (v.L as Record<string, unknown>[]).reduce((a, x) => a + 1 + size(x), 0);
    if (v.M) return 3 + Object.entries(v.M as Record<string, Record<string, unknown>>).reduce((a, [k, x]) => a + 1 + k.length + size(x), 0);
    return 1;
  };
  return Object.entries(marshall(item, { removeUndefinedValues: true })).reduce((a, [k, v]) => a + k.length + size(v as unknown as Record<string, unknown>), 0);
}

describe('stored usage samples', () => {
  it('per-node figures survive packing exactly, missing figures included', () => {
    const row = fc.tuple(fc.nat(2_000_000), fc.nat(4_000_000), fc.option(fc.nat(100), { nil: undefined })).map(([c, m, d]) => `${c},${m},${d ?? ''}`);
    fc.assert(
      fc.property(fc.array(row, { maxLength: 300 }), (rows) => {
        expect(unpackPerNode(packPerNode(rows.join(';')))).toBe(rows.join(';'));
      }),
    );
    expect(unpackPerNode(packPerNode(''))).toBe('');
  });

  it('a 50-node minute item with its 5-minute roll-up stays within one write unit (1 KB)', () => {
    const samples = [0, 1, 2, 3, 4].map((i) => toSample(`2026-11-30T18:0${i}`, agentReport('c-0123456789abcdef', 50, i * 60).nodes.map(nodeFigures), 'abcdefgh'));
    const r5 = rollUp('2026-11-30T18:00', samples)!;
    const item = {
      pk: 'U#c-0123456789abcdef',
      sk: '1m#2026-11-30T18:05',
      ...packSample(samples[4]!),
      at: '2026-11-30T18:05:10.000Z',
      sh: 'abcdefghabcdefgh',
      hb: '2026-11-30T18:05:10.000Z',
      dk: '2026-11-30T18:06:10.000Z#c-0123456789abcdef',
      r5: packSample(r5),
      expiresAt: 1764612345,
    };
    expect(itemBytes(item)).toBeLessThanOrEqual(1024);
    expect(unpackSample(item.r5)).toEqual(r5);
    // The same figures as text would take two.
    expect(itemBytes({ ...item, pb: undefined, per: samples[4]!.per, r5: { ...r5 } })).toBeGreaterThan(1024);
  });
});
