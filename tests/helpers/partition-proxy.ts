// A TCP proxy that can go silent: a network partition that drops packets without a reset. While
// partitioned nothing is forwarded either way and no socket is closed, so both peers see no
// progress and no error; new connections are accepted but not connected onwards. What a client
// sends meanwhile (its end of stream included) is held, and `heal()` delivers it in order, as TCP
// retransmission would once the network is back.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface PartitionProxy {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  through(url: string): string;
  partition(): void;
  /**
   * Goes silent at the first client→server chunk for which `when` is true; that chunk is held too.
   * `connection` numbers the client connections, so a test can follow one conversation.
   */
  partitionWhen(when: (chunk: Buffer, connection: number) => boolean): void;
  heal(): void;
  /**
   * Resolves once the server has dealt with every byte the last partition held: a connection whose
   * client went away meanwhile has closed at both ends (the server read it all, then the end), and
   * one whose client is still there has had an answer from the server since.
   */
  drained(): Promise<void>;
  readonly partitioned: boolean;
  close(): Promise<void>;
}

interface Pair {
  id: number;
  client: Socket;
  upstream: Socket | undefined;
  /** Client→server bytes read while partitioned, not yet forwarded. */
  held: Buffer[];
  /** The client ended (or dropped) its side; the server is told once everything held is out. */
  clientGone: boolean;
}

export async function startPartitionProxy(target: { host: string; port: number }): Promise<PartitionProxy> {
  const pairs = new Set<Pair>();
  let silent = false;
  let trigger: ((chunk: Buffer, connection: number) => boolean) | undefined;
  let connections = 0;
  let pendingCloses: Array<Promise<void>> = [];
  /** Pairs whose client went away while partitioned: what they sent is still delivered on heal. */
  const closedWhileSilent: Pair[] = [];

  const closed = (socket: Socket) => (socket.closed ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve())));
  const answered = (socket: Socket) => Promise.race([closed(socket), new Promise<void>((resolve) => socket.once('data', () => resolve()))]);

  function forward(pair: Pair): void {
    const { upstream } = pair;
    if (!upstream) return;
    for (const chunk of pair.held.splice(0)) upstream.write(chunk);
    if (pair.clientGone) upstream.end();
  }

  function openUpstream(pair: Pair): void {
    const upstream = connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on('error', () => pair.client.destroy());
    upstream.on('close', () => pair.client.destroy());
    // Server→client: stop reading while silent; the server has nothing to say to a silent client anyway.
    upstream.on('data', (chunk: Buffer) => {
      if (!pair.client.destroyed) pair.client.write(chunk);
    });
    forward(pair);
  }

  const server: Server = createServer((client) => {
    const pair: Pair = { id: ++connections, client, upstream: undefined, held: [], clientGone: false };
    pairs.add(pair);
    const gone = () => {
      if (pair.clientGone) return;
      pair.clientGone = true;
      if (!silent) forward(pair);
    };
    client.on('end', gone);
    client.on('error', gone);
    client.on('close', () => {
      gone();
      pairs.delete(pair);
      if (silent) closedWhileSilent.push(pair);
    });
    client.on('data', (chunk: Buffer) => {
      if (!silent && trigger?.(chunk, pair.id)) {
        trigger = undefined;
        goSilent();
      }
      pair.held.push(chunk);
      if (!silent) forward(pair);
    });
    if (!silent) openUpstream(pair);
  });

  function goSilent(): void {
    silent = true;
    for (const pair of pairs) pair.upstream?.pause();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    through(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    partition: goSilent,
    partitionWhen(when) {
      trigger = when;
    },
    heal() {
      silent = false;
      pendingCloses = [];
      for (const pair of [...pairs, ...closedWhileSilent.splice(0)]) {
        const carried = pair.held.length > 0 || pair.clientGone;
        if (!pair.upstream) openUpstream(pair);
        const upstream = pair.upstream!;
        if (carried && pair.clientGone) pendingCloses.push(closed(pair.client), closed(upstream));
        else if (carried) pendingCloses.push(answered(upstream));
        forward(pair);
        upstream.resume();
      }
    },
    async drained() {
      await Promise.all(pendingCloses);
    },
    get partitioned() {
      return silent;
    },
    close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
