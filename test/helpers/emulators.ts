import { afterEach } from 'vitest';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/server.js';

/**
 * An emulator factory for a test file: each emulator it starts is closed after the test that
 * started it. Call once at the top level of the file.
 */
export function emulatorPerTest(): (options?: EmulatorOptions) => Promise<RunningEmulator> {
  const running: RunningEmulator[] = [];
  afterEach(async () => {
    for (const e of running.splice(0)) await e.close();
  });
  return async (options = {}) => {
    const e = await startEmulator(options);
    running.push(e);
    return e;
  };
}
