/**
 * Which stack holds each mapping, kept so that no edit of the mappings file moves a mapping by accident.
 *
 * The app records the placement in a file beside the mappings file (`<file>.placement.json`, as the CDK keeps
 * lookups in `cdk.context.json`); the operator commits it with the mappings. A recorded mapping stays in its stack
 * whatever is inserted, removed or reordered around it; a mapping without a record goes to the first stack with
 * room, or a new stack `<name>-<n>` when all are full. Without a record the placement is the file order of release
 * 0.1.0 (`stack.mappingsPerStack` per stack), so a fleet deployed before the record existed moves nothing.
 * A move is an explicit `moves` entry, refused while the mapping is placed elsewhere (one deploy cannot move it:
 * its physical names are the same in every stack). A stack whose mappings are all removed stays in the app, empty,
 * until the operator deletes it. Per stack, the record also keeps the number of each deploy-time cluster lookup
 * (infra/model/cluster-lookups.ts), so that no edit of other mappings renumbers one. Why:
 * docs/decisions.md#placement-record.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { MappingsError, type Mapping, type SyncConfig } from './config.ts';
import {
  lookupNumberProblems,
  lookupNumbers,
  PROVIDER_LOGS,
  providerLogs,
  type LookupNumbers,
  type ProviderLogs,
} from './cluster-lookups.ts';

/** CloudFormation's longest stack name. */
export const MAX_STACK_NAME_LENGTH = 128;

/** The placement record as written: stack name -> mapping ids, and the moves the operator asked for. */
export interface PlacementRecord {
  /** Every stack of the app, the core first, with the ids of the mappings it holds. */
  readonly stacks: Readonly<Record<string, readonly string[]>>;
  /** Mapping id -> the stack it is to be created in, written by the operator (docs/deploy.md#move-a-mapping). */
  readonly moves?: Readonly<Record<string, string>>;
  /**
   * Mapping id -> the stack it was removed from: a mapping put back goes there, so that putting it back before its
   * removal is deployed cannot create it in a second stack.
   */
  readonly removed?: Readonly<Record<string, string>>;
  /**
   * Stack name -> cluster key -> the number of its deploy-time lookup (`Cluster<n>`), given once and never reused
   * (infra/model/cluster-lookups.ts). A stack without an entry is numbered as release 0.1.0 numbered it.
   */
  readonly clusterLookups?: Readonly<Record<string, LookupNumbers>>;
  /**
   * Stack name -> the log group of its custom-resource provider function (infra/model/cluster-lookups.ts), kept so
   * that removing a stack's first mapping never moves it. A stack without an entry gets release 0.1.0's choice.
   */
  readonly providerLogs?: Readonly<Record<string, ProviderLogs>>;
}

/** One stack of the app and the mappings it holds. */
export interface FleetStack {
  readonly stackName: string;
  readonly mappings: readonly Mapping[];
  /** The numbers of the stack's cluster lookups (EksSecretSync prop `clusterLookups`). */
  readonly clusterLookups: LookupNumbers;
  /** The log group of the stack's custom-resource provider (EksSecretSync prop `providerLogs`). */
  readonly providerLogs: ProviderLogs;
}

/** Where a file's mappings go, and the record to write back. */
export interface Placement {
  readonly stacks: readonly FleetStack[];
  readonly record: PlacementRecord;
  /** Mappings placed by this synth (not in the record before), with their stack. */
  readonly placed: readonly { readonly id: string; readonly stackName: string }[];
  /** Stacks (never the core) that hold no mapping any more and are still in the app. */
  readonly emptyStacks: readonly string[];
}

/** The name of the `index`-th (from 0) stack of a file whose `stack.name` is `base`. */
export function fleetStackName(base: string, index: number): string {
  return index === 0 ? base : `${base}-${index + 1}`;
}

/** The index of a stack name of the app `base`, or undefined when the name is not one of its stacks. */
function stackIndex(base: string, stackName: string): number | undefined {
  if (stackName === base) return 0;
  const n = stackName.startsWith(`${base}-`) ? stackName.slice(base.length + 1) : '';
  return /^[1-9][0-9]*$/.test(n) && Number(n) >= 2 ? Number(n) - 1 : undefined;
}

/** The path of the placement record of a mappings file: `mappings.yaml` -> `mappings.placement.json`. */
export function placementPath(mappingsFile: string): string {
  return join(dirname(mappingsFile), `${basename(mappingsFile, extname(mappingsFile))}.placement.json`);
}

