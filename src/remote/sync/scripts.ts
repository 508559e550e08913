// The two shell programs a deploy runs on a node. Both are fixed text run as `sh -c SCRIPT
// NAME ARGS…`; every value (the folder, the nonce) reaches them as a positional argument quoted
// with src/core/shell.ts, so the user's login shell (bash, zsh, fish) never parses our code.
import { sh } from '../../core/shell';
import { DEPLOY_STATE_DIR } from '../../core/sync/manifest';

/** Python fallback for nodes without GNU find: same record format as the find -printf below. */
const PY_SCAN = [
  'import os,sys,stat',
  'out=sys.stdout.buffer',
  "for p in sys.stdin.buffer.read().split(b'\\0'):",
  '  if not p: continue',
  '  try: s=os.lstat(p)',
  '  except OSError: continue',
  "  m=s.st_mode; t='f' if stat.S_ISREG(m) else 'd' if stat.S_ISDIR(m) else 'l' if stat.S_ISLNK(m) else 'o'",
  '  ns=s.st_mtime_ns',
  "  out.write(('%s %d %d.%09d %o ' % (t,s.st_size,ns//1000000000,ns%1000000000,stat.S_IMODE(m))).encode()+p+b'\\0')",
].join('\n');

/**
 * Shell function `list FILE…`: reads the NUL-separated paths held in each FILE (missing FILEs
 * are skipped) and prints `TYPE SIZE MTIME MODE ./PATH\0` for each path that exists. GNU find
 * 4.9+ reads the paths itself (one process per FILE); older GNU find goes through xargs.
 */
const LIST_FN = `
list() {
  if [ -z "$CL_HOW" ]; then
    if find -files0-from /dev/null -maxdepth 0 -printf '' >/dev/null 2>&1; then CL_HOW=f0
    elif find . -maxdepth 0 -printf '' >/dev/null 2>&1; then CL_HOW=xargs
    elif command -v python3 >/dev/null 2>&1; then CL_HOW=py
    else CL_HOW=none; fi
  fi
  case $CL_HOW in
  f0) for f; do [ -f "$f" ] && find -files0-from "$f" -maxdepth 0 -printf '%y %s %T@ %m %p\\000' 2>/dev/null; done ;;
  xargs) cat -- "$@" 2>/dev/null | xargs -0 -r sh -c 'find "$@" -maxdepth 0 -printf "%y %s %T@ %m %p\\000"' sh 2>/dev/null ;;
  py) cat -- "$@" 2>/dev/null | python3 -c "$CL_PY" ;;
  *) echo "CLUSTERLAB_WARN cannot list files (no GNU find, no python3): every file is sent again" >&2 ;;
  esac
  return 0
}
`;

/**
 * Scan: prints the manifest (manifest.json, then a newline and the journal if there is one), or
 * CLUSTERLAB_SAMEGEN when its generation is the one we hold a copy of; a NUL; then either
 * CLUSTERLAB_SAME (the listing of every tracked file, sorted, has the sha256 we expect: each
 * one exactly as we left it) or the listing itself. One round trip, and a few bytes when nothing
 * changed. CLUSTERLAB_NODIR: no folder yet. The first line tells what the node can do.
 */
const SCAN_FN = `
scan() {
MATCH=
if command -v gzip >/dev/null 2>&1; then echo 'CLUSTERLAB_CAPS gzip'; else echo CLUSTERLAB_CAPS; fi
cd "$D" 2>/dev/null || { echo CLUSTERLAB_NODIR; return 0; }
M=${DEPLOY_STATE_DIR}
G=
if [ -f "$M/generation" ]; then read -r G < "$M/generation" || :; fi
if [ -n "$KNOWN" ] && [ "$G" = "$KNOWN" ]; then printf CLUSTERLAB_SAMEGEN
elif [ -f "$M/manifest.json" ]; then
  cat "$M/manifest.json"
  if [ -s "$M/manifest.journal" ]; then echo; cat "$M/manifest.journal"; fi
fi
printf '\\000'
T="$M/scan.$$"
if ! list "$M/paths0" "$M/paths0.add" > "$T" 2>/dev/null; then rm -f "$T"; list "$M/paths0" "$M/paths0.add"; return 0; fi
if [ -n "$SUM" ] && [ "$G" = "$KNOWN" ] && [ "$(LC_ALL=C sort -z -u < "$T" | sha256sum 2>/dev/null)" = "$SUM  -" ]; then printf CLUSTERLAB_SAME; MATCH=1; else cat "$T"; fi
rm -f "$T"
return 0
}
`;

