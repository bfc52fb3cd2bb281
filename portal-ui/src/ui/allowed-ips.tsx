// IP allowlists of keys, clients and consumers: a textarea with one address or CIDR block a line, the
// list it sends, and the short summary a table shows. The API checks each entry (IP_ALLOWLIST_INVALID).

import type { SubmitState } from './parts.js';
import { TextArea } from './parts.js';

/** The `allowedIps` field from the textarea: one entry a line (commas and spaces also separate); [] = anywhere. */
export const allowedIpsOf = (data: FormData): string[] =>
  String(data.get('allowedIps') ?? '')
    .split(/[\s,]+/)
    .filter(Boolean);

export function AllowedIpsField({ form, initial = [], who }: { form: SubmitState; initial?: readonly string[] | undefined; who: string }) {
  return (
    <TextArea
      label="Allowed IP addresses (optional)"
      name="allowedIps"
      rows={3}
      spellcheck={false}
      autoComplete="off"
      defaultValue={initial.join('\n')}
      placeholder={'203.0.113.7\n198.51.100.0/24\n2001:db8::/32'}
      hint={`One address or CIDR block a line, IPv4 or IPv6. Empty: ${who} works from any address.`}
      error={form.fieldError('allowedIps')}
    />
  );
}

/** "Any address" or "2 IP ranges", with the list in a tooltip. */
export function AllowedIpsSummary({ ips }: { ips: readonly string[] | undefined }) {
  if (!ips?.length) return <span class="cell-sub">Any address</span>;
  return (
    <span class="cell-sub" title={ips.join(', ')}>
      {ips.length === 1 ? `Only from ${ips[0]}` : `${ips.length} IP ranges`}
    </span>
  );
}