const ABOUT =
  'Which stack holds each mapping, written by eks-secret-sync at synth: commit it with the mappings file. ' +
  'Do not move ids between stacks here; use "moves" (docs/deploy.md#move-a-mapping).';

/**
 * Reads the placement record beside a mappings file.
 *
 * @returns undefined when there is none (a fleet of release 0.1.0, or a new one).
 * @throws MappingsError when the file is not a placement record.
 */
export function readPlacement(mappingsFile: string): PlacementRecord | undefined {
  const path = placementPath(mappingsFile);
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new MappingsError(
      path,
      [`is not JSON (${(e as Error).message}); restore it from version control`],
      'placement record',
    );
  }
  const r = raw as {
    stacks?: unknown;
    moves?: unknown;
    removed?: unknown;
    clusterLookups?: unknown;
    providerLogs?: unknown;
  };
  const isIdLists = (v: unknown) =>
    typeof v === 'object' &&
    v !== null &&
    Object.values(v).every((l) => Array.isArray(l) && l.every((x) => typeof x === 'string'));
  const isMoves = (v: unknown) =>
    v === undefined || (typeof v === 'object' && v !== null && Object.values(v).every((s) => typeof s === 'string'));
  const isLookups = (v: unknown) =>
    v === undefined ||
    (typeof v === 'object' &&
      v !== null &&
      Object.values(v).every((n) => typeof n === 'object' && n !== null && lookupNumberProblems(n).length === 0));
  const isLogs = (v: unknown) =>
    v === undefined ||
    (typeof v === 'object' &&
      v !== null &&
      Object.values(v).every((l) => (PROVIDER_LOGS as readonly unknown[]).includes(l)));
  const valid = [isIdLists(r.stacks), isMoves(r.moves), isMoves(r.removed), isLookups(r.clusterLookups)];
  if (valid.includes(false) || !isLogs(r.providerLogs))
    throw new MappingsError(
      path,
      [
        'expected {"stacks": {"<stack>": ["<mapping id>", ...]}, "moves": {"<mapping id>": "<stack>"}, ' +
          '"removed": {"<mapping id>": "<stack>"}, "clusterLookups": {"<stack>": {"<cluster>": <n>}}, ' +
          `"providerLogs": {"<stack>": "${PROVIDER_LOGS.join('" or "')}"}} (all but stacks optional; lookup ` +
          'numbers distinct whole numbers from 1 per stack): restore it from version control',
      ],
      'placement record',
    );
  return {
    stacks: r.stacks as PlacementRecord['stacks'],
    moves: r.moves as PlacementRecord['moves'],
    removed: r.removed as PlacementRecord['removed'],
    clusterLookups: r.clusterLookups as PlacementRecord['clusterLookups'],
    providerLogs: r.providerLogs as PlacementRecord['providerLogs'],
  };
}

/** The record's text as the app writes it. */
export function placementText(record: PlacementRecord): string {
  const optional = (key: 'moves' | 'removed' | 'clusterLookups' | 'providerLogs') =>
    record[key] && Object.keys(record[key]).length > 0 ? { [key]: record[key] } : {};
  const json = {
    $comment: ABOUT,
    stacks: record.stacks,
    ...optional('moves'),
    ...optional('removed'),
    ...optional('clusterLookups'),
    ...optional('providerLogs'),
  };
  return `${JSON.stringify(json, undefined, 2)}\n`;
}

/**
 * Writes the record beside the mappings file when it changed.
 *
 * @param mode `write` (synth's default), or `check` (CI): refuse a record that would change instead of writing it.
 * @returns whether the file was written.
 * @throws MappingsError in `check` mode when the committed record is not what this synth placed.
 */
export function savePlacement(mappingsFile: string, record: PlacementRecord, mode: 'write' | 'check'): boolean {
  const path = placementPath(mappingsFile);
  const text = placementText(record);
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return false;
  if (mode === 'check')
    throw new MappingsError(
      path,
      [
        'is not what this synth placed (a mapping or a looked-up cluster was added or removed, or the record is ' +
          'missing): run npx cdk ' +
          'synth without -c placement=check and commit the record it writes',
      ],
      'placement record',
    );
  writeFileSync(path, text);
  return true;
}

/**
 * Places a file's mappings in stacks. Without a record: file order, `stack.mappingsPerStack` per stack (release
 * 0.1.0's placement). With one: recorded mappings stay, new ones fill the first stack with room, in file order.
 *
 * @throws MappingsError when the record belongs to another `stack.name`, lists a mapping twice, a move would move a
 *   placed mapping in one deploy or names a stack that is full or not the app's, a removed mapping comes back to a
 *   full stack, the core would hold no mapping, or a stack name is too long.
 */
