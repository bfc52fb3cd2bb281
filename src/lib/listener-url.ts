// The URL a listener can be reached at from this machine, as printed in banners and returned by the
// start functions: a wildcard address is shown as loopback, an IPv6 address in brackets.
export function urlOf(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}
