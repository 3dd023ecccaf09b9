declare module 'async-exit-hook' {
  interface AsyncExitHook {
    (hook: (done: () => void) => void): void;
    unhookEvent(event: string): void;
    hookEvent(event: string, code?: number): void;
  }
  const asyncExitHook: AsyncExitHook;
  export default asyncExitHook;
}
