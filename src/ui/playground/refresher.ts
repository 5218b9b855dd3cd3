/**
 * Runs `load` now and on every `kick`, one at a time: kicks that come while a load runs
 * make one more load after it (engine events come in bursts).
 */
export function refresher(load: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const kick = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    void load().finally(() => {
      running = false;
      if (again) {
        again = false;
        kick();
      }
    });
  };
  return kick;
}
