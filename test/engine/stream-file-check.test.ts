import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprintStreamFile, ingestFiles } from '../../src/engine/index.js';
import { dataflow, fileRef, type Sandbox, sandbox, sha256 } from './data-support.js';

let box: Sandbox;
beforeEach(async () => {
  box = await sandbox();
});
afterEach(async () => {
  await box.close();
});

const rows = (n: number) =>
  `id,name\n${Array.from({ length: n }, (_, i) => `${i + 1},name ${i + 1} ${'x'.repeat(i % 40)}`).join('\n')}\n`;

function put(name: string, bytes: Buffer): string {
  const file = path.join(box.data, name);
  writeFileSync(file, bytes);
  return file;
}

/** A hand-made zstd frame of raw blocks (RFC 8878), so the walk is tested apart from any encoder. */
function zstdRawFrame(content: Buffer, options: { checksum: boolean; blockSize: number }): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd])];
  // Frame header: 4-byte content size, window descriptor, no dictionary; checksum flag as asked.
  parts.push(Buffer.from([(2 << 6) | (options.checksum ? 1 << 2 : 0), 0x58]));
  const size = Buffer.alloc(4);
  size.writeUInt32LE(content.length);
  parts.push(size);
  for (let at = 0; at === 0 || at < content.length; at += options.blockSize) {
    const block = content.subarray(at, at + options.blockSize);
    const last = at + options.blockSize >= content.length ? 1 : 0;
    const h = last | (block.length << 3);
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), block);
  }
  if (options.checksum) {
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32LE(Number(xxh64(content) & 0xffffffffn));
    parts.push(checksum);
  }
  return Buffer.concat(parts);
}

const M64 = (1n << 64n) - 1n;
const [P1, P2, P3, P4, P5] = [
  11400714785074694791n,
  14029467366897019727n,
  1609587929392839161n,
  9650029242287828579n,
  2870177450012600261n,
];
const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M64;
const round = (acc: bigint, lane: bigint) => (rotl((acc + lane * P2) & M64, 31n) * P1) & M64;
const merge = (acc: bigint, v: bigint) => ((acc ^ round(0n, v)) * P1 + P4) & M64;

/** XXH64 with seed 0 (the zstd content checksum is its low 32 bits), straight from the spec. */
function xxh64(input: Buffer): bigint {
  let i = 0;
  let h: bigint;
  if (input.length >= 32) {
    const v = [(P1 + P2) & M64, P2, 0n, (M64 + 1n - P1) & M64];
    for (; i + 32 <= input.length; i += 32)
      for (let k = 0; k < 4; k += 1) v[k] = round(v[k]!, input.readBigUInt64LE(i + 8 * k));
    h = (rotl(v[0]!, 1n) + rotl(v[1]!, 7n) + rotl(v[2]!, 12n) + rotl(v[3]!, 18n)) & M64;
    for (const lane of v) h = merge(h, lane);
  } else {
    h = P5;
  }
  h = (h + BigInt(input.length)) & M64;
  for (; i + 8 <= input.length; i += 8)
    h = (rotl(h ^ round(0n, input.readBigUInt64LE(i)), 27n) * P1 + P4) & M64;
  if (i + 4 <= input.length) {
    h = (rotl(h ^ ((BigInt(input.readUInt32LE(i)) * P1) & M64), 23n) * P2 + P3) & M64;
    i += 4;
  }
  for (; i < input.length; i += 1) h = (rotl(h ^ ((BigInt(input[i]!) * P5) & M64), 11n) * P1) & M64;
  h = ((h ^ (h >> 33n)) * P2) & M64;
  h = ((h ^ (h >> 29n)) * P3) & M64;
  return h ^ (h >> 32n);
}

async function failure(
  file: string,
  shown?: string,
): Promise<{ code: string; message: string; hint?: string }> {
  try {
    await fingerprintStreamFile(file, shown);
  } catch (error) {
    return error as { code: string; message: string; hint?: string };
  }
  throw new Error(`${file} passed its integrity check`);
}

