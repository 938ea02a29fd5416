/** Command-line options of the Electron app (npm start passes them through): only --home for now. */
export function homeFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--home') return argv[i + 1] || undefined;
    if (arg?.startsWith('--home=')) return arg.slice('--home='.length) || undefined;
  }
  return undefined;
}