export function placeFleet(config: SyncConfig, record?: PlacementRecord): Placement {
  const placer = new Placer(config, record);
  for (const m of config.mappings) placer.place(m.id);
  return placer.result(record !== undefined);
}

/** The placement of one file, mapping by mapping: stacks by index (0 = the core), each with its mapping ids. */
class Placer {
  private readonly name: string;
  private readonly perStack: number;
  private readonly where: string;
  private readonly ids = new Map<number, string[]>([[0, []]]);
  private readonly recorded = new Map<string, number>();
  private readonly removed = new Map<string, number>();
  private readonly moves: Record<string, string>;
  private readonly inFile: Set<string>;
  private readonly placed: { id: string; stackName: string }[] = [];
  private readonly lookups: Readonly<Record<string, LookupNumbers>>;
  private readonly logs: Readonly<Record<string, ProviderLogs>>;

  private readonly config: SyncConfig;

  constructor(config: SyncConfig, record: PlacementRecord | undefined) {
    this.config = config;
    this.lookups = record?.clusterLookups ?? {};
    this.logs = record?.providerLogs ?? {};
    ({ name: this.name, mappingsPerStack: this.perStack } = config.stack);
    this.where = record === undefined ? '' : ` (placement record ${placementPath(config.source)})`;
    this.moves = { ...record?.moves };
    this.inFile = new Set(config.mappings.map((m) => m.id));
    for (const [stackName, list] of Object.entries(record?.stacks ?? {})) this.readStack(stackName, list);
    // Recorded mappings first, in record order, so that the order within a stack never follows the file's.
    for (const [id, index] of this.recorded) if (this.inFile.has(id)) this.ids.get(index)!.push(id);
    // Where removed mappings were: earlier removals whose stack is still in the app, and this synth's.
    for (const [id, stackName] of Object.entries(record?.removed ?? {})) {
      const index = stackIndex(this.name, stackName);
      if (index !== undefined && this.ids.has(index) && !this.recorded.has(id)) this.removed.set(id, index);
    }
    for (const [id, index] of this.recorded) if (!this.inFile.has(id)) this.removed.set(id, index);
  }

  private fail(problem: string): never {
    throw new MappingsError(this.config.source, [problem]);
  }

  private stack(index: number): string {
    return fleetStackName(this.name, index);
  }

  private readStack(stackName: string, list: readonly string[]): void {
    const index = stackIndex(this.name, stackName);
    if (index === undefined)
      this.fail(
        `stack.name is ${JSON.stringify(this.name)} but the app placed its mappings in stack ${stackName}` +
          `${this.where}: renaming the app deploys a second fleet beside the first (docs/deploy.md#rename-the-app). ` +
          'Keep the old name, or follow that section and delete the placement record to place the renamed app afresh',
      );
    this.ids.set(index, []);
    for (const id of list) {
      const other = this.recorded.get(id);
      if (other !== undefined)
        this.fail(`mapping "${id}" is placed in two stacks, ${this.stack(other)} and ${stackName}${this.where}`);
      this.recorded.set(id, index);
    }
  }

  private hasRoom(index: number): boolean {
    return (this.ids.get(index)?.length ?? 0) < this.perStack;
  }

  private put(id: string, index: number): void {
    if (!this.ids.has(index)) this.ids.set(index, []);
    this.ids.get(index)!.push(id);
    this.placed.push({ id, stackName: this.stack(index) });
    this.removed.delete(id);
  }

  /** Places one mapping of the file: where the record has it, where a move asks, back where it was, or new. */
  place(id: string): void {
    const at = this.recorded.get(id);
    const was = this.removed.get(id);
    if (this.moves[id] !== undefined) this.move(id, this.moves[id], at);
    else if (at !== undefined) return;
    else if (was === undefined) {
      const room = [...this.ids.keys()].sort((a, b) => a - b).find((i) => this.hasRoom(i));
      // A new stack is numbered after every recorded one, never in a gap a deleted stack left.
      this.put(id, room ?? Math.max(...this.ids.keys()) + 1);
    } else if (this.hasRoom(was)) this.put(id, was);
    else
      this.fail(
        `mapping "${id}" was removed from stack ${this.stack(was)}${this.where} and is back, but that stack is ` +
          'full now: put back anywhere else while its removal is not deployed, it would be created in two stacks. ' +
          `Once the removal is deployed, delete "${id}" from "removed" in the record: it is then placed as a new ` +
          'mapping',
      );
  }

