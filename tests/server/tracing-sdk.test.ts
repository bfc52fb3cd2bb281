// Tracing from the OTEL_* environment: `portcullis start` (a child process, as an operator runs it)
// loads @opentelemetry/sdk-node and exports its spans over OTLP/HTTP to a receiver on 127.0.0.1. And
// what the environment must say for the SDK to be loaded at all.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { startTracingSdk, tracingRequested } from '../../src/server/tracing-sdk.js';
import { followLogs } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';

async function waitFor(what: string, condition: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface OtlpSpan {
  traceId: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
}

describe('tracing from OTEL_* variables', () => {
  it('is asked for by an exporter other than none or an OTLP endpoint; OTEL_SDK_DISABLED=true wins', () => {
    assert.equal(tracingRequested({}), false);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'none' }), false);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' }), true);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'console, none' }), false);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), true);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }), true);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' }), false);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }), false);
  });

  it('without the SDK package, the start says how to install it and tracing stays off', async () => {
    const missing = Object.assign(new Error("Cannot find package '@opentelemetry/sdk-node'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const result = await startTracingSdk({ OTEL_TRACES_EXPORTER: 'otlp' }, () => Promise.reject(missing));
    assert.equal(result.state, 'missing');
    assert.match((result as { message: string }).message, /npm install @opentelemetry\/sdk-node/);
    assert.deepEqual(await startTracingSdk({}, () => Promise.reject(missing)), { state: 'off' });
  });

  it('`portcullis start` with OTEL_EXPORTER_OTLP_ENDPOINT exports the gateway’s spans over OTLP/HTTP', async () => {
    const received: OtlpSpan[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const payload = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
          for (const resource of payload.resourceSpans) for (const scope of resource.scopeSpans) received.push(...scope.spans);
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const dir = tempDir();
    const child = spawn(process.execPath, [resolve('dist/src/cli/launch.cjs'), 'start'], {
      cwd: dir.dir,
      env: {
        ...process.env,
        PORTCULLIS_LISTEN_HOST: '127.0.0.1',
        PORTCULLIS_LISTEN_PORT: '0',
        PORTCULLIS_ADMIN_PORT: '0',
        PORTCULLIS_LOG_LEVEL: 'info',
        PORTCULLIS_SHUTDOWN_GRACE_PERIOD: '1s',
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_SERVICE_NAME: 'portcullis-test',
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
    followLogs(child.stdout);
    try {
      await waitFor('the start log line', () => stdout.includes('"portcullis started"'));
      assert.match(stdout, /"tracing on"/);
      const started = JSON.parse(stdout.split('\n').find((line) => line.includes('"portcullis started"'))!);
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const response = await fetch(`${started.gatewayUrl}/echo/hello`, { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
      assert.equal(response.status, 401);
      await response.arrayBuffer();
      await waitFor('the span at the receiver', () => received.some((span) => span.traceId === traceId));
      const span = received.find((s) => s.traceId === traceId)!;
      const attribute = (key: string) => span.attributes.find((a) => a.key === key)?.value;
      assert.equal(attribute('portcullis.api')?.stringValue, 'echo');
      assert.equal(Number(attribute('http.response.status_code')?.intValue), 401);
      assert.equal(attribute('portcullis.auth.decision')?.stringValue, 'denied');
      child.kill('SIGTERM');
      await waitFor('the exit', () => child.exitCode !== null);
      assert.equal(child.exitCode, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      receiver.close();
      dir.remove();
    }
  });
});
