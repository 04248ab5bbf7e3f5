// Child of write-kill.test.ts: deletes the given paths through JournaledFile, printing progress.
import { JournaledFile } from '@coldfix/io';
import { deleteFile } from '@coldfix/ntfs';

const [image, ...paths] = process.argv.slice(2);
const file = await JournaledFile.open(image, {});
process.stdout.write('open\n');
for (const path of paths) {
  await deleteFile(file, path);
  process.stdout.write(`deleted ${path}\n`);
}
await file.complete();
await file.close();
process.stdout.write('done\n');
