/** Exhaustiveness check for closed unions: a new member that a `switch` forgets fails to compile. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
