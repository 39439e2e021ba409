import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BusRecord } from '@bulwark/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamConfigError } from '../errors.js';
import { BusWal, type BusWalFile } from './bus-wal.js';
import { InProcessEventBus } from './in-process-event-bus.js';

const dirs: string[] = [];
const buses: InProcessEventBus[] = [];
afterEach(async () => {
  await Promise.allSettled(buses.splice(0).map((b) => b.shutdown()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'bulwark-bus-wal-'));
  dirs.push(d);
  return d;
};
const openBus = (walDir: string, extra: ConstructorParameters<typeof InProcessEventBus>[0] = {}) => {
  // Checkpoints only when a test asks: an abandoned ("crashed") bus must not write one later.
  const bus = new InProcessEventBus({
    walDir,
    ...extra,
    wal: { checkpointIntervalMillis: 600_000, ...extra.wal },
  });
  buses.push(bus);
  return bus;
};
/** A crashed process: its bus is neither shut down nor checkpointed again (timers stop with the test). */
const abandon = (bus: InProcessEventBus) => buses.splice(buses.indexOf(bus), 1);

const recs = (n: number, from = 0): BusRecord<{ id: string }>[] =>
  Array.from({ length: n }, (_, i) => ({ key: `s${(from + i) % 3}`, value: { id: `e${from + i}` } }));

async function collect(bus: InProcessEventBus, groupId: string, n: number): Promise<string[]> {
  const got: string[] = [];
  await bus.subscribe<{ id: string }>('events', async (r) => void got.push(...r.map((x) => x.value.id)), {
    groupId,
  });
  for (let i = 0; i < 400 && got.length < n; i += 1) await new Promise((r) => setTimeout(r, 5));
  return got;
}

const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.wal'));

describe('BusWal under InProcessEventBus', () => {
  it('replays, after a crash, every acknowledged record no group had handled, in order', async () => {
    const dir = tempDir();
    const bus = openBus(dir);
    for (let i = 0; i < 50; i += 10)
      expect(await bus.publish('events', recs(10, i))).toEqual({ ok: true, count: 10 });
    abandon(bus);
    const again = openBus(dir);
    expect(again.walRecovery).toMatchObject({ replayed: 50, tornRecords: 0 });
    expect(await collect(again, 'g', 50)).toEqual(recs(50).map((r) => r.value.id));
  });

  it('does not replay what every group committed once a checkpoint recorded it, and deletes old segments', async () => {
    const dir = tempDir();
    const bus = openBus(dir, { wal: { maxSegmentBytes: 4096 } });
    const seen = await collect(bus, 'g', 0);
    for (let i = 0; i < 300; i += 20) expect((await bus.publish('events', recs(20, i))).ok).toBe(true);
    // Handled means committed: the group's cursor moves once its handler resolved.
    for (let i = 0; i < 400 && bus.stats().pending.events > 0; i += 1)
      await new Promise((r) => setTimeout(r, 5));
    expect(seen.length).toBe(300);
    expect(bus.stats().wal!.segments).toBeGreaterThanOrEqual(3);
    await bus.checkpoint();
    // Only the segment being written remains.
    expect(segments(dir)).toHaveLength(1);
    expect(bus.stats().wal!.segmentsDeleted).toBeGreaterThanOrEqual(2);
    expect((await bus.publish('events', recs(5, 300))).ok).toBe(true);
    abandon(bus);
    const again = openBus(dir);
    // The 5 published after the checkpoint may or may not have been handled: they come back, nothing older.
    expect(again.walRecovery).toMatchObject({ replayed: 5 });
    expect(await collect(again, 'g', 5)).toEqual(['e300', 'e301', 'e302', 'e303', 'e304']);
  });

  it('replays nothing after a clean shutdown', async () => {
    const dir = tempDir();
    const bus = openBus(dir);
    await collect(bus, 'g', 0);
    expect((await bus.publish('events', recs(30))).ok).toBe(true);
    await bus.shutdown();
    const again = openBus(dir);
    expect(again.walRecovery).toMatchObject({ replayed: 0, skipped: 30, checkpointFound: true });
  });

  it('ignores and counts a torn last record (crash mid-write), keeping every complete one', async () => {
    const dir = tempDir();
    const bus = openBus(dir);
    expect((await bus.publish('events', recs(10))).ok).toBe(true);
    abandon(bus);
    const [seg] = segments(dir);
    const file = path.join(dir, seg!);
    const size = readFileSync(file).length;
    truncateSync(file, size - 3); // the last frame loses its tail
    const again = openBus(dir);
    expect(again.walRecovery).toMatchObject({ replayed: 9, tornRecords: 1 });
    expect(again.stats().wal!.tornRecords).toBe(1);
    // A frame whose checksum fails is torn too; complete frames before it still count.
    abandon(again);
    appendFileSync(file, Buffer.from([5, 0, 0, 0, 1, 2, 3, 4, 104, 101, 108, 108, 111]));
    const third = openBus(dir);
    expect(third.walRecovery?.tornRecords).toBeGreaterThanOrEqual(1);
    expect(await collect(third, 'g', 9)).toEqual(recs(9).map((r) => r.value.id));
    // New appends go to a fresh segment, never after the torn frame.
    expect((await third.publish('events', recs(1, 50))).ok).toBe(true);
    expect(segments(dir).length).toBeGreaterThanOrEqual(2);
  });

  it('replays everything when the checkpoint file is unreadable', async () => {
    const dir = tempDir();
    const bus = openBus(dir);
    await collect(bus, 'g', 0);
    expect((await bus.publish('events', recs(4))).ok).toBe(true);
    await bus.shutdown();
    writeFileSync(path.join(dir, 'checkpoint.json'), '{"version":1,');
    const again = openBus(dir);
    expect(again.walRecovery).toMatchObject({ replayed: 4, checkpointFound: false });
  });

  it('group-commits concurrent publishes: far fewer fsyncs than publishes', async () => {
    const dir = tempDir();
    const bus = openBus(dir);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => bus.publish('events', recs(1, i))),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    const wal = bus.stats().wal!;
    expect(wal.appendedRecords).toBe(200);
    expect(wal.commits).toBeLessThan(20);
  });

  it('answers unavailable when the disk refuses a write, and accepts again once it works', async () => {
    const dir = tempDir();
    let failWrites = false;
    const openFile = async (filePath: string): Promise<BusWalFile> => {
      const real = await import('node:fs/promises').then((fs) => fs.open(filePath, 'wx'));
      return {
        write: async (b) => {
          if (failWrites)
            throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
          await real.write(b);
        },
        datasync: () => real.datasync(),
        close: () => real.close(),
      };
    };
    const bus = openBus(dir, { wal: { openFile } });
    const got = await collect(bus, 'g', 0);
    expect((await bus.publish('events', recs(2))).ok).toBe(true);
    failWrites = true;
    const refused = await bus.publish('events', recs(3, 2));
    expect(refused).toMatchObject({ ok: false, reason: 'unavailable', retryAfterMillis: 1_000 });
    if (!refused.ok) expect(refused.message).toMatch(/ENOSPC/);
    // Refused at once while the log is failing, without touching the disk.
    expect(await bus.publish('events', recs(1, 5))).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(bus.stats()).toMatchObject({ walRefused: 4, wal: { writeErrors: 1 } });
    failWrites = false;
    await new Promise((r) => setTimeout(r, 1_050));
    expect((await bus.publish('events', recs(1, 6))).ok).toBe(true);
    for (let i = 0; i < 100 && got.length < 3; i += 1) await new Promise((r) => setTimeout(r, 5));
    // Refused records were never delivered.
    expect(got).toEqual(['e0', 'e1', 'e6']);
  });

  it('refuses bad options and an unusable directory with a clear error', () => {
    const dir = tempDir();
    expect(() => BusWal.open({ dir, maxSegmentBytes: 10 })).toThrow(StreamConfigError);
    const file = path.join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    expect(() => BusWal.open({ dir: file })).toThrow(/bus WAL: cannot use/);
  });
});
