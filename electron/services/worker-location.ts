/// <reference types="electron-vite/node" />

/**
 * Where a worker script is. Workers are plain JavaScript so the source tree needs no loader: under
 * vitest and tsx a worker is simply the file beside its service (`source`). electron-vite bundles
 * main into one file and does not copy `new URL('./x', import.meta.url)` targets in that build, so
 * the built app takes the path from electron-vite's `?modulePath` import (`built`), which bundles the
 * worker into out/main/chunks. That import exists only in the build (vitest cannot resolve it), hence
 * it is passed as a function and called only behind import.meta.env.PROD, which Vite sets at build
 * time, vitest leaves false and plain Node leaves undefined.
 */
export async function workerLocation(built: () => Promise<{ default: string }>, source: URL): Promise<URL | string> {
  const env = (import.meta as ImportMeta & { env?: { PROD?: boolean } }).env;
  if (env?.PROD) return (await built()).default;
  return source;
}
