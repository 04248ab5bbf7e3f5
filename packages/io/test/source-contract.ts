/**
 * The ByteSource contract suite (STYLE.md §Tests): one set of checks run
 * against every implementation, comparing with the flat bytes it should
 * expose. Other packages import it by relative path:
 *
 * ```ts
 * import { runSourceContract } from '../../io/test/source-contract.js';
 * runSourceContract('VhdDynamic', async () => ({ source: await openVhd(p), expected: await readFile(rawPath) }));
 * ```
 *
 * Deliberately dependency-free (vitest and fast-check only) and duck-typed:
 * errors are recognised by `kind`, not by class, so a copy of io loaded twice
 * does not break the checks.
 *
 * Checks: size; random reads (fast-check) against `expected`; concurrent
 * reads; zero-length reads anywhere including at the end; reads ending at the
 * end; out-of-range reads throw an OutOfRangeError (kind 'out-of-range').
 * Writable sources (`writable === true` and a `write` method): random writes,
 * and resizes when the source has `resize`, checked after every step against a
 * Uint8Array model; out-of-range writes throw and change nothing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readInto as readIntoHelper, type ByteSource } from '../src/byte-source.js';

/** The slice of ByteSource the suite needs (structurally compatible with @coldfix/io's). */
export interface ContractSource {
  readonly size: number;
  readonly blockSize: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  readInto?(offset: number, target: Uint8Array): Promise<void>;
  readIntoSync?(offset: number, target: Uint8Array): void;
  close(): Promise<void>;
  describe(): { kind: string };
  readonly writable?: boolean;
  write?(offset: number, data: Uint8Array): Promise<void>;
  flush?(): Promise<void>;
  resize?(newSize: number): Promise<void>;
}

export interface ContractSubject<S extends ContractSource = ContractSource> {
  source: S;
  /** The bytes the source must expose, flat. Never mutated by the suite. */
  expected: Uint8Array;
  cleanup?: () => Promise<void>;
}

export interface ContractOptions {
  /** fast-check runs for the read property (default 60) and the write property (default 15). */
  readRuns?: number;
  writeRuns?: number;
  /** Skip the write checks even if the source is writable (e.g. a read-only parent below). */
  readOnly?: boolean;
  /** Per-test timeout in ms (default 60 000). */
  timeout?: number;
}

type Op = { kind: 'write'; at: number; length: number; seed: number } | { kind: 'resize'; size: number } | { kind: 'read'; at: number; length: number };

