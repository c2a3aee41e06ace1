/** Where the prebuilt addon lives, and which shared libraries it may need (glibc only). */
import { join } from 'node:path';

/** prebuilds/<platform>-<arch>/tdakit_native.node, the layout of prebuildify and node-gyp-build. */
export function prebuildPath(root, platform = process.platform, arch = process.arch) {
  return join(root, 'prebuilds', `${platform}-${arch}`, 'tdakit_native.node');
}

const GLIBC = /^(linux-vdso|linux-gate|ld-linux[^ ]*|libc|libm|libpthread|libdl|librt|libmvec)\.so/;

/** The libraries in `ldd` output that are not part of glibc (or the kernel's vDSO). */
export function foreignLibraries(lddOutput) {
  return lddOutput
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '' && !GLIBC.test(name.replace(/^.*\//, '')));
}
