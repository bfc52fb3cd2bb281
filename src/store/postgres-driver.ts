// A Kysely driver for node-postgres in which no store call can hang. A silent network partition
// (packets dropped, no reset) leaves a query waiting forever for an answer; here every statement
// has a deadline (`timeoutMs`: from its start, or for a transaction from its BEGIN), and a
// connection whose statement missed it is destroyed, never reused: its socket may still deliver
// the late answer to the next query.
//
// A transaction the caller was told failed must not commit later, when the network is back and
// the held COMMIT reaches the server. Each transaction therefore carries a commit deadline in
// server time (a row in store_commit_guards, checked by a deferred trigger at COMMIT; see
// migrations.ts): the server refuses to commit it more than `timeoutMs` after its BEGIN. When the
// COMMIT goes unanswered, the driver waits until that deadline has surely passed before it
// reports the failure, so "failed" means "will never commit".

import { AbortedTransactionError, type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import type pg from 'pg';
import { StoreTimeoutError } from './errors.js';

export interface BoundedPostgresDriverOptions {
  pool: pg.Pool;
  /** Every statement (and every transaction, BEGIN to COMMIT) answers within this, or fails. */
  timeoutMs: number;
  onCreateConnection?: (connection: DatabaseConnection) => Promise<void>;
}

/** Clock-rate slack when waiting out a commit deadline measured on the server's clock. */
const COMMIT_DEADLINE_SLACK_MS = 20;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class BoundedPostgresConnection implements DatabaseConnection {
  /** A statement missed its deadline: the connection is destroyed on release. */
  broken = false;
  /** While a transaction runs: when it must be done, on this process's monotonic clock. */
  transactionDeadline: number | undefined;
  /** While a guarded transaction runs: a time by which the server's commit deadline has passed. */
  commitRefusedAfter: number | undefined;

  constructor(
    readonly client: pg.PoolClient,
    readonly driver: BoundedPostgresDriver,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = (await this.send(compiledQuery.sql, [...compiledQuery.parameters])) as pg.QueryResult;
    const { command, rowCount, rows } = result;
    if (command === 'ROLLBACK' || command === 'COMMIT') return { rows: [{ command } as R] };
    const changed = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
    return { ...(changed ? { numAffectedRows: BigInt(rowCount ?? 0) } : {}), rows: (rows ?? []) as R[] };
  }

  // biome-ignore lint/correctness/useYield: Kysely's Driver wants an async iterator; this one fails on its first step, as before.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the PostgreSQL store does not stream');
  }

  /** Sends one query (a simple-protocol string may hold several statements) within the deadline. */
  async send(text: string, values?: unknown[]): Promise<pg.QueryResult | pg.QueryResult[]> {
    if (this.broken) throw new StoreTimeoutError('the connection was discarded after a store timeout');
    if (this.driver.unbounded) return this.client.query(text, values);
    const deadline = this.transactionDeadline ?? performance.now() + this.driver.options.timeoutMs;
    const left = deadline - performance.now();
    if (left <= 0) {
      this.broken = true;
      throw this.driver.timeout();
    }
    const pending = this.client.query(text, values) as Promise<pg.QueryResult | pg.QueryResult[]>;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.driver.timeout()), left);
    });
    try {
      return await Promise.race([pending, expired]);
    } catch (error) {
      if (error instanceof StoreTimeoutError) {
        this.broken = true;
        // The answer, if it ever comes, goes nowhere: the connection is destroyed on release.
        pending.catch(() => {});
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

export class BoundedPostgresDriver implements Driver {
  readonly #connections = new WeakMap<pg.PoolClient, BoundedPostgresConnection>();
  /** Set once store_commit_guards exists (after migrate): transactions then carry a commit deadline. */
  guardCommits = false;
  /** Set while migrations run: they may take longer than a request's budget. */
  unbounded = false;

  constructor(readonly options: BoundedPostgresDriverOptions) {}

  timeout(): StoreTimeoutError {
    return new StoreTimeoutError(`the PostgreSQL store did not answer within ${this.options.timeoutMs} ms`);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    // The pool's connectionTimeoutMillis bounds both the wait for a free client and a new connection.
    const client = await this.options.pool.connect();
    let connection = this.#connections.get(client);
    if (!connection) {
      connection = new BoundedPostgresConnection(client, this);
      this.#connections.set(client, connection);
      if (this.options.onCreateConnection) {
        try {
          await this.options.onCreateConnection(connection);
        } catch (error) {
          client.release(error as Error);
          throw error;
        }
      }
    }
    return connection;
  }

  async beginTransaction(connection: BoundedPostgresConnection): Promise<void> {
    if (this.unbounded) {
      await connection.send('begin; set local statement_timeout = 0; set local idle_in_transaction_session_timeout = 0');
      return;
    }
    const { timeoutMs } = this.options;
    connection.transactionDeadline = performance.now() + timeoutMs;
    if (!this.guardCommits) {
      await connection.send('begin');
      return;
    }
    // now() is the transaction's start on the server's clock, which is before the answer arrives
    // here: the server's deadline has passed once `timeoutMs` has passed after the answer.
    await connection.send(`begin; insert into store_commit_guards (commit_before) values (now() + ${timeoutMs} * interval '1 millisecond')`);
    connection.commitRefusedAfter = performance.now() + timeoutMs + COMMIT_DEADLINE_SLACK_MS;
  }

  async commitTransaction(connection: BoundedPostgresConnection): Promise<void> {
    try {
      const result = (await connection.send('commit')) as pg.QueryResult;
      // PostgreSQL completes COMMIT with a ROLLBACK tag when an earlier error aborted the transaction.
      if (result.command === 'ROLLBACK') throw new AbortedTransactionError();
    } catch (error) {
      const refusedAfter = connection.commitRefusedAfter;
      if (error instanceof StoreTimeoutError && refusedAfter !== undefined) {
        const wait = refusedAfter - performance.now();
        if (wait > 0) await sleep(wait);
      }
      throw error;
    } finally {
      connection.transactionDeadline = undefined;
      connection.commitRefusedAfter = undefined;
    }
  }

  async rollbackTransaction(connection: BoundedPostgresConnection): Promise<void> {
    connection.commitRefusedAfter = undefined;
    // A broken connection is closed instead: the server rolls back when the session ends.
    if (!connection.broken) {
      // The ROLLBACK gets a fresh budget even if the transaction's is spent.
      connection.transactionDeadline = undefined;
      // Never replace the error that made the caller roll back; a failed ROLLBACK closes the session.
      await connection.send('rollback').catch(() => {
        connection.broken = true;
      });
    }
    connection.transactionDeadline = undefined;
  }

  async savepoint(connection: BoundedPostgresConnection, name: string): Promise<void> {
    await connection.send(`savepoint "${name}"`);
  }

  async rollbackToSavepoint(connection: BoundedPostgresConnection, name: string): Promise<void> {
    await connection.send(`rollback to savepoint "${name}"`);
  }

  async releaseSavepoint(connection: BoundedPostgresConnection, name: string): Promise<void> {
    await connection.send(`release savepoint "${name}"`);
  }

  async releaseConnection(connection: BoundedPostgresConnection): Promise<void> {
    connection.transactionDeadline = undefined;
    connection.commitRefusedAfter = undefined;
    // With an error the pool destroys the client (its socket at once, since a query is pending).
    connection.client.release(connection.broken ? new Error('discarded after a store timeout') : undefined);
  }

  async destroy(): Promise<void> {
    // Ending a connection politely needs an answer; during a partition none comes, so stop waiting.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.options.pool.end(), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.timeoutMs)))]);
    clearTimeout(timer);
  }
}
