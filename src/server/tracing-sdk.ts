// Tracing for `portcullis start`, from the standard OTEL_* environment variables: when they ask for it,
// the OpenTelemetry Node SDK (`@opentelemetry/sdk-node`, an optional peer dependency) is loaded and
// started before the app is built, so the app finds its tracer provider registered
// (src/lib/tracing.ts). Without the package, one warning says how to install it; nothing else changes.
// A provider already registered (a host app's, a test's) is used as it is: the SDK is not started.
import { registeredTracer } from '../lib/tracing.js';

type Env = Record<string, string | undefined>;

export const SDK_PACKAGE = '@opentelemetry/sdk-node';

/**
 * Whether the environment asks for traces: OTEL_TRACES_EXPORTER set to something other than `none`,
 * or an OTLP endpoint (all signals or traces); OTEL_SDK_DISABLED=true wins over both.
 */
export function tracingRequested(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (exporters.length > 0) return !exporters.includes('none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

export type TracingStart =
  | { state: 'off' }
  /** A provider was registered before the start (library mode, tests): used as it is. */
  | { state: 'host' }
  | { state: 'started'; shutdown: () => Promise<void> }
  | { state: 'missing'; message: string }
  | { state: 'failed'; message: string };

interface NodeSdk {
  start(): void;
  shutdown(): Promise<void>;
}
type NodeSdkModule = { NodeSDK: new (configuration: Record<string, unknown>) => NodeSdk };

/**
 * Starts the Node SDK when the environment asks for traces. Traces only: OTel metrics and logs stay
 * off unless their own OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER are set (Portcullis' metrics are
 * Prometheus', its logs pino's). The service name is `portcullis` unless OTEL_SERVICE_NAME says otherwise.
 */
export async function startTracingSdk(env: Env, load: () => Promise<unknown> = () => import(SDK_PACKAGE)): Promise<TracingStart> {
  if (registeredTracer()) return { state: 'host' };
  if (!tracingRequested(env)) return { state: 'off' };
  let module: NodeSdkModule;
  try {
    module = (await load()) as NodeSdkModule;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      return {
        state: 'missing',
        message: `OTEL_* variables ask for traces, but ${SDK_PACKAGE} is not installed: run \`npm install ${SDK_PACKAGE}\`; tracing is off`,
      };
    }
    return { state: 'failed', message: `could not load ${SDK_PACKAGE} (${(error as Error).message}); tracing is off` };
  }
  try {
    const sdk = new module.NodeSDK({
      ...(env.OTEL_SERVICE_NAME ? {} : { serviceName: 'portcullis' }),
      ...(env.OTEL_METRICS_EXPORTER ? {} : { metricReaders: [] }),
      ...(env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
    });
    sdk.start();
    return { state: 'started', shutdown: () => sdk.shutdown() };
  } catch (error) {
    return { state: 'failed', message: `could not start ${SDK_PACKAGE} (${(error as Error).message}); tracing is off` };
  }
}
