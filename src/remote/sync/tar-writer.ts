// A minimal tar (ustar + pax) header writer for the deploy stream. Packing 10,000 small files
// through a general tar library costs a stream, callbacks and several small buffers per entry;
// here a header is 512 bytes written straight into the chunk that also receives the file's
// bytes, so one 1 MB buffer carries hundreds of files to the compressor in a single write.
//
// Names that do not fit ustar's name/prefix fields (or sizes ≥ 8 GiB) get a pax extended
// header ('x'), which GNU tar, bsdtar and busybox tar all read.

export const BLOCK = 512;

/** Bytes of padding after `size` bytes of data. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits

function octal(buf: Buffer, off: number, len: number, value: number): void {
  const s = Math.max(0, Math.floor(value)).toString(8).padStart(len - 1, '0');
  buf.write(s.slice(-(len - 1)), off, 'ascii');
  buf[off + len - 1] = 0;
}

/** Split a name into ustar (prefix, name) at a '/', or null when it does not fit. */
function splitUstar(name: Buffer): { prefix: Buffer; name: Buffer } | null {
  if (name.length <= 100) return { prefix: Buffer.alloc(0), name };
  if (name.length > 256) return null;
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== 0x2f) continue;
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) return { prefix: name.subarray(0, i), name: name.subarray(i + 1) };
    if (i < name.length - 101) break;
  }
  return null;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'ascii'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'ascii'), body]);
}

function writeHeader(buf: Buffer, off: number, name: Buffer, prefix: Buffer, size: number, mode: number, mtime: number, type: string): void {
  buf.fill(0, off, off + BLOCK);
  name.copy(buf, off, 0, Math.min(name.length, 100));
  octal(buf, off + 100, 8, mode & 0o7777);
  octal(buf, off + 108, 8, 0);
  octal(buf, off + 116, 8, 0);
  octal(buf, off + 124, 12, size > MAX_OCTAL_SIZE ? 0 : size);
  octal(buf, off + 136, 12, mtime);
  buf.write('        ', off + 148, 'ascii');
  buf.write(type, off + 156, 'ascii');
  buf.write('ustar\u000000', off + 257, 'ascii');
  prefix.copy(buf, off + 345, 0, Math.min(prefix.length, 155));
  let sum = 0;
  for (let i = off; i < off + BLOCK; i++) sum += buf[i] as number;
  buf.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, off + 148, 'ascii');
}

/** Bytes taken by the header(s) of a file entry (512, or more with a pax header). */
export function headerSize(name: string, size: number): number {
  return headerBytes(Buffer.from(name, 'utf8'), size).length;
}

function headerBytes(nameBuf: Buffer, size: number): { length: number; pax: Buffer | null; split: { prefix: Buffer; name: Buffer } | null } {
  const split = size > MAX_OCTAL_SIZE ? null : splitUstar(nameBuf);
  if (split) return { length: BLOCK, pax: null, split };
  const recs = [paxRecord('path', nameBuf)];
  if (size > MAX_OCTAL_SIZE) recs.push(paxRecord('size', Buffer.from(String(size), 'ascii')));
  const pax = Buffer.concat(recs);
  return { length: BLOCK + pax.length + padding(pax.length) + BLOCK, pax, split: null };
}

/**
 * Write the header(s) of a regular file entry into `buf` at `off` (the caller made sure
 * `headerSize` bytes fit). Returns the offset just past them, where the data goes.
 */
export function writeFileHeader(buf: Buffer, off: number, name: string, size: number, mode: number, mtimeSec: number): number {
  const nameBuf = Buffer.from(name, 'utf8');
  const h = headerBytes(nameBuf, size);
  if (h.split) {
    writeHeader(buf, off, h.split.name, h.split.prefix, size, mode, mtimeSec, '0');
    return off + BLOCK;
  }
  const pax = h.pax as Buffer;
  writeHeader(buf, off, Buffer.from('PaxHeader', 'ascii'), Buffer.alloc(0), pax.length, 0o644, mtimeSec, 'x');
  off += BLOCK;
  pax.copy(buf, off);
  off += pax.length;
  buf.fill(0, off, off + padding(pax.length));
  off += padding(pax.length);
  // A short stand-in name for tars that ignore pax (the pax path wins everywhere else).
  writeHeader(buf, off, nameBuf.subarray(0, 100), Buffer.alloc(0), size, mode, mtimeSec, '0');
  return off + BLOCK;
}

/** The two zero blocks that end an archive. */
export function trailer(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}
