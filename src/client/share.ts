import { awake, onWake, type Note } from './connector.ts';

/**
 * One connection for the tabs of an origin: the tab holding the Web Lock named after the stream
 * leads (holds the connection and relays every {@link Note} over a BroadcastChannel of the same
 * name); the others follow. The browser releases the lock when the leader's tab closes or
 * crashes, and hands it to the next tab that asked: that tab reconnects from its own last id,
 * and every tab drops ids it has already dispatched, so a handover loses nothing and repeats nothing.
 */

/** What leading means for the tab's stream: the connection it holds. */
export interface Leading {
  close(): void;
  wake(others: boolean): void;
  listen(type: string): void;
}

/** The tab's stream, as the share sees it. */
export interface Member {
  apply(note: Note): void;
  /** Start the connection; every note it makes goes to `relay` (which applies it here too). */
  lead(relay: (note: Note) => void): Leading;
  /** Event names this tab listens for (the native transport dispatches only those). */
  types(): string[];
  lastId(): string | undefined;
}

/** What tabs say to each other besides the notes themselves. */
type Talk =
  | Note
  /** A tab joined: the leader answers with the current connection's notes. */
  | { k: 'hello'; from: string; types: string[] }
  | { k: 'sync'; to: string; notes: Note[] }
  /** A follower listens for more event names. */
  | { k: 'on'; types: string[] }
  /** A new leader asks followers for their event names. */
  | { k: 'lead' }
  /** A follower is online and visible: a leader waiting on its own hidden page may reconnect. */
  | { k: 'wake' };

/** How many notes of the current connection a leader keeps for tabs that join later. */
const KEPT = 128;

export class Tabs {
  readonly #id = Math.random().toString(36).slice(2);
  readonly #member: Member;
  readonly #channel: BroadcastChannel;
  readonly #abort = new AbortController();
  readonly #unwake: () => void;
  #leading: Leading | undefined;
  #release: (() => void) | undefined;
  #closed = false;
  /** The leader's notes since its connection's last `connecting`: a joining tab's catch-up. */
  #kept: Note[] = [];

  constructor(key: string, member: Member) {
    this.#member = member;
    this.#channel = new BroadcastChannel(key);
    this.#channel.onmessage = (message: MessageEvent<Talk>) => this.#hear(message.data);
    this.#unwake = onWake(() => this.#post({ k: 'wake' }));
    navigator.locks
      .request(key, { signal: this.#abort.signal }, () => new Promise<void>((release) => this.#lead(release)))
      .catch(() => {}); // aborted by close() while waiting
    this.#post({ k: 'hello', from: this.#id, types: member.types() });
  }

  get leading(): boolean {
    return this.#leading !== undefined;
  }

  /** This tab listens for `type` now: the leader adds it to its connection. */
  listen(type: string): void {
    if (this.#leading) this.#leading.listen(type);
    else this.#post({ k: 'on', types: [type] });
  }

  /** This tab stops listening; a leader hands the connection to the next tab by releasing the lock. */
  close(): void {
    this.#closed = true;
    this.#abort.abort();
    this.#leading?.close();
    this.#leading = undefined;
    this.#release?.();
    this.#unwake();
    this.#channel.close();
  }

  #lead(release: () => void): void {
    this.#release = release;
    if (this.#closed) return release();
    this.#post({ k: 'lead' });
    this.#leading = this.#member.lead((note) => this.#relay(note));
  }

  #relay(note: Note): void {
    if (note.k === 'connecting') this.#kept = [];
    this.#kept.push(note);
    // Over the bound, the oldest message with an id goes: the first (id-less) ones are the state a
    // joining tab starts from. Without ids, the oldest after connecting, open and the first message.
    if (this.#kept.length > KEPT) {
      const oldest = this.#kept.findIndex((n) => n.k === 'message' && n.id !== undefined);
      this.#kept.splice(oldest === -1 ? 3 : oldest, 1);
    }
    this.#member.apply(note);
    this.#post(note);
  }

  #hear(talk: Talk): void {
    if (this.#closed) return;
    const leading = this.#leading;
    switch (talk.k) {
      case 'hello':
      case 'on':
        if (!leading) return;
        for (const type of talk.types) leading.listen(type);
        if (talk.k === 'hello') this.#post({ k: 'sync', to: talk.from, notes: this.#kept });
        return;
      case 'wake':
        return leading?.wake(true);
      case 'lead':
        return this.#post({ k: 'on', types: this.#member.types() });
      case 'sync':
        if (talk.to === this.#id && !leading) this.#catchUp(talk.notes);
        return;
      default:
        if (leading) return;
        this.#member.apply(talk);
        // The leader waits for its hidden page: this tab is a reason not to.
        if (talk.k === 'error' && talk.next === 'wait' && awake()) this.#post({ k: 'wake' });
    }
  }

  /** A joining tab applies the connection so far, less the messages up to the id it resumes from. */
  #catchUp(notes: Note[]): void {
    const last = this.#member.lastId();
    const seen = notes.findIndex((n) => n.k === 'message' && n.id !== undefined && n.id === last);
    notes.forEach((note, i) => {
      if (i > seen || note.k !== 'message' || note.id === undefined) this.#member.apply(note);
    });
  }

  #post(talk: Talk): void {
    if (!this.#closed) this.#channel.postMessage(talk);
  }
}