const SCAN = `
D=$1; export CL_PY="$2"; KNOWN=$3; SUM=$4
${LIST_FN}
${SCAN_FN}
scan
exit 0
`;

/** `knownGeneration`/`listingSum`: what we hold from our last deploy (see SCAN). */
export function scanCommand(dir: string, knownGeneration = '', listingSum = ''): string {
  return sh`sh -c ${SCAN} clusterlab-scan ${dir} ${PY_SCAN} ${knownGeneration} ${listingSum}`;
}

/** `sh -c MOVE DESTDIR FILE…`: rename files (each one atomic) into DESTDIR. */
const MOVE_FILES = 'exec mv -f -- "$@" "$0"';
/**
 * `sh -c PLACE sh DIR…` in the staging tree, parents before children: a folder the target does
 * not have yet is renamed there whole (one rename shows all its files at once, each complete);
 * otherwise its files are renamed one by one into the existing folder. Folders inside one
 * already moved are no longer here and are skipped.
 */
const PLACE_DIRS = `for d; do
  [ -d "$d" ] || continue
  if [ "$d" != . ] && [ ! -e "$CL_DEST/$d" ] && [ ! -L "$CL_DEST/$d" ]; then mv -f -- "$d" "$CL_DEST/$d" || exit 1; continue; fi
  find "$d" -maxdepth 1 ! -type d -exec sh -c "$CL_MV" "$CL_DEST/$d" {} + || exit 1
done`;

/**
 * Apply: stdin is a tar (gzip-compressed when $6 is `gzip`) holding files/<path> and
 * meta/{delete0,rmdirs0,sent0,generation} plus either manifest.json + paths0 (written afresh)
 * or manifest.delta + paths0.add (appended to manifest.journal and paths0.add). It is unpacked
 * into a staging folder next to the target (same filesystem), then removed files are deleted,
 * and every new file is renamed into place (a whole new folder in one rename): a file is never
 * visible half-written under its final name. The manifest is written last, then the node lists
 * the files just placed (so we know the listing the next scan should find) and prints
 * CLUSTERLAB_OK. The staging folder is removed on exit, and staging folders left by a killed
 * deploy (their shell's pid is gone) are removed by the next one.
 */
const APPLY_FN = `
fail() { echo "CLUSTERLAB_ERR $1" >&2; exit 1; }
apply() {
command -v tar >/dev/null 2>&1 || fail no_tar
mkdir -p "$D/${DEPLOY_STATE_DIR}" || fail mkdir
cd "$D" || fail cd
for old in ${DEPLOY_STATE_DIR}/incoming.*; do
  [ -d "$old" ] || continue
  p=\${old##*/incoming.}; p=\${p%%.*}
  kill -0 "$p" 2>/dev/null || rm -rf "$old"
done
S="${DEPLOY_STATE_DIR}/incoming.$$.$N"
rm -rf "$S" && mkdir "$S" || fail mkdir
trap 'rm -rf "$CL_DEST/$S"' EXIT
trap 'exit 1' HUP INT TERM PIPE
if [ "$Z" = gzip ]; then
  { gzip -dc || : > "$S/gzip-failed"; } | tar -x -p -o -f - -C "$S" || fail tar
  [ ! -e "$S/gzip-failed" ] || fail gzip
else
  tar -x -p -o -f - -C "$S" || fail tar
fi
if [ -s "$S/meta/delete0" ]; then xargs -0 rm -f -- < "$S/meta/delete0" || fail delete; fi
if [ -s "$S/meta/rmdirs0" ]; then xargs -0 rmdir -- < "$S/meta/rmdirs0" 2>/dev/null; fi
if [ -d "$S/files" ]; then
  (cd "$S/files" && find . -type d -print0 > ../meta/dirs0 && xargs -0 sh -c "$CL_PLACE" sh < ../meta/dirs0) || fail place
fi
M=${DEPLOY_STATE_DIR}
if [ -f "$S/meta/manifest.json" ]; then
  mv -f "$S/meta/paths0" "$M/paths0" && mv -f "$S/meta/manifest.json" "$M/manifest.json" && rm -f "$M/manifest.journal" "$M/paths0.add" || fail manifest
else
  [ -f "$M/manifest.json" ] || fail manifest
  cat "$S/meta/manifest.delta" >> "$M/manifest.journal" && cat "$S/meta/paths0.add" >> "$M/paths0.add" || fail manifest
fi
mv -f "$S/meta/generation" "$M/generation" || fail manifest
rm -f "$M/expected" "$M/expected.gen"
list "$S/meta/sent0"
echo CLUSTERLAB_OK
}
`;

