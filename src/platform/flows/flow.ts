/**
 * A flow's transition table: one row per move, `[state, event, next state]`. An event that names
 * several states may lead each to its own next state (a registration step edited again keeps the
 * progress); an event not listed for a state is refused.
 */
export type TransitionRow<S extends string, E extends string> = readonly [from: S, event: E, to: S];

/** An event the flow's table does not allow in the state the flow is in. */
export class IllegalTransition extends Error {
  override name = 'IllegalTransition';
  readonly flow: string;
  readonly state: string;
  readonly event: string;

  constructor(flow: string, state: string, event: string, allowedFrom: readonly string[]) {
    const allowed = allowedFrom.length
      ? `only in ${allowedFrom.map((s) => `"${s}"`).join(', ')}`
      : 'in no state';
    super(`${flow}: "${event}" is not allowed in state "${state}" (${allowed})`);
    this.flow = flow;
    this.state = state;
    this.event = event;
  }
}

/**
 * A flow with explicit states (ory/kratos's self-service flows): its states, its events and the
 * transitions between them, and `next`, the one place that says where an event leads. The table's
 * store (`FlowTable`) moves a persisted flow by the same table.
 */
export class Flow<S extends string, E extends string> {
  readonly name: string;
  readonly rows: readonly TransitionRow<S, E>[];
  /** Every state a row names, in the order of the table. */
  readonly states: readonly S[];
  /** Every event, in the order of the table. */
  readonly events: readonly E[];
  readonly #moves = new Map<E, Map<S, S>>();

  constructor(name: string, rows: readonly TransitionRow<S, E>[]) {
    this.name = name;
    this.rows = rows;
    const states = new Set<S>();
    for (const [from, event, to] of rows) {
      states.add(from).add(to);
      const moves = this.#moves.get(event) ?? new Map<S, S>();
      if (moves.has(from)) throw new Error(`${name}: "${event}" is listed twice for state "${from}"`);
      this.#moves.set(event, moves.set(from, to));
    }
    this.states = [...states];
    this.events = [...this.#moves.keys()];
  }

  /** The state `event` leads to from `state`; throws `IllegalTransition` when the table does not allow it. */
  next(state: S, event: E): S {
    const to = this.#moves.get(event)?.get(state);
    if (to === undefined) throw new IllegalTransition(this.name, state, event, this.from(event));
    return to;
  }

  allows(state: S, event: E): boolean {
    return this.#moves.get(event)?.has(state) ?? false;
  }

  /** The states `event` may start in. */
  from(event: E): S[] {
    return [...(this.#moves.get(event)?.keys() ?? [])];
  }

  /** Each state `event` may start in, with the state it leads to. */
  moves(event: E): ReadonlyMap<S, S> {
    return this.#moves.get(event) ?? new Map();
  }
}
