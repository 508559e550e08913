// Coalesces bursts of calls into one call after `ms` of quiet.
export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  flush(): void;
  cancel(): void;
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: A | undefined;
  const d = ((...args: A) => {
    last = args;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (last) fn(...last);
    }, ms);
  }) as Debounced<A>;
  d.flush = () => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
      if (last) fn(...last);
    }
  };
  d.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return d;
}
