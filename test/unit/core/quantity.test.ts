import { describe, expect, it } from 'vitest';
import { bytes, cpuNanocores } from '../../../core/quantity.js';

describe('Kubernetes quantities', () => {
  it('parse CPU exactly into nanocores', () => {
    expect(cpuNanocores('250m')).toBe(250_000_000n);
    expect(cpuNanocores('123456n')).toBe(123_456n);
    expect(cpuNanocores('110691045n')).toBe(110_691_045n);
    expect(cpuNanocores('2')).toBe(2_000_000_000n);
    expect(cpuNanocores(20)).toBe(20_000_000_000n);
    expect(cpuNanocores('1.5')).toBe(1_500_000_000n);
    expect(cpuNanocores('0.1')).toBe(100_000_000n);
    expect(cpuNanocores('100u')).toBe(100_000n);
    expect(cpuNanocores('1e3')).toBe(1000_000_000_000n);
  });

  it('parse memory exactly into bytes', () => {
    expect(bytes('1024Ki')).toBe(1_048_576n);
    expect(bytes('1.5Gi')).toBe(1_610_612_736n);
    expect(bytes('801112Ki')).toBe(820_338_688n);
    expect(bytes('40Mi')).toBe(41_943_040n);
    expect(bytes('128974848')).toBe(128_974_848n);
    expect(bytes('129M')).toBe(129_000_000n);
    expect(bytes('1e3')).toBe(1000n);
    expect(bytes('0.5Ki')).toBe(512n);
  });

  it('refuse what is not a quantity', () => {
    for (const bad of ['', 'abc', '1.2.3', '10 Mi', '5mi', 'Gi']) expect(() => bytes(bad), bad).toThrow(/not a Kubernetes quantity/);
  });

  it('refuse, at once, quantities out of range: huge exponents, over-long text, more than an int64', () => {
    const started = performance.now();
    for (const bad of ['1e3000000', '1e-3000000', '9'.repeat(65), '1e31', '10Ei', '9223372036854775808']) expect(() => bytes(bad), bad).toThrow();
    expect(() => cpuNanocores('10000000000')).toThrow(/out of range/);
    expect(performance.now() - started).toBeLessThan(50);
    expect(bytes('9223372036854775807')).toBe(9_223_372_036_854_775_807n);
    expect(bytes('1e18')).toBe(1_000_000_000_000_000_000n);
  });
});