export function runSourceContract(name: string, makeSource: () => Promise<ContractSubject>, options: ContractOptions = {}): void {
  const readRuns = options.readRuns ?? 60;
  const writeRuns = options.writeRuns ?? 15;
  const timeout = options.timeout ?? 60_000;

  const withSubject = async (body: (s: ContractSubject) => Promise<void>) => {
    const subject = await makeSource();
    try {
      await body(subject);
    } finally {
      await subject.source.close().catch(() => undefined);
      await subject.cleanup?.();
    }
  };

  describe(`ByteSource contract: ${name}`, () => {
    it('has the expected size, a positive block size and a kind', () =>
      withSubject(async ({ source, expected }) => {
        expect(source.size).toBe(expected.length);
        expect(Number.isSafeInteger(source.blockSize) && source.blockSize > 0).toBe(true);
        expect(typeof source.describe().kind).toBe('string');
      }), timeout);

    it('random reads return exactly the expected bytes', () =>
      withSubject(async ({ source, expected }) => {
        const size = expected.length;
        await fc.assert(
          fc.asyncProperty(fc.nat({ max: size }), fc.nat({ max: Math.max(size, 1) }), async (at, rawLength) => {
            const length = Math.min(rawLength, size - at);
            const got = await source.read(at, length);
            expect(got.length).toBe(length);
            expectBytes(got, expected.subarray(at, at + length), at);
          }),
          { numRuns: readRuns },
        );
      }), timeout);

    it('readInto (where offered) fills exactly the bytes read returns, and checks its range', () =>
      withSubject(async ({ source, expected }) => {
        const size = expected.length;
        // Through io's helper: the source's own readInto where offered, else read() and a copy.
        const fill = (at: number, target: Uint8Array) => readIntoHelper(source as ByteSource, at, target);
        await fc.assert(
          fc.asyncProperty(fc.nat({ max: size }), fc.nat({ max: Math.max(size, 1) }), fc.nat({ max: 64 }), async (at, rawLength, pad) => {
            const length = Math.min(rawLength, size - at);
            const buffer = new Uint8Array(length + 2 * pad).fill(0xa5);
            await fill(at, buffer.subarray(pad, pad + length));
            expectBytes(buffer.subarray(pad, pad + length), expected.subarray(at, at + length), at);
            expect(buffer.subarray(0, pad).every((b) => b === 0xa5) && buffer.subarray(pad + length).every((b) => b === 0xa5)).toBe(true);
          }),
          { numRuns: Math.max(10, readRuns >> 1) },
        );
        await expectOutOfRange(() => fill(size, new Uint8Array(1)), `readInto(${size}, 1 byte)`);
      }), timeout);

    it('concurrent reads do not interfere', () =>
      withSubject(async ({ source, expected }) => {
        const size = expected.length;
        const ranges = Array.from({ length: 16 }, (_, i) => {
          const at = Math.floor((size * i) / 16);
          return [at, Math.min(size - at, 1 + ((i * 7919) % Math.max(1, size)))] as const;
        });
        const results = await Promise.all(ranges.map(([at, length]) => source.read(at, length)));
        results.forEach((got, i) => expectBytes(got, expected.subarray(ranges[i][0], ranges[i][0] + ranges[i][1]), ranges[i][0]));
      }), timeout);

    // A capability the source does not offer is reported as a skipped test (with the reason), not a pass.
    it('readIntoSync (where offered) fills exactly the bytes read returns, and checks its range', (ctx) =>
      withSubject(async ({ source, expected }) => {
        const sync = source.readIntoSync?.bind(source);
        if (!sync) return ctx.skip(`not applicable: ${name} offers no readIntoSync`);
        const size = expected.length;
        await fc.assert(
          fc.asyncProperty(fc.nat({ max: size }), fc.nat({ max: 70_000 }), fc.nat({ max: 7 }), async (at, wanted, pad) => {
            const length = Math.min(wanted, size - at);
            // A view at an odd offset inside a larger buffer: the bytes around it stay untouched.
            const backing = new Uint8Array(length + 2 * pad + 2).fill(0xa5);
            sync(at, backing.subarray(pad + 1, pad + 1 + length));
            expectBytes(backing.subarray(pad + 1, pad + 1 + length), expected.subarray(at, at + length), at);
            expect(backing[pad]).toBe(0xa5);
            expect(backing[pad + 1 + length]).toBe(0xa5);
          }),
          { numRuns: readRuns },
        );
        for (const [at, length] of [[size, 1], [size - 1, 2], [-1, 1]]) {
          let thrown: unknown = null;
          try {
            sync(at, new Uint8Array(length));
          } catch (error) {
            thrown = error;
          }
          expect((thrown as { kind?: string } | null)?.kind, `readIntoSync(${at}, ${length} bytes)`).toBe('out-of-range');
        }
      }), timeout);

    it('zero-length reads work anywhere, including at the end', () =>
      withSubject(async ({ source, expected }) => {
        for (const at of [0, Math.floor(expected.length / 2), expected.length]) expect((await source.read(at, 0)).length).toBe(0);
      }), timeout);

    it('reads ending exactly at the end work', () =>
      withSubject(async ({ source, expected }) => {
        const size = expected.length;
        for (const length of [1, 511, 512, 513, 4096, size]) {
          if (length > size) continue;
          expectBytes(await source.read(size - length, length), expected.subarray(size - length), size - length);
        }
      }), timeout);

    it('out-of-range reads throw OutOfRangeError', () =>
      withSubject(async ({ source, expected }) => {
        const size = expected.length;
        const bad: [number, number][] = [
          [size, 1],
          [size + 1, 0],
          [Math.max(0, size - 1), 2],
          [0, size + 1],
          [-1, 1],
          [0, -1],
          [0.5, 1],
          [Number.NaN, 1],
          [Number.MAX_SAFE_INTEGER, 1],
        ];
        for (const [at, length] of bad) await expectOutOfRange(() => source.read(at, length), `read(${at}, ${length})`);
      }), timeout);

    it('random writes (and resizes) read back like a Uint8Array model', async (ctx) => {
      const probe = await makeSource();
      const writable = !options.readOnly && probe.source.writable === true && typeof probe.source.write === 'function';
      const resizable = typeof probe.source.resize === 'function';
      await probe.source.close().catch(() => undefined);
      await probe.cleanup?.();
      if (!writable) return ctx.skip(`not applicable: ${name} is ${options.readOnly ? 'tested read-only' : 'not writable'}`);
      await fc.assert(
        fc.asyncProperty(fc.array(opArbitrary(probe.expected.length, resizable), { minLength: 1, maxLength: 12 }), async (ops) =>
          withSubject(async ({ source, expected }) => {
            let model = expected.slice();
            for (const op of ops) {
              if (op.kind === 'resize') {
                await source.resize!(op.size);
                const next = new Uint8Array(op.size);
                next.set(model.subarray(0, Math.min(op.size, model.length)));
                model = next;
              } else if (op.kind === 'write') {
                const at = Math.min(op.at, model.length);
                const length = Math.min(op.length, model.length - at);
                const data = pattern(length, op.seed);
                await source.write!(at, data);
                model.set(data, at);
              } else {
                const at = Math.min(op.at, model.length);
                const length = Math.min(op.length, model.length - at);
                expectBytes(await source.read(at, length), model.subarray(at, at + length), at);
              }
              expect(source.size).toBe(model.length);
            }
            await source.flush?.();
            expectBytes(await source.read(0, model.length), model, 0);
            await expectOutOfRange(() => source.write!(model.length, new Uint8Array(1)), 'write at the end');
            await expectOutOfRange(() => source.write!(-1, new Uint8Array(1)), 'write at -1');
            expectBytes(await source.read(0, model.length), model, 0);
          }),
        ),
        { numRuns: writeRuns },
      );
    }, timeout);
  });
}

