/**
 * The shell's prompt: `tabdock $ `, with the last command's exit status in red when it
 * was not 0 (`tabdock [3] $ `), as shells that show `$?` in their prompt do.
 */
export function promptText(status: number): string {
  const name = '\x1b[1;34mtabdock\x1b[0m';
  return status === 0 ? `${name} $ ` : `${name} \x1b[31m[${status}]\x1b[0m $ `;
}
