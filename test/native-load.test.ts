import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonCandidates, loadAddon, PACKAGE_ROOT } from '../src/native-load.ts';
import { nativeAddon, nativeAddonSource } from '../src/native.ts';

const built = join(PACKAGE_ROOT, 'build', 'Release', 'tdakit_native.node');
const dir = mkdtempSync(join(tmpdir(), 'tdakit-load-'));

test('the source build is tried before the prebuild for this platform and architecture', () => {
  const [first, second] = addonCandidates('/pkg', 'linux', 'x64');
  assert.deepEqual(first, { kind: 'source build', file: '/pkg/build/Release/tdakit_native.node' });
  assert.deepEqual(second, { kind: 'prebuilt', file: '/pkg/prebuilds/linux-x64/tdakit_native.node' });
  nativeAddon();
  assert.equal(nativeAddonSource()?.kind, 'source build');
});

test('without a source build the prebuild loads; a source build that does not load falls through', () => {
  const missing = { kind: 'source build' as const, file: join(dir, 'none.node') };
  const { candidate } = loadAddon([missing, { kind: 'prebuilt', file: built }]);
  assert.equal(candidate.kind, 'prebuilt');
  const broken = join(dir, 'broken.node');
  writeFileSync(broken, 'not a shared object');
  assert.equal(
    loadAddon([
      { kind: 'source build', file: broken },
      { kind: 'prebuilt', file: built },
    ]).candidate.kind,
    'prebuilt',
  );
});

test('with neither, the error lists both attempts and says how to build', () => {
  const broken = join(dir, 'broken2.node');
  writeFileSync(broken, 'not a shared object');
  assert.throws(
    () =>
      loadAddon([
        { kind: 'source build', file: join(dir, 'none.node') },
        { kind: 'prebuilt', file: broken },
      ]),
    (e: Error) => {
      assert.match(e.message, /none\.node does not exist/);
      assert.match(e.message, /broken2\.node does not load/);
      assert.match(e.message, /npm rebuild tdakit/);
      assert.match(e.message, /libopenblas-dev liblapacke-dev/);
      return true;
    },
  );
});
