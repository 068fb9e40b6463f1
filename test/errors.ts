/** Test helpers: the error a call throws, for assertions on its type and message. */

/** The error `fn` throws; throws itself when `fn` returns normally. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw, the call returned normally');
}

/** The error `fn` throws or its promise rejects with (for calls that may be sync or async). */
export async function rejection(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw or a rejection, the call succeeded');
}