const APPLY = `
D=$1; N=$2; Z=$6
export CL_MV="$3" CL_PLACE="$4" CL_DEST="$1" CL_PY="$5"
${LIST_FN}
${APPLY_FN}
apply
`;

/** `gzip`: stdin is gzip-compressed (the scan reported the node has gzip). */
export function applyCommand(dir: string, nonce: string, gzip = false): string {
  return sh`sh -c ${APPLY} clusterlab-deploy ${dir} ${nonce} ${MOVE_FILES} ${PLACE_DIRS} ${PY_SCAN} ${gzip ? 'gzip' : 'plain'}`;
}

/** Ends the scan part of a sync's output (it cannot occur inside it: see SYNC). */
export const SCAN_END = '\0CLUSTERLAB_SCAN_END\n';
/** Printed after SCAN_END when a speculative tar was refused (the node is not as we left it). */
export const SPEC_REFUSED = 'CLUSTERLAB_SPEC_REFUSED\n';

/**
 * Sync: scan and apply in ONE exec (one channel, one shell start). The scan's output (see SCAN)
 * is printed first, then SCAN_END. Then a header line is read from stdin:
 *   `NONE`          nothing to apply (also: stdin closed); exit
 *   `PLAN Z`        a tar follows (Z = gzip | plain), worked out from this scan: apply it
 *   `SPEC Z`        a tar follows, worked out from our copy of the manifest before the scan
 *                   answered: applied only when the scan found the node exactly as we left it
 *                   (same generation, listing sum matches); otherwise it is read and dropped,
 *                   SPEC_REFUSED is printed, and nothing on the node changes.
 * The scan reads nothing from stdin (it runs with /dev/null), so the header and the tar can be
 * sent while it runs. A record never starts with "CLUSTERLAB" (it starts with "TYPE "), and the
 * manifest part holds no NUL, so SCAN_END marks the end of the scan unambiguously.
 */
const SYNC = `
D=$1; export CL_PY="$2"; KNOWN=$3; SUM=$4; N=$5
export CL_MV="$6" CL_PLACE="$7" CL_DEST="$1"
${LIST_FN}
${SCAN_FN}
${APPLY_FN}
scan < /dev/null
printf '\\000CLUSTERLAB_SCAN_END\\n'
H=
IFS= read -r H || :
case $H in
'PLAN '*) ;;
'SPEC '*) if [ "$MATCH" != 1 ]; then cat > /dev/null; printf 'CLUSTERLAB_SPEC_REFUSED\\n'; exit 0; fi ;;
*) exit 0 ;;
esac
Z=\${H#* }
apply
`;

/** One exec that scans, then applies what stdin brings (see SYNC). */
export function syncCommand(dir: string, nonce: string, knownGeneration = '', listingSum = ''): string {
  return sh`sh -c ${SYNC} clusterlab-sync ${dir} ${PY_SCAN} ${knownGeneration} ${listingSum} ${nonce} ${MOVE_FILES} ${PLACE_DIRS}`;
}
