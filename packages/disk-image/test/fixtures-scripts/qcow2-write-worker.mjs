// Child process for the SIGKILL test: opens a qcow2 through the undo journal and writes pseudo-random
// pieces that allocate clusters (each write flushes several times), until killed or done.
// Runs the compiled packages (dist), as the CLI does. Usage: node qcow2-write-worker.mjs IMAGE SEED COUNT
import { openDiskImage } from '@coldfix/disk-image';
import { journaledFileOpener } from '@coldfix/io';

const [path, seedText, countText] = process.argv.slice(2);
let x = Number(seedText) >>> 0 || 1;
const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
const image = await openDiskImage(path, { writable: true, openFile: journaledFileOpener() });
process.stdout.write('open\n');
for (let i = 0; i < Number(countText); i++) {
  const length = 1 + (rnd() % 9000);
  const offset = rnd() % (image.size - length);
  await image.write(offset, new Uint8Array(length).fill(rnd() & 0xff));
}
await image.close();
process.stdout.write('done\n');
