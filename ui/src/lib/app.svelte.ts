// What the app learned at start-up that pages need: this computer's account,
// named in the audit log when the user acts as nobody in particular.

export const app = $state<{ account: string }>({ account: "" });

/** The "Acting as" choice for this computer's account. */
export function accountLabel(account: string): string {
  return account ? `Me (${account}, this computer's account)` : "Me (this computer's account)";
}
