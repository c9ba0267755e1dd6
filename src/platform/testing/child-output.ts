import type { ChildProcess } from 'node:child_process';

/** What a child process prints, stdout and stderr together as they come; `text` grows as it runs. */
export function collectOutput(child: ChildProcess): { readonly text: string } {
  let text = '';
  const collect = (chunk: Buffer) => {
    text += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return {
    get text() {
      return text;
    },
  };
}
