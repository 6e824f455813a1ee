/**
 * What a started mesh must undo, in the reverse of the order it was set up: each stage pushes
 * its own undo as soon as the thing exists, so a failure at any later stage undoes exactly
 * what was started, and stop() drains the entries before the apps before their sidecars.
 */
export class Cleanup {
  private readonly steps: (() => Promise<void> | void)[] = [];

  push(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  /**
   * Last in, first out; a second call finds nothing left to do. A step that fails does not skip
   * the rest (the apps must still stop when a listener would not close): the failures are
   * thrown together at the end.
   */
  async run(): Promise<void> {
    const failures: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} clean-up steps failed`);
  }
}