  private move(id: string, target: string, at: number | undefined): void {
    const index = stackIndex(this.name, target);
    if (index === undefined)
      this.fail(`moves: "${id}" names stack ${target}, which is not a stack of ${this.name}${this.where}`);
    if (at === index) {
      delete this.moves[id];
      return;
    }
    if (at !== undefined)
      this.fail(
        `moves: mapping "${id}" is in stack ${this.stack(at)}${this.where}; one deploy cannot move it to ` +
          `${target}: its state machine, rule and function names are the same in every stack, so ${target} would ` +
          `create them while ${this.stack(at)} still owns them. Move it in two deploys: 1. take "${id}" out of ` +
          `${this.config.source} (keep the move) and deploy; 2. put it back and deploy: it is then created in ` +
          `${target}. Or delete the move to leave it where it is`,
      );
    if (!this.hasRoom(index))
      this.fail(`moves: stack ${target} already holds ${this.perStack} mappings (stack.mappingsPerStack)`);
    this.put(id, index);
    delete this.moves[id];
  }

  /** The stacks, the record to write back, and what the operator is told. */
  result(hadRecord: boolean): Placement {
    const byId = new Map(this.config.mappings.map((m) => [m.id, m]));
    const stacks = [...this.ids.keys()]
      .sort((a, b) => a - b)
      .map((i) => {
        const mappings = this.ids.get(i)!.map((id) => byId.get(id)!);
        const stackName = this.stack(i);
        return {
          stackName,
          mappings,
          clusterLookups: lookupNumbers(mappings, recordedFor(this.lookups, stackName)),
          providerLogs: providerLogs(mappings, recordedFor(this.logs, stackName)),
        };
      });
    if (stacks[0]!.mappings.length === 0)
      this.fail(
        `stack ${this.name} (the app's core: seal key, dead-letter queue, alarms) would hold no mapping: every ` +
          `mapping the placement record puts there was removed${this.where}. Its shared parts need one: keep one ` +
          `of them in the file, or add a new mapping in the same change (it goes to ${this.name})`,
      );
    this.checkNameLength(stacks);
    const moves = Object.fromEntries(Object.entries(this.moves).filter(([id]) => !this.inFile.has(id)));
    const removed = Object.fromEntries([...this.removed].map(([id, i]) => [id, this.stack(i)]));
    const clusterLookups = Object.fromEntries(
      stacks.filter((s) => Object.keys(s.clusterLookups).length > 0).map((s) => [s.stackName, s.clusterLookups]),
    );
    return {
      stacks,
      record: {
        stacks: Object.fromEntries(stacks.map((s) => [s.stackName, s.mappings.map((m) => m.id)])),
        ...(Object.keys(moves).length > 0 ? { moves } : {}),
        ...(Object.keys(removed).length > 0 ? { removed } : {}),
        ...(Object.keys(clusterLookups).length > 0 ? { clusterLookups } : {}),
        providerLogs: Object.fromEntries(stacks.map((s) => [s.stackName, s.providerLogs])),
      },
      placed: hadRecord ? this.placed : [],
      emptyStacks: stacks
        .slice(1)
        .filter((s) => s.mappings.length === 0)
        .map((s) => s.stackName),
    };
  }

  private checkNameLength(stacks: readonly FleetStack[]): void {
    const { name } = this;
    const longest = stacks.reduce((a, s) => (s.stackName.length > a.length ? s.stackName : a), name);
    if (longest.length > MAX_STACK_NAME_LENGTH)
      this.fail(
        `stack.name: ${JSON.stringify(name)} is ${name.length} characters; its ${this.config.mappings.length} ` +
          `mappings make ${stacks.length} stacks, the last named ${longest} (${longest.length} characters, more ` +
          `than the ${MAX_STACK_NAME_LENGTH} CloudFormation allows): shorten stack.name to at most ` +
          `${MAX_STACK_NAME_LENGTH - (longest.length - name.length)} characters`,
      );
  }
}

/** A stack's entry in a record field (Object.hasOwn: a stack name is text, never a key of Object.prototype). */
function recordedFor<T>(field: Readonly<Record<string, T>>, stackName: string): T | undefined {
  return Object.hasOwn(field, stackName) ? field[stackName] : undefined;
}

/** What synth tells the operator about an empty stack: it is still deployed, and how to remove it. */
export function emptyStackMessage(stackName: string, mappingsFile: string): string {
  return (
    `stack ${stackName} holds no mapping any more; it stays in the app, deployed and empty, until you remove it: ` +
    `npx cdk destroy ${stackName}, then delete "${stackName}" from ${placementPath(mappingsFile)}`
  );
}
