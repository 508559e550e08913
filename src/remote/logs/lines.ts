// Byte-exact line splitting for log following. Only complete lines (ending in \n) are delivered;
// the partial tail is kept until its newline arrives. `offset` is the file offset just past the
// last delivered line, so a follower that resumes from it neither loses nor repeats a line.

export class LineSplitter {
  private partial: Buffer[] = [];
  private partialLen = 0;

  constructor(
    /** File offset of the first byte that will be pushed. */
    public offset = 0,
  ) {}

  /** Bytes received but not yet delivered (the incomplete last line). */
  get pendingBytes(): number {
    return this.partialLen;
  }

  /** Feed bytes; returns the complete lines they finish (without the trailing \n or \r\n). */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    let nl = chunk.indexOf(10);
    if (nl === -1) {
      if (chunk.length) {
        this.partial.push(chunk);
        this.partialLen += chunk.length;
      }
      return lines;
    }
    if (this.partialLen > 0) {
      const head = Buffer.concat([...this.partial, chunk.subarray(0, nl)]);
      lines.push(decodeLine(head, 0, head.length));
      this.offset += head.length + 1;
      this.partial = [];
      this.partialLen = 0;
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    while (nl !== -1) {
      lines.push(decodeLine(chunk, start, nl));
      this.offset += nl - start + 1;
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.partial.push(rest);
      this.partialLen += rest.length;
    }
    return lines;
  }

  /** The incomplete last line as a line of its own (when the stream is known to be finished). */
  flush(): string | null {
    if (this.partialLen === 0) return null;
    const b = Buffer.concat(this.partial);
    this.partial = [];
    this.partialLen = 0;
    this.offset += b.length;
    return decodeLine(b, 0, b.length);
  }

  /** Forget the partial tail and continue from `offset` (truncation, rotation, reconnect). */
  reset(offset: number): void {
    this.partial = [];
    this.partialLen = 0;
    this.offset = offset;
  }
}

function decodeLine(buf: Buffer, start: number, end: number): string {
  const e = end > start && buf[end - 1] === 13 ? end - 1 : end;
  return buf.toString('utf8', start, e);
}
