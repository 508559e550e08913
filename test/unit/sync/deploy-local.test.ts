// Deploy through LocalConnection (a `type: host` node in copy mode uses exactly this path).
import { test, after } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../src/remote/local';
import { deployScenarios } from './scenarios';

const root = mkdtempSync(join(tmpdir(), 'cl-deploy-local-'));
after(() => rmSync(root, { recursive: true, force: true }));
const conn = new LocalConnection('host');

for (const options of [{}, { compress: false }]) {
  const sub = options.compress === false ? 'plain' : 'gz';
  deployScenarios(test, {
    conn: async () => conn,
    dirs: (name) => {
      const src = join(root, sub, name, 'src');
      mkdirSync(src, { recursive: true });
      return { src, dst: join(root, sub, name, 'dst with space') };
    },
    options,
  });
}