function opArbitrary(size: number, resizable: boolean): fc.Arbitrary<Op> {
  const span = Math.max(size, 1);
  const write = fc.record({ kind: fc.constant('write' as const), at: fc.nat({ max: span + 4096 }), length: fc.integer({ min: 0, max: 9000 }), seed: fc.nat() });
  const read = fc.record({ kind: fc.constant('read' as const), at: fc.nat({ max: span }), length: fc.nat({ max: span }) });
  if (!resizable) return fc.oneof(write, read);
  const resize = fc.record({ kind: fc.constant('resize' as const), size: fc.integer({ min: 0, max: span + 10_000 }) });
  return fc.oneof({ arbitrary: write, weight: 4 }, { arbitrary: read, weight: 2 }, { arbitrary: resize, weight: 1 });
}

/** Deterministic non-trivial bytes (xorshift) so that a misplaced write is visible. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed | 0) || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function expectBytes(got: Uint8Array, want: Uint8Array, at: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      expect.fail(`byte at offset ${at + i} (0x${(at + i).toString(16)}) is 0x${got[i].toString(16)}, expected 0x${want[i].toString(16)}`);
    }
  }
}

async function expectOutOfRange(call: () => Promise<unknown>, what: string): Promise<void> {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  if (error === undefined) expect.fail(`${what} should throw OutOfRangeError, it succeeded`);
  expect((error as { kind?: string }).kind, `${what} threw ${String(error)}`).toBe('out-of-range');
}
