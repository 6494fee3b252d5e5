/*
 * A progress line on stderr while waiting: redrawn in place with a spinner on a terminal,
 * one line per change of state elsewhere (logs of a CI job stay readable). A hand-written
 * line rather than ora: it must also work without a terminal, and it is this small.
 */

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface ProgressLine {
  update(text: string): void;
  /** Clears the line (on a terminal) and prints `text` if given. */
  done(text?: string): void;
}

export function progressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  const tty = stream.isTTY === true;
  let text = "";
  let frame = 0;
  const draw = () => stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${text}`);
  const timer = tty ? setInterval(draw, 100) : undefined;
  timer?.unref();
  return {
    update(next) {
      if (next === text) return;
      text = next;
      if (tty) draw();
      else stream.write(`${next}\n`);
    },
    done(final) {
      clearInterval(timer);
      if (tty) stream.write("\r\x1b[2K");
      if (final !== undefined) stream.write(`${final}\n`);
    },
  };
}
