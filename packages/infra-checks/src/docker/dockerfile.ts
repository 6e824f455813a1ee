import {
  Cmd,
  DockerfileParser,
  Entrypoint,
  From,
  ModifiableInstruction,
  type Instruction as Parsed,
  PropertyInstruction,
} from 'dockerfile-ast';

/**
 * A Dockerfile as a list of stages of instructions, read by `dockerfile-ast` (the parser behind
 * the Dockerfile language server): line continuations, comments, quoting, ENV/ARG properties and
 * exec-form JSON are its business.
 */
export interface Instruction {
  /** 1-based line of the keyword. */
  line: number;
  /** The keyword, upper case. */
  op: string;
  /** The arguments after any flags, as written, continuations joined. */
  args: string;
  /** `--name=value` flags (COPY --from, RUN --mount…). */
  flags: Record<string, string>;
  /** ENV and ARG: each name with its value (quotes removed), undefined for an ARG without one. */
  properties: [string, string | undefined][];
  /** CMD and ENTRYPOINT in exec form (`["node", "x.js"]`); undefined for shell form. */
  exec: string[] | undefined;
}

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const ins of DockerfileParser.parse(text).getInstructions()) {
    const line = ins.getRange().start.line + 1;
    const op = ins.getKeyword();
    if (ins instanceof From) {
      const image = ins.getImage();
      if (!image) throw new Error(`Dockerfile line ${line}: bad FROM`);
      stages.push({ from: image, name: ins.getBuildStage() ?? undefined, instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`Dockerfile line ${line}: ${op} before FROM`);
    stage.instructions.push({
      line,
      op,
      args: argumentsOf(ins, line),
      flags:
        ins instanceof ModifiableInstruction
          ? Object.fromEntries(ins.getFlags().map((f) => [f.getName(), f.getValue() ?? '']))
          : {},
      properties:
        ins instanceof PropertyInstruction
          ? ins.getProperties().map((p) => [p.getName(), p.getValue() ?? undefined])
          : [],
      exec: ins instanceof Cmd || ins instanceof Entrypoint ? execForm(ins) : undefined,
    });
  }
  return stages;
}

/**
 * The text after keyword and flags, continuations joined by the library. A comment line inside a
 * continuation is refused: Docker drops it, dockerfile-ast keeps it in the text (and `sh -c`
 * would end the command there), so the replay could run something else than Docker builds.
 */
function argumentsOf(ins: Parsed, line: number): string {
  const continued = (ins.getRawArgumentsContent() ?? '').split('\n').slice(1);
  if (continued.some((l) => /^\s*#/.test(l))) {
    throw new Error(
      `Dockerfile line ${line}: a comment inside a continued ${ins.getKeyword()} is not supported`,
    );
  }
  return (ins.getArgumentsContent() ?? '').trim();
}

function execForm(ins: Cmd | Entrypoint): string[] | undefined {
  const strings = ins.getJSONStrings();
  return ins.getOpeningBracket() && ins.getClosingBracket()
    ? strings.map((s) => s.getJSONValue())
    : undefined;
}

/** The stage chain ending at `stage`: its FROM ancestors first (FROM <stage name>). */
export function lineage(stages: readonly Stage[], stage: Stage): Stage[] {
  const parent = stages.find((s) => s.name !== undefined && s.name === stage.from);
  return parent ? [...lineage(stages, parent), stage] : [stage];
}
