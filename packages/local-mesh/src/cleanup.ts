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

  /** Last in, first out; a second call finds nothing left to do. */
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step();
  }
}
