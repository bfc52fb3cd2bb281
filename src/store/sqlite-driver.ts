// A Kysely driver for better-sqlite3 that never waits for SQLite's write lock on the event loop.
// better-sqlite3 is synchronous: with a busy timeout, a write that meets another process's lock (a
// CLI command, a backup) would stop the whole process until the lock is gone. Here SQLite never
// waits (busy_timeout 0); a write that finds the lock taken is tried again after a timer, with
// backoff, until `timeoutMs` has passed, and then fails with StoreTimeoutError (503 at the edges).
//
// Transactions take the lock up front (BEGIN IMMEDIATE), so a transaction either starts with the
// lock or does not start: it can never meet SQLITE_BUSY half-way and leave a half-done write. Reads
// run on a second connection: in WAL mode they see the last commit and never wait for a writer, and
// they do not queue behind our own writes waiting for the lock.
import type BetterSqlite3 from 'better-sqlite3';
import { type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, SelectQueryNode } from 'kysely';
import { StoreTimeoutError } from './errors.js';

export interface SqliteDriverOptions {
  /** The connection for statements that only read. */
  read: BetterSqlite3.Database;
  /** The connection for writes and transactions; the same object as `read` for `:memory:`. */
  write: BetterSqlite3.Database;
  /** How long a write waits for the write lock before it fails. */
  timeoutMs: number;
}

const FIRST_RETRY_MS = 1;
const MAX_RETRY_MS = 50;

export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function lockTimeout(timeoutMs: number, cause?: unknown): StoreTimeoutError {
  return new StoreTimeoutError(`the SQLite database stayed locked by another connection for ${timeoutMs} ms`, { cause });
}

/** FIFO ownership of the write connection: one transaction (or autocommit write) at a time. */
class WriteTurn {
  #held = false;
  #waiters: Array<() => void> = [];

  async take(deadline: number, timeoutMs: number): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(
        () => {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          reject(lockTimeout(timeoutMs));
        },
        Math.max(0, deadline - performance.now()),
      );
      this.#waiters.push(waiter);
    });
  }

  give(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#held = false;
  }
}

function run(statement: BetterSqlite3.Statement, parameters: readonly unknown[]): QueryResult<unknown> {
  if (statement.reader) return { rows: statement.all(parameters) };
  const { changes, lastInsertRowid } = statement.run(parameters);
  const result: { numAffectedRows?: bigint; insertId?: bigint; rows: never[] } = { rows: [] };
  if (changes !== undefined && changes !== null) result.numAffectedRows = BigInt(changes);
  if (lastInsertRowid !== undefined && lastInsertRowid !== null) result.insertId = BigInt(lastInsertRowid);
  return result;
}

class SqliteLockFreeConnection implements DatabaseConnection {
  /** Set between BEGIN IMMEDIATE and COMMIT/ROLLBACK: every statement goes to the write connection. */
  inTransaction = false;

  constructor(readonly driver: SqliteLockFreeDriver) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { read, write } = this.driver.options;
    if (this.inTransaction) return run(write.prepare(compiledQuery.sql), compiledQuery.parameters) as QueryResult<R>;
    const statement = read.prepare(compiledQuery.sql);
    if (statement.readonly) return run(statement, compiledQuery.parameters) as QueryResult<R>;
    return this.driver.autocommitWrite(compiledQuery) as Promise<QueryResult<R>>;
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) throw new Error('the SQLite driver streams select queries only');
    const db = this.inTransaction ? this.driver.options.write : this.driver.options.read;
    for (const row of db.prepare(compiledQuery.sql).iterate(compiledQuery.parameters)) yield { rows: [row as R] };
  }
}

export class SqliteLockFreeDriver implements Driver {
  readonly #turn = new WriteTurn();

  constructor(readonly options: SqliteDriverOptions) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SqliteLockFreeConnection(this);
  }

  /**
   * Runs `attempt` (one synchronous SQLite call that may meet SQLITE_BUSY) until it gets through or
   * the deadline passes, waiting on timers between tries. The caller holds the write turn.
   */
  async #untilUnlocked<T>(deadline: number, attempt: () => T): Promise<T> {
    let wait = FIRST_RETRY_MS;
    for (;;) {
      try {
        return attempt();
      } catch (error) {
        if (!isSqliteBusy(error)) throw error;
        const left = deadline - performance.now();
        if (left <= 0) throw lockTimeout(this.options.timeoutMs, error);
        await sleep(Math.min(wait, left));
        wait = Math.min(wait * 2, MAX_RETRY_MS);
      }
    }
  }

  /** A write outside a transaction: one statement, atomic on its own, so trying it again is safe. */
  async autocommitWrite(compiledQuery: CompiledQuery): Promise<QueryResult<unknown>> {
    const deadline = performance.now() + this.options.timeoutMs;
    await this.#turn.take(deadline, this.options.timeoutMs);
    try {
      const statement = this.options.write.prepare(compiledQuery.sql);
      return await this.#untilUnlocked(deadline, () => run(statement, compiledQuery.parameters));
    } finally {
      this.#turn.give();
    }
  }

  async beginTransaction(connection: SqliteLockFreeConnection): Promise<void> {
    const deadline = performance.now() + this.options.timeoutMs;
    await this.#turn.take(deadline, this.options.timeoutMs);
    try {
      await this.#untilUnlocked(deadline, () => this.options.write.exec('begin immediate'));
    } catch (error) {
      this.#turn.give();
      throw error;
    }
    connection.inTransaction = true;
  }

  async commitTransaction(connection: SqliteLockFreeConnection): Promise<void> {
    // In WAL mode COMMIT needs no lock beyond the one BEGIN IMMEDIATE took. If it fails anyway,
    // Kysely rolls back next, and that gives the turn up.
    this.options.write.exec('commit');
    this.#end(connection);
  }

  async rollbackTransaction(connection: SqliteLockFreeConnection): Promise<void> {
    try {
      if (this.options.write.inTransaction) this.options.write.exec('rollback');
    } finally {
      this.#end(connection);
    }
  }

  async savepoint(connection: SqliteLockFreeConnection, name: string): Promise<void> {
    this.#inTransactionOnly(connection).exec(`savepoint "${name}"`);
  }

  async rollbackToSavepoint(connection: SqliteLockFreeConnection, name: string): Promise<void> {
    this.#inTransactionOnly(connection).exec(`rollback to "${name}"`);
  }

  async releaseSavepoint(connection: SqliteLockFreeConnection, name: string): Promise<void> {
    this.#inTransactionOnly(connection).exec(`release "${name}"`);
  }

  async releaseConnection(connection: SqliteLockFreeConnection): Promise<void> {
    // A transaction that neither committed nor rolled back (Kysely always does one of them).
    if (connection.inTransaction) await this.rollbackTransaction(connection);
  }

  async destroy(): Promise<void> {
    this.options.write.close();
    if (this.options.read !== this.options.write) this.options.read.close();
  }

  #inTransactionOnly(connection: SqliteLockFreeConnection): BetterSqlite3.Database {
    if (!connection.inTransaction) throw new Error('savepoints need a transaction');
    return this.options.write;
  }

  #end(connection: SqliteLockFreeConnection): void {
    if (!connection.inTransaction) return;
    connection.inTransaction = false;
    this.#turn.give();
  }
}