describe('fingerprintStreamFile', () => {
  it('is the sha256 of the bytes, read once, for plain and whole compressed files', async () => {
    const plain = put('u.csv', Buffer.from(rows(50)));
    const gz = put('u.csv.gz', gzipSync(rows(50)));
    const twoMembers = put('u2.csv.gzip', Buffer.concat([gzipSync(rows(3)), gzipSync('4,d\n')]));
    for (const file of [plain, gz, twoMembers]) expect(await fingerprintStreamFile(file)).toBe(sha256(file));
  });

  it('refuses a gzip file cut at any byte, and a wrong CRC32 or ISIZE, naming the file', async () => {
    const whole = gzipSync(rows(30));
    for (let cut = 0; cut < whole.length; cut += 1) {
      const file = put('cut.csv.gz', whole.subarray(0, cut));
      const error = await failure(file, 'data/users/cut.csv.gz');
      expect(error.code, `cut at ${cut}`).toBe('ingest-corrupt-file');
    }
    const badCrc = Buffer.from(whole);
    badCrc.writeUInt32LE((badCrc.readUInt32LE(whole.length - 8) ^ 1) >>> 0, whole.length - 8);
    const badSize = Buffer.from(whole);
    badSize.writeUInt32LE(badSize.readUInt32LE(whole.length - 4) + 1, whole.length - 4);
    const secondCut = Buffer.concat([whole, whole.subarray(0, 12)]);
    for (const bytes of [badCrc, badSize, secondCut]) {
      const error = await failure(put('bad.csv.gz', bytes), 'data/users/bad.csv.gz');
      expect(error).toMatchObject({
        code: 'ingest-corrupt-file',
        message: expect.stringMatching(
          /^stream file data\/users\/bad\.csv\.gz is truncated or corrupt \(gzip: .+\); outflow did not ingest it$/,
        ),
        hint: expect.stringContaining('re-deliver'),
      });
    }
  });

  it('walks zstd frames: whole ones pass, a cut anywhere fails', async () => {
    const content = Buffer.from(rows(60));
    const frame = zstdRawFrame(content, { checksum: true, blockSize: 300 });
    const noChecksum = zstdRawFrame(content, { checksum: false, blockSize: 300 });
    const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]), frame]);
    const rle = Buffer.concat([
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 5]),
      Buffer.from([0b011 | (5 << 3), 0, 0]),
      Buffer.from('a'),
    ]);
    for (const bytes of [frame, noChecksum, skippable, Buffer.concat([frame, noChecksum]), rle]) {
      const file = put('u.csv.zst', bytes);
      expect(await fingerprintStreamFile(file)).toBe(sha256(file));
    }
    for (const whole of [frame, noChecksum, Buffer.concat([frame, frame])]) {
      // Every cut inside the headers and around the ends, and a sample of the rest.
      const cuts = [...Array(whole.length).keys()].filter(
        (cut) => cut < 40 || cut > whole.length - 12 || cut % 23 === 0 || (cut - 10) % 303 < 5,
      );
      for (const cut of cuts) {
        const error = await failure(put('cut.csv.zstd', whole.subarray(0, cut)), 'data/cut.csv.zstd');
        expect(error.code, `cut at ${cut}`).toBe('ingest-corrupt-file');
        expect(error.message).toMatch(/^stream file data\/cut\.csv\.zstd is truncated or corrupt \(zstd: /);
      }
    }
    expect((await failure(put('x.csv.zst', Buffer.from('id,name\n1,a\n')))).message).toContain(
      'not a zstd frame',
    );
  });

  it('checks the zstd files DuckDB writes (several blocks, no checksum)', async () => {
    const file = path.join(box.data, 'big.csv.zst');
    await box.engine.run(
      `COPY (SELECT range AS id, 'name ' || range AS name FROM range(60000)) TO '${file}' (FORMAT csv, COMPRESSION zstd)`,
    );
    const whole = readFileSync(file);
    expect(await fingerprintStreamFile(file)).toBe(sha256(file));
    for (const cut of [
      0,
      3,
      10,
      Math.floor(whole.length / 3),
      Math.floor(whole.length / 2),
      whole.length - 1,
    ]) {
      expect((await failure(put('cut.csv.zst', whole.subarray(0, cut)))).code, `cut at ${cut}`).toBe(
        'ingest-corrupt-file',
      );
    }
  });

  it('leaves the zstd content checksum to DuckDB, which refuses a mismatch and so the whole ingest', async () => {
    const content = Buffer.from(rows(20));
    const flow = dataflow('users', [{ name: 'id', type: 'bigint' }]);
    const good = put('good.csv.zst', zstdRawFrame(content, { checksum: true, blockSize: 100 }));
    await fingerprintStreamFile(good);
    const ok = await ingestFiles(box.engine, flow, [fileRef(good)], { firstSeq: 1, rejectDir: box.rejects });
    expect(ok.rows).toBe(20);
    const wrong = zstdRawFrame(content, { checksum: true, blockSize: 100 });
    wrong.writeUInt32LE((wrong.readUInt32LE(wrong.length - 4) ^ 0xffff) >>> 0, wrong.length - 4);
    const bad = put('wrong.csv.zst', wrong);
    await fingerprintStreamFile(bad);
    await expect(
      ingestFiles(box.engine, flow, [fileRef(bad)], { firstSeq: 21, rejectDir: box.rejects }),
    ).rejects.toMatchObject({ code: 'ingest-unreadable-file', message: expect.stringContaining('checksum') });
    expect(await box.engine.all('SELECT count(*) AS n FROM ds_users')).toEqual([{ n: 20 }]);
  });

  it('reads .gzip and .zstd names too (DuckDB only guesses .gz and .zst)', async () => {
    const gz = put('u.csv.gzip', gzipSync(rows(5)));
    const zst = put(
      'u.ndjson.zstd',
      zstdRawFrame(Buffer.from('{"id": 1}\n{"id": 2}\n'), {
        checksum: false,
        blockSize: 1000,
      }),
    );
    const csvFlow = dataflow('users', [{ name: 'id', type: 'bigint' }]);
    const csvResult = await ingestFiles(box.engine, csvFlow, [fileRef(gz)], {
      firstSeq: 1,
      rejectDir: box.rejects,
    });
    expect(csvResult.rows).toBe(5);
    const jsonFlow = dataflow('events', [{ name: 'id', type: 'bigint' }]);
    const jsonResult = await ingestFiles(box.engine, jsonFlow, [fileRef(zst)], {
      firstSeq: 1,
      rejectDir: box.rejects,
    });
    expect(jsonResult.rows).toBe(2);
  });

  it('says which file could not be read at all', async () => {
    expect(await failure(path.join(box.data, 'gone.csv'), 'data/gone.csv')).toMatchObject({
      code: 'ingest-unreadable-file',
      message: expect.stringContaining('cannot read stream file data/gone.csv: ENOENT'),
    });
  });
});
