import { describe, expect, it } from 'vitest';
import { dataDirArgument, defaultDataDir } from './data-dir';

describe('data directory', () => {
  it('prefers AUXILIUM_DATA_DIR', () => {
    expect(defaultDataDir({ AUXILIUM_DATA_DIR: '/srv/aux' }, 'linux')).toBe('/srv/aux');
  });
  it('follows the platform convention Electron uses for userData', () => {
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/home/a/.cfg' }, 'linux')).toBe('/home/a/.cfg/Auxilium Desktop');
    expect(defaultDataDir({ APPDATA: 'C:/Users/a/AppData/Roaming' }, 'win32')).toBe('C:/Users/a/AppData/Roaming/Auxilium Desktop');
    expect(defaultDataDir({}, 'darwin')).toMatch(/Library\/Application Support\/Auxilium Desktop$/);
  });
  it('reads --data-dir in both spellings', () => {
    expect(dataDirArgument(['--port', '0', '--data-dir', '/tmp/x'])).toBe('/tmp/x');
    expect(dataDirArgument(['--data-dir=/tmp/y'])).toBe('/tmp/y');
    expect(dataDirArgument(['--port', '0'])).toBeUndefined();
  });
});
